//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// clusterReport is the --report of an upload to several nodes.
type clusterReport struct {
	transfer.Summary
	Nodes []cluster.NodeStats `json:"nodes"`
}

// clusterData generates plain MIMIC-shaped NDJSON with ids of its own, and
// adds duplicate ids across files: changed copies of a few Patients and
// chart events, in files of the same type that come later in the input
// (so they are the last occurrence, the one written). It returns the
// folder, the manifest and the number of copies.
func clusterData(t *testing.T, patients int) (string, synth.Manifest, int) {
	t.Helper()
	dir, m := mimicDataGzip(t, patients, synth.GzipNone)
	copies := 0
	for from, to := range map[string]string{
		"MimicPatient.ndjson":                      "MimicPatient_later.ndjson",
		"MimicObservationChartevents_part1.ndjson": "MimicObservationChartevents_part3.ndjson",
	} {
		data, err := os.ReadFile(filepath.Join(dir, from))
		must(t, err)
		var out bytes.Buffer
		for i, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			if i%3 != 0 || i > 30 {
				continue
			}
			var r map[string]any
			must(t, json.Unmarshal(line, &r))
			r["language"] = "de" // Resource.language: valid on every type
			b, err := json.Marshal(r)
			must(t, err)
			out.Write(append(b, '\n'))
			copies++
		}
		must(t, os.WriteFile(filepath.Join(dir, to), out.Bytes(), 0o644))
	}
	return dir, m, copies
}

// stripMeta drops what the server sets in meta (versionId, lastUpdated,
// source), and meta itself when nothing else is left.
func stripMeta(r map[string]any) {
	meta, ok := r["meta"].(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"versionId", "lastUpdated", "source"} {
		delete(meta, k)
	}
	if len(meta) == 0 {
		delete(r, "meta")
	}
}

