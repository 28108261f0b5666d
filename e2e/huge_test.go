//go:build e2e

package e2e

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// Huge resources: Provenance with thousands of targets, as Synthea writes
// them (up to 34,660). HAPI checks every target (about 0.75 ms each on
// the test bed), so one Bundle of them takes longer than the short wait
// the tests set. The upload must still land each resource exactly once
// (version 1), with no failure, without sending a Bundle again while HAPI
// is still writing it.

const (
	hugeTargets = 1500 // Basic resources, loaded first
	hugeCount   = 8    // Provenance, each targeting every Basic
)

// hugeArgs put all Provenance in one Bundle whose wait is capped at 4 s;
// the proxy makes sure its answer does not come in time. A try
// that shows no progress is taken for dead after 4 x 15 s (the allowance
// of one Provenance): on the loaded shared bed one took up to 46 s.
var hugeArgs = []string{"-s", "100", "-c", "1", "--batch-refs", "1000000", "--timeout", "1s", "--timeout-max", "4s"}

// hugeSetup loads the targets and writes the Provenance files of each
// named set; it returns the folder of each set and the Provenance ids.
func hugeSetup(t *testing.T, bed *testbed.Bed, sets ...string) (map[string]string, map[string][]string) {
	t.Helper()
	id := randomID(t)
	tmp := t.TempDir()
	var basics []string
	for i := range hugeTargets {
		basics = append(basics, fmt.Sprintf(`{"resourceType":"Basic","id":"%s-b%d","code":{"text":"target"}}`, id, i))
	}
	targets := filepath.Join(tmp, "targets")
	must(t, os.MkdirAll(targets, 0o755))
	must(t, os.WriteFile(filepath.Join(targets, "Basic.ndjson"), []byte(strings.Join(basics, "\n")+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(targets, "Organization.ndjson"), []byte(fmt.Sprintf(`{"resourceType":"Organization","id":"%s-org","name":"agent"}`+"\n", id)), 0o644))
	r := run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", targets, "--failure-log", filepath.Join(tmp, "targets.log"), "--checkpoint-dir", filepath.Join(tmp, "ckpt"))
	if r.code != 0 {
		t.Fatalf("loading the targets: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var refs strings.Builder
	for i := range hugeTargets {
		if i > 0 {
			refs.WriteByte(',')
		}
		fmt.Fprintf(&refs, `{"reference":"Basic/%s-b%d"}`, id, i)
	}
	dirs, ids := map[string]string{}, map[string][]string{}
	for _, set := range sets {
		var lines []string
		for i := range hugeCount {
			pid := fmt.Sprintf("%s-%s%d", id, set, i)
			ids[set] = append(ids[set], pid)
			lines = append(lines, fmt.Sprintf(`{"resourceType":"Provenance","id":%q,"target":[%s],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"reference":"Organization/%s-org"}}]}`, pid, refs.String(), id))
		}
		dirs[set] = filepath.Join(tmp, set)
		must(t, os.MkdirAll(dirs[set], 0o755))
		must(t, os.WriteFile(filepath.Join(dirs[set], "Provenance.ndjson"), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	}
	return dirs, ids
}

// hugeUpload uploads dir through a fault proxy (faults queued by
// prepare) and checks the promise: exit 0, every Provenance at version 1.
// It returns the batch Bundles the proxy saw and what the tool printed.
func hugeUpload(t *testing.T, bed *testbed.Bed, dir string, ids []string, prepare func(*fp.Proxy)) (int, result) {
	t.Helper()
	u, err := url.Parse(bed.FHIRBaseURL)
	must(t, err)
	p, err := fp.Start(u.Host)
	must(t, err)
	defer p.Close()
	prepare(p)
	tmp := t.TempDir()
	args := append([]string{"upload", "-i", dir, "--fhir-url", "http://" + p.Addr() + "/fhir",
		"--failure-log", filepath.Join(tmp, "failures.log"), "--checkpoint-dir", filepath.Join(tmp, "ckpt")}, hugeArgs...)
	start := time.Now()
	r := run(t, map[string]string{}, args...)
	took := time.Since(start)
	t.Logf("upload: exit %d after %v\n%s", r.code, took.Round(time.Millisecond), r.stderr)
	if r.code != 0 {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	got := server{base: bed.FHIRBaseURL}.versions(t, "Provenance", ids)
	for _, id := range ids {
		if got[id] != "1" {
			t.Errorf("Provenance/%s: version %q, want 1 (written once)", id, got[id])
		}
	}
	n := 0
	for _, e := range p.Events() {
		if e.Method == "POST" && e.Path == "/fhir" {
			n++
		}
	}
	return n, r
}

func TestHugeResources(t *testing.T) {
	bed := testbed.Default(t)
	dirs, ids := hugeSetup(t, bed, "w", "l")

	// The Bundle times out while HAPI writes it: the tool watches the
	// resources land and sends nothing again. HAPI gets the request whole
	// and its answer is swallowed, so the wait runs out however fast HAPI
	// is (on a quiet machine it writes these 8 in about a second).
	t.Run("waited for", func(t *testing.T) {
		posts, r := hugeUpload(t, bed, dirs["w"], ids["w"], func(p *fp.Proxy) {
			p.Queue(fp.Method("POST", "/fhir"), fp.Fault{Kind: fp.Blackhole})
		})
		if !strings.Contains(r.stderr, fmt.Sprintf("no answer for %d resources", hugeCount)) {
			t.Errorf("the Bundle did not time out: the test proves nothing\n%s", r.stderr)
		}
		if posts != 1 {
			t.Errorf("%d batch requests, want 1: the Bundle was sent again while HAPI wrote it", posts)
		}
	})

	// The first try never reaches HAPI (lost on the way): once nothing
	// has landed for 4 x 15 s, the tool sends the Bundle again in halves,
	// which land, each watched until done if it times out too.
	t.Run("lost, then halves", func(t *testing.T) {
		posts, r := hugeUpload(t, bed, dirs["l"], ids["l"], func(p *fp.Proxy) {
			p.Queue(fp.Method("POST", "/fhir"), fp.Fault{Kind: fp.Status, Code: 504, Delay: 2 * time.Minute})
		})
		if !strings.Contains(r.stderr, fmt.Sprintf("no answer for %d resources", hugeCount)) {
			t.Errorf("no timeout reported\n%s", r.stderr)
		}
		if posts != 3 {
			t.Errorf("%d batch requests, want 3 (the lost one, then two halves)", posts)
		}
	})
}
