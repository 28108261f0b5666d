//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// syntheaSeed is this file's Synthea seed: no other test loads it, so on
// a fresh server its resources are this test's alone. Its export (1,940
// resources) gives no Practitioner an NPI that the Synthea sample of testdata
// names in a conditional reference: two Practitioners with one NPI on the
// server make that reference ambiguous (HAPI-2207), so TestUploadSynthea
// would fail after this test (seed 910312 did so).
const syntheaSeed, syntheaPatients = 910315, 3

// TestSyntheaLoadsAndVerifies generates a real Synthea export (3 patients,
// fixed seed), uploads it into the default HAPI with default settings and
// expects no failure, then verify reports every resource present and
// identical. On a server that did not hold the export before, each is at
// version 1; otherwise the upload creates exactly what verify found
// missing, updates what it found differing, and no other version moves.
func TestSyntheaLoadsAndVerifies(t *testing.T) {
	bed := testbed.Default(t)
	settings := fhirSettings(bed.FHIRBaseURL)
	dir := syntheaExport(t, syntheaPatients, syntheaSeed)
	checkNPIsApart(t, dir, sampleData(t, "synthea-smart-bulk-10-patients"))
	last, _, lines := lastOccurrences(t, dir)
	distinct := len(last)
	if lines == distinct {
		t.Fatalf("the export repeats no id (%d lines): Synthea's provider files should", lines)
	}

	_, pre, _ := runVerify(t, settings, "-i", dir)
	tmp := t.TempDir()
	report := filepath.Join(tmp, "report.json")
	r := run(t, settings, "upload", "-i", dir, "--failure-log", filepath.Join(tmp, "failures.log"),
		"--report", report, "--checkpoint-dir", filepath.Join(tmp, "ckpt"))
	if r.code != cli.ExitOK {
		t.Fatalf("upload: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	sum := readReport(t, report)
	if sum.Failed != 0 || sum.Created+sum.Updated+sum.Unchanged != distinct || sum.DuplicatesSkipped != lines-distinct {
		t.Errorf("upload: got %d created, %d updated, %d unchanged, %d failed, %d duplicates skipped; want %d written, 0 failed, %d skipped",
			sum.Created, sum.Updated, sum.Unchanged, sum.Failed, sum.DuplicatesSkipped, distinct, lines-distinct)
	}
	fresh := pre.Total.Found == 0
	t.Logf("%d lines, %d resources; before the upload %d on the server (%d differing); upload: %d created, %d updated, %d unchanged, %d duplicates skipped",
		lines, distinct, pre.Total.Found, pre.Total.Differing, sum.Created, sum.Updated, sum.Unchanged, sum.DuplicatesSkipped)
	// Whatever the server held before (a rerun, or providers that other
	// Synthea exports share), the upload writes each resource once: it
	// creates what was missing, updates what differed, leaves the rest.
	if sum.Created != pre.Total.Missing || sum.Updated != pre.Total.Differing || sum.Unchanged != pre.Total.Found-pre.Total.Differing {
		t.Errorf("upload: got %d created, %d updated, %d unchanged; before it verify found %d missing, %d differing, %d identical",
			sum.Created, sum.Updated, sum.Unchanged, pre.Total.Missing, pre.Total.Differing, pre.Total.Found-pre.Total.Differing)
	}

	code, rep, _ := runVerify(t, settings, "-i", dir)
	if code != cli.ExitOK || !rep.Complete {
		t.Fatalf("verify: exit %d, complete %v; missing %v, differing %v", code, rep.Complete, rep.Missing, rep.Differing)
	}
	tot := rep.Total
	if tot.Input != distinct || tot.Found != distinct || tot.Missing+tot.Differing+tot.Unreadable != 0 || tot.Duplicates != lines-distinct {
		t.Errorf("verify: got %d compared, %d found, %d missing, %d differing, %d unreadable, %d duplicates; want %d, %d, 0, 0, 0, %d",
			tot.Input, tot.Found, tot.Missing, tot.Differing, tot.Unreadable, tot.Duplicates, distinct, distinct, lines-distinct)
	}
	// Versions: only the resources the upload updated may have moved.
	if fresh && tot.LaterVersion != 0 {
		t.Errorf("verify after a first upload: %d resources above version 1 (up to %d), want each at version 1", tot.LaterVersion, tot.MaxVersion)
	}
	if tot.LaterVersion > pre.Total.LaterVersion+sum.Updated {
		t.Errorf("verify: %d resources above version 1, before the upload %d, and the upload updated %d", tot.LaterVersion, pre.Total.LaterVersion, sum.Updated)
	}
	if sum.Updated == 0 {
		for _, tr := range rep.Types {
			if was := typeReport(pre, tr.Type); tr.LaterVersion != was.LaterVersion || was.Found > 0 && tr.MaxVersion != was.MaxVersion {
				t.Errorf("%s: versions moved during an upload that updated nothing: %d above 1 (max %d), before %d (max %d)",
					tr.Type, tr.LaterVersion, tr.MaxVersion, was.LaterVersion, was.MaxVersion)
			}
		}
	}

	// The readable report says the same.
	r = run(t, settings, "verify", "-i", dir)
	want := fmt.Sprintf("Result: complete: all %s resources are on the server with the same content", thousands(distinct))
	if r.code != cli.ExitOK || !strings.Contains(r.stdout, want) {
		t.Errorf("verify: exit %d, stdout lacks %q:\n%s", r.code, want, r.stdout)
	}
	if fresh && !strings.Contains(r.stdout, "each at version 1") {
		t.Errorf("verify after a first upload: stdout lacks %q:\n%s", "each at version 1", r.stdout)
	}

	// The content, checked without the tool's own code: every resource,
	// whole, and each repeated id holding its last occurrence in input
	// order.
	if n := checkWholeContent(t, server{base: bed.FHIRBaseURL}, dir); n != distinct {
		t.Errorf("compared %d resources, want %d", n, distinct)
	}
}

// TestVerifyFindsMissingAndChanged loads a few real Synthea providers
// under ids of this run, then changes one on the server and adds one to
// the input that was never loaded: verify names both, exits 3, and says
// the same for the input read from a bucket. A resource that HAPI writes
// back differently (empty values, narrative, meta.profile order) counts
// as normalised, not differing: each of the six kinds verify knows shows
// on the real server.
func TestVerifyFindsMissingAndChanged(t *testing.T) {
	bed := testbed.Default(t)
	settings := minioSettings(bed)
	src := syntheaExport(t, syntheaPatients, syntheaSeed)
	p := randomID(t)
	relabel := func(file string, n int, prefix string) []map[string]any {
		data, err := os.ReadFile(filepath.Join(src, file))
		must(t, err)
		var out []map[string]any
		for i, line := range strings.SplitN(string(data), "\n", n+1)[:n] {
			var m map[string]any
			must(t, json.Unmarshal([]byte(line), &m))
			m["id"] = fmt.Sprintf("%s-%s%d", p, prefix, i)
			out = append(out, m)
		}
		return out
	}
	orgs := relabel("Organization.ndjson", 3, "o")
	orgs = append(orgs, map[string]any{
		"resourceType": "Organization", "id": p + "-norm", "name": "normalised", "alias": []any{},
		"identifier": []any{map[string]any{"system": "http://example.org/verify-test", "value": p + "-norm"}},
		"meta":       map[string]any{"profile": []any{"http://example.org/z", "http://example.org/a"}},
		"text":       map[string]any{"status": "generated", "div": `<div xmlns="http://www.w3.org/1999/xhtml"><p>a<br></br>b</p></div>`},
	})
	pracs := relabel("Practitioner.ndjson", 2, "p")
	// What HAPI writes back otherwise: a number in another notation, a
	// versioned reference, a conditional reference (resolved on write).
	obs := []map[string]any{{
		"resourceType": "Observation", "id": p + "-obs", "status": "final", "code": map[string]any{"text": "verify test"},
		"valueQuantity": map[string]any{"value": json.Number("1e2"), "unit": "mg"},
		"focus":         []any{map[string]any{"reference": "Organization/" + p + "-o1/_history/1"}},
		"performer":     []any{map[string]any{"reference": "Organization?identifier=http://example.org/verify-test|" + p + "-norm"}},
	}}
	dir := t.TempDir()
	write := func(name string, rs []map[string]any) []byte {
		var b strings.Builder
		for _, r := range rs {
			line, err := json.Marshal(r)
			must(t, err)
			b.Write(line)
			b.WriteByte('\n')
		}
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644))
		return []byte(b.String())
	}
	write("Organization.ndjson", orgs)
	write("Practitioner.ndjson", pracs)
	obsData := write("Observation.ndjson", obs)
	tmp := t.TempDir()
	r := run(t, settings, "upload", "-i", dir, "--failure-log", filepath.Join(tmp, "failures.log"), "--checkpoint-dir", filepath.Join(tmp, "ckpt"))
	if r.code != cli.ExitOK {
		t.Fatalf("upload: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	code, rep, _ := runVerify(t, settings, "-i", dir)
	if code != cli.ExitOK || !rep.Complete || rep.Total.Found != 7 || rep.Total.LaterVersion != 0 {
		t.Fatalf("verify after the upload: exit %d, complete %v, %d of 7 found, %d above version 1; differing %v",
			code, rep.Complete, rep.Total.Found, rep.Total.LaterVersion, rep.Differing)
	}
	norms := map[string]int{}
	for _, n := range rep.Normalised {
		norms[n.Key] = n.Resources
	}
	for _, k := range []string{"empty-dropped", "narrative-xhtml", "meta-sets-sorted", "decimal-notation", "reference-version-dropped", "conditional-reference-resolved"} {
		if norms[k] < 1 {
			t.Errorf("normalisation %s not reported; got %v", k, norms)
		}
	}
	if got := typeReport(rep, "Organization").Normalised; got < 1 {
		t.Errorf("Organization: got %d normalised, want at least 1", got)
	}
	if got := typeReport(rep, "Observation"); got.Normalised != 1 || got.Differing != 0 {
		t.Errorf("Observation: got %d normalised, %d differing; want 1, 0", got.Normalised, got.Differing)
	}

	// One changed on the server, one in the input that was never loaded.
	changed := orgs[0]
	changed["name"] = "changed on the server"
	body, err := json.Marshal(changed)
	must(t, err)
	s := server{base: bed.FHIRBaseURL}
	if code, b := s.do(t, "PUT", "Organization/"+p+"-o0", body, nil); code != 200 {
		t.Fatalf("PUT the changed Organization: HTTP %d: %s", code, b)
	}
	orgs[0] = relabel("Organization.ndjson", 1, "o")[0] // the input keeps the original
	orgs = append(orgs, map[string]any{"resourceType": "Organization", "id": p + "-missing", "name": "never loaded"})
	orgData := write("Organization.ndjson", orgs)
	pracData, err := os.ReadFile(filepath.Join(dir, "Practitioner.ndjson"))
	must(t, err)

	check := func(t *testing.T, input string) {
		code, rep, r := runVerify(t, settings, "-i", input)
		if code != cli.ExitFailures || rep.Complete {
			t.Fatalf("verify: exit %d, complete %v; want %d, false\nstderr:\n%s", code, rep.Complete, cli.ExitFailures, r.stderr)
		}
		org := typeReport(rep, "Organization")
		if org.Input != 5 || org.Found != 4 || org.Missing != 1 || org.Differing != 1 || org.LaterVersion != 1 || org.MaxVersion != 2 {
			t.Errorf("Organization: got %+v; want 5 compared, 4 found, 1 missing, 1 differing, 1 at version 2", org)
		}
		if pr := typeReport(rep, "Practitioner"); pr.Input != 2 || pr.Found != 2 || pr.Missing+pr.Differing != 0 {
			t.Errorf("Practitioner: got %+v; want 2 found, none missing or differing", pr)
		}
		if len(rep.Missing) != 1 || rep.Missing[0].ID != p+"-missing" || rep.Missing[0].Line != 5 {
			t.Errorf("missing: got %+v, want %s-missing at line 5", rep.Missing, p)
		}
		if len(rep.Differing) != 1 || rep.Differing[0].ID != p+"-o0" || rep.Differing[0].Path != "Organization.name" ||
			rep.Differing[0].Server != `"changed on the server"` {
			t.Errorf("differing: got %+v, want %s-o0 at Organization.name", rep.Differing, p)
		}
	}
	t.Run("folder", func(t *testing.T) {
		check(t, dir)
		r := run(t, settings, "verify", "-i", dir)
		t.Logf("verify's report:\n%s", r.stdout)
		for _, want := range []string{"Result: INCOMPLETE: of 8 resources, 1 missing, 1 differing", "Organization/" + p + "-o0 (Organization.ndjson:1): Organization.name", "Organization/" + p + "-missing (Organization.ndjson:5)"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("verify: stdout lacks %q:\n%s", want, r.stdout)
			}
		}
		if r.code != cli.ExitFailures {
			t.Errorf("verify: exit %d, want %d", r.code, cli.ExitFailures)
		}
	})
	t.Run("bucket", func(t *testing.T) {
		name := makeBucket(t, bed, map[string][]byte{"export/Organization.ndjson": orgData, "export/Practitioner.ndjson": pracData, "export/Observation.ndjson": obsData})
		check(t, "s3://"+name+"/export")
	})
}

// thousands writes n with commas, as the CLI does.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