// checkIdentical asserts that every resource of the input is on the
// server exactly as its last occurrence in the input (files in name
// order, as the plan reads them), apart from what the server sets in meta.
// It reads them back in searches of 50 ids.
func checkIdentical(t *testing.T, s server, dir string) int {
	t.Helper()
	want := ndjsonIDs(t, dir) // later files overwrite earlier ones
	n, bad := 0, 0
	for typ, byID := range want {
		ids := make([]string, 0, len(byID))
		for id := range byID {
			ids = append(ids, id)
		}
		got := map[string]map[string]any{}
		for start := 0; start < len(ids); start += 50 {
			chunk := ids[start:min(start+50, len(ids))]
			code, body := s.do(t, "POST", typ+"/_search", nil, url.Values{"_id": {strings.Join(chunk, ",")}, "_count": {"50"}})
			if code != 200 {
				t.Fatalf("search %s: HTTP %d: %.300s", typ, code, body)
			}
			var b struct {
				Entry []struct {
					Resource map[string]any `json:"resource"`
				} `json:"entry"`
			}
			must(t, json.Unmarshal(body, &b))
			for _, e := range b.Entry {
				got[e.Resource["id"].(string)] = e.Resource
			}
		}
		for id, w := range byID {
			n++
			g, ok := got[id]
			if !ok {
				bad++
				if bad <= 5 {
					t.Errorf("%s/%s is not on the server", typ, id)
				}
				continue
			}
			stripMeta(g)
			stripMeta(w)
			if !reflect.DeepEqual(g, w) {
				bad++
				if bad <= 5 {
					t.Errorf("%s/%s differs on the server:\ngot  %v\nwant %v", typ, id, g, w)
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d resources missing or different", bad, n)
	}
	return n
}

// uploadCluster runs an upload of dir to every node of bed at -c 8 and
// returns its result, report and failure log path. ctx bounds the run.
func uploadCluster(t *testing.T, ctx context.Context, bed *testbed.Bed, dir string) (result, clusterReport, string) {
	t.Helper()
	flog := filepath.Join(t.TempDir(), "failures.log")
	r, rep := clusterUpload(ctx, t, bed.FHIRBaseURL, "-i", dir, "-c", "8", "--retries", "8", "--timeout", "2m",
		"--failure-log", flog, "--checkpoint-dir", t.TempDir())
	if rep.Read == 0 {
		t.Fatalf("no report (exit %d)\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	return r, rep, flog
}

// clusterUpload runs upload with FHIR_BASE_URL=base, args and --report,
// in this process, and returns what it printed and its report (empty when
// it wrote none). It may run on a goroutine of its own.
func clusterUpload(ctx context.Context, t *testing.T, base string, args ...string) (result, clusterReport) {
	report := filepath.Join(t.TempDir(), "report.json")
	var out, errb bytes.Buffer
	code := cli.RunEnv(ctx, append(append([]string{"upload"}, args...), "--report", report), cli.Env{
		Stdout: &out, Stderr: &errb,
		Lookup: func(k string) (string, bool) {
			if k == "FHIR_BASE_URL" {
				return base, true
			}
			return "", false
		},
	})
	var rep clusterReport
	if data, err := os.ReadFile(report); err == nil {
		if err := json.Unmarshal(data, &rep); err != nil {
			t.Errorf("report: %v", err)
		}
	}
	return result{code: code, stdout: out.String(), stderr: errb.String()}, rep
}

// checkFailureLogEmpty asserts the failure log is absent or empty.
func checkFailureLogEmpty(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err == nil && len(bytes.TrimSpace(data)) > 0 {
		t.Errorf("failure log not empty:\n%.2000s", data)
	}
}

// TestClusterTwoNodes loads MIMIC-shaped data with duplicate ids across
// files through both nodes of the two-node bed (one PostgreSQL) at -c 8:
// nothing fails, every resource on the server is the input's last
// occurrence, and both nodes did work.
func TestClusterTwoNodes(t *testing.T) {
	bed := testbed.TwoNodes(t)
	dir, m, copies := clusterData(t, 10)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	r, rep, flog := uploadCluster(t, ctx, bed, dir)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if rep.Failed != 0 || rep.Read != m.Resources+copies || rep.DuplicatesSkipped != copies || rep.Landed() != m.Resources {
		t.Errorf("read %d, landed %d, failed %d, duplicates skipped %d; want %d, %d, 0, %d",
			rep.Read, rep.Landed(), rep.Failed, rep.DuplicatesSkipped, m.Resources+copies, m.Resources, copies)
	}
	checkFailureLogEmpty(t, flog)
	if len(rep.Nodes) != 2 {
		t.Fatalf("report lists %d nodes, want 2: %+v", len(rep.Nodes), rep.Nodes)
	}
	resources := 0
	for _, n := range rep.Nodes {
		if n.Requests == 0 || n.Resources == 0 || n.Seconds <= 0 || !n.Up {
			t.Errorf("node %s did no work: %+v", n.URL, n)
		}
		resources += n.Resources
	}
	if resources < rep.Landed() {
		t.Errorf("the nodes answered for %d resources, %d landed", resources, rep.Landed())
	}
	t.Logf("nodes: %+v; concurrency %+v", rep.Nodes, rep.Concurrency)
	if n := checkIdentical(t, server{base: bed.Nodes[0]}, dir); n != m.Resources {
		t.Errorf("compared %d resources, want %d", n, m.Resources)
	}
	for _, want := range []string{"✓ 2 of 2 nodes", "Nodes:\n  " + bed.Nodes[0]} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

// TestClusterNodeKilled kills the second node with SIGKILL while an
// upload to both runs: the run finishes on the first, nothing is lost,
// the summary adds up and shows the dead node's errors. The node is
// started again at the end.
func TestClusterNodeKilled(t *testing.T) {
	bed := testbed.TwoNodes(t)
	defer testbed.Restart(t, testbed.TwoNodesSettings())
	dir, m, copies := clusterData(t, 15)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	// Kill hapi-2 once a third of the data is in PostgreSQL.
	var killed atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(200 * time.Millisecond) {
			out, err := bed.SQL(ctx, `select count(*) from hfj_resource where left(fhir_id, length(:'p')) = :'p';`, "p="+m.Options.IDPrefix)
			if err != nil {
				continue
			}
			var n int
			if _, err := fmt.Sscan(strings.TrimSpace(out), &n); err != nil {
				continue
			}
			if n >= m.Resources/3 {
				if err := killFileBed(bed.State, "hapi-2"); err != nil {
					t.Error(err)
					return
				}
				killed.Store(true)
				t.Logf("killed hapi-2 with %d of %d resources in PostgreSQL", n, m.Resources)
				return
			}
		}
	}()
	r, rep, flog := uploadCluster(t, ctx, bed, dir)
	<-done
	if !killed.Load() {
		t.Fatalf("hapi-2 was not killed during the run (exit %d)\n%s", r.code, r.stdout)
	}
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if rep.Failed != 0 || rep.Read != m.Resources+copies || rep.Landed() != m.Resources || rep.Read != rep.Landed()+rep.Failed+rep.DuplicatesSkipped ||
		rep.Landed() != rep.Created+rep.Updated+rep.Unchanged {
		t.Errorf("summary does not add up: read %d, landed %d (%d created, %d updated, %d unchanged), failed %d, duplicates skipped %d; want read %d, landed %d",
			rep.Read, rep.Landed(), rep.Created, rep.Updated, rep.Unchanged, rep.Failed, rep.DuplicatesSkipped, m.Resources+copies, m.Resources)
	}
	checkFailureLogEmpty(t, flog)
	if len(rep.Nodes) != 2 {
		t.Fatalf("report lists %d nodes, want 2", len(rep.Nodes))
	}
	first, second := rep.Nodes[0], rep.Nodes[1]
	if second.Errors == 0 || second.Drained == 0 || second.Up {
		t.Errorf("the killed node: got %+v, want errors, drained and down at the end", second)
	}
	if first.Resources == 0 || !first.Up || first.Drained != 0 {
		t.Errorf("the live node: got %+v, want it at work and never drained", first)
	}
	t.Logf("nodes: %+v", rep.Nodes)
	checkIdentical(t, server{base: bed.Nodes[0]}, dir)
	if !strings.Contains(r.stdout, "down at the end") {
		t.Errorf("the summary does not say the node is down:\n%s", r.stdout)
	}

	// With the node still down, a new run starts on the other one and
	// says so.
	dir2, m2, _ := clusterData(t, 2)
	r2, rep2, flog2 := uploadCluster(t, ctx, bed, dir2)
	if r2.code != cli.ExitOK || rep2.Failed != 0 || rep2.Landed() != m2.Resources {
		t.Fatalf("with a node down at the start: exit %d, landed %d of %d, failed %d\n%s\n%s", r2.code, rep2.Landed(), m2.Resources, rep2.Failed, r2.stdout, r2.stderr)
	}
	checkFailureLogEmpty(t, flog2)
	if !strings.Contains(r2.stdout, "✓ 1 of 2 nodes") || !strings.Contains(r2.stderr, "warning: node "+bed.Nodes[1]+": ") {
		t.Errorf("the run does not say which node is down:\n%s\n%s", r2.stdout, r2.stderr)
	}
	if n := rep2.Nodes[1]; n.Up || n.Resources != 0 {
		t.Errorf("the dead node: got %+v, want no work and down", n)
	}
}

// TestClusterRacesAreRetried: four uploads of the same data at once, each
// through both nodes, in small Bundles: nodes create the same ids at the
// same moment, and PostgreSQL's unique index picks losers (HAPI answers
// them 409 "HAPI-0550: HAPI-0825: ... client-assigned ID constraint
// failure"). Every loser is sent again until it lands: no run has a
// failure, and each resource is created by exactly one run.
func TestClusterRacesAreRetried(t *testing.T) {
	bed := testbed.TwoNodes(t)
	dir, m := mimicDataGzip(t, 5, synth.GzipNone)
	logs := []string{filepath.Join(bed.State, "hapi.log"), filepath.Join(bed.State, "hapi-2.log")}
	before := make([]int, len(logs))
	for i, l := range logs {
		data, _ := os.ReadFile(l)
		before[i] = len(data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	const runs = 4
	type outcome struct {
		r    result
		rep  clusterReport
		flog string
	}
	results := make(chan outcome, runs)
	for range runs {
		go func() {
			flog := filepath.Join(t.TempDir(), "failures.log")
			r, rep := clusterUpload(ctx, t, bed.FHIRBaseURL, "-i", dir, "-c", "8", "-s", "10", "--tx-semantics=false",
				"--failure-log", flog, "--checkpoint-dir", t.TempDir())
			results <- outcome{r: r, rep: rep, flog: flog}
		}()
	}
	created, retries := 0, 0
	for range runs {
		o := <-results
		if o.r.code != cli.ExitOK || o.rep.Failed != 0 || o.rep.Read != m.Resources {
			t.Errorf("exit %d, read %d, failed %d\n%s\n%s", o.r.code, o.rep.Read, o.rep.Failed, o.r.stdout, o.r.stderr)
		}
		checkFailureLogEmpty(t, o.flog)
		created += o.rep.Created
		retries += o.rep.Retries
	}
	if created != m.Resources {
		t.Errorf("the runs created %d resources in all, want each of the %d once", created, m.Resources)
	}
	races := 0 // the losers the nodes logged: evidence that the test raced
	for i, l := range logs {
		if data, _ := os.ReadFile(l); len(data) >= before[i] {
			races += strings.Count(string(data[before[i]:]), "duplicate key value violates unique constraint")
		}
	}
	t.Logf("%d retries over %d runs; the nodes logged %d unique-index races", retries, runs, races)
	checkIdentical(t, server{base: bed.Nodes[1]}, dir)
}

// TestClusterResume: an upload through both nodes is interrupted, and run
// again with the nodes in the other order: it resumes from the client's
// checkpoint, whichever node confirmed a batch, and nothing is lost.
func TestClusterResume(t *testing.T) {
	bed := testbed.TwoNodes(t)
	dir, m := mimicDataGzip(t, 10, synth.GzipNone)
	ckpt, flog := t.TempDir(), filepath.Join(t.TempDir(), "failures.log")
	upload := func(ctx context.Context, base string) (result, clusterReport) {
		return clusterUpload(ctx, t, base, "-i", dir, "-c", "4", "-s", "20", "--failure-log", flog, "--checkpoint-dir", ckpt)
	}
	limit, cancelAll := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancelAll()
	ctx, interrupt := context.WithCancel(limit)
	go func() {
		defer interrupt()
		for ctx.Err() == nil {
			out, err := bed.SQL(ctx, `select count(*) from hfj_resource where left(fhir_id, length(:'p')) = :'p';`, "p="+m.Options.IDPrefix)
			var n int
			if err == nil {
				_, _ = fmt.Sscan(strings.TrimSpace(out), &n) // unparsed: 0, poll again
			}
			if n >= m.Resources/3 {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	r1, rep1 := upload(ctx, bed.Nodes[0]+","+bed.Nodes[1])
	if r1.code != cli.ExitInterrupted || !rep1.Interrupted {
		t.Fatalf("first run: exit %d, want %d (interrupted)\n%s\n%s", r1.code, cli.ExitInterrupted, r1.stdout, r1.stderr)
	}
	r2, rep2 := upload(limit, bed.Nodes[1]+","+bed.Nodes[0])
	if r2.code != cli.ExitOK || !rep2.Resumed || rep2.Skipped == 0 || rep2.Failed != 0 || rep2.Landed() != m.Resources {
		t.Fatalf("second run: exit %d, resumed %v, skipped %d, landed %d of %d, failed %d\n%s\n%s",
			r2.code, rep2.Resumed, rep2.Skipped, rep2.Landed(), m.Resources, rep2.Failed, r2.stdout, r2.stderr)
	}
	if !strings.Contains(r2.stdout, "Resuming an interrupted upload") {
		t.Errorf("the second run does not say it resumes:\n%s", r2.stdout)
	}
	checkFailureLogEmpty(t, flog)
	checkIdentical(t, server{base: bed.Nodes[0]}, dir)
	t.Logf("first run confirmed %d before the interrupt; nodes then %+v", rep1.Landed(), rep1.Nodes)
}
