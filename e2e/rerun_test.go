//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// rerunReport is an upload's --report with the files a rerun left out.
type rerunReport struct {
	transfer.Summary
	UnchangedFiles int `json:"unchangedFiles"`
}

// loader returns a function that runs an upload with args (whose
// --report is report) and returns its output and report; what names the
// run in a failure.
func loader(t *testing.T, base, report string, args []string) func(what string) (result, rerunReport) {
	return func(what string) (result, rerunReport) {
		t.Helper()
		r := run(t, fhirSettings(base), args...)
		if r.code != cli.ExitOK {
			t.Fatalf("%s: exit %d\n%s\n%s", what, r.code, r.stdout, r.stderr)
		}
		var rep rerunReport
		data, err := os.ReadFile(report)
		must(t, err)
		must(t, json.Unmarshal(data, &rep))
		return r, rep
	}
}

// TestRerunSendsOnlyWhatChanged loads MIMIC-shaped data completely, then
// runs the same upload again: nothing is sent. After one file is added
// and another changed, the rerun sends exactly those two. A JSON file that
// is not FHIR counts as unchanged. After a
// resource of the first load is deleted on the server, the rerun sees it
// and sends everything again.
func TestRerunSendsOnlyWhatChanged(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	dir, m := mimicDataGzip(t, 3, synth.GzipNone)
	// A JSON file that is not FHIR beside the data (as a generator's
	// manifest): skipped with a warning, and no reason to read the input
	// again on a rerun.
	must(t, os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"generator":"test"}`), 0o644))
	entries, err := os.ReadDir(dir)
	must(t, err)
	nfiles := len(entries)
	tmp := t.TempDir()
	report := filepath.Join(tmp, "report.json")
	args := []string{"upload", "-i", dir, "--failure-log", filepath.Join(tmp, "f.log"), "--report", report}
	load := loader(t, bed.FHIRBaseURL, report, args)

	_, first := load("first load")
	if first.Landed() != m.Resources || first.Failed != 0 {
		t.Fatalf("first load: %d landed, %d failed; want %d, 0", first.Landed(), first.Failed, m.Resources)
	}

	r, again := load("rerun")
	if again.UnchangedFiles != nfiles || again.Read != 0 || regexp.MustCompile(`(?m)^\s+Batch \d+`).MatchString(r.stdout) {
		t.Errorf("rerun: %d files unchanged, %d resources read; want %d and 0, nothing sent:\n%s", again.UnchangedFiles, again.Read, nfiles, r.stdout)
	}
	if want := fmt.Sprintf("%d files unchanged since the load of ", nfiles); !strings.Contains(r.stdout, want) {
		t.Errorf("rerun: stdout lacks %q:\n%s", want, r.stdout)
	}

	// One file added, one changed (a line appended: its size changes).
	prefix := randomID(t)
	added := fmt.Sprintf(`{"resourceType":"Patient","id":"%s-new1"}`+"\n"+`{"resourceType":"Patient","id":"%s-new2"}`+"\n", prefix, prefix)
	must(t, os.WriteFile(filepath.Join(dir, "MimicPatientAdded.ndjson"), []byte(added), 0o644))
	org := filepath.Join(dir, "MimicOrganization.ndjson")
	orgLines := countLines(t, org)
	f, err := os.OpenFile(org, os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = fmt.Fprintf(f, `{"resourceType":"Organization","id":"%s-org","name":"added"}`+"\n", prefix)
	must(t, err)
	must(t, f.Close())

	r, partial := load("rerun after a change")
	if partial.UnchangedFiles != 0 { // some sent: the summary is the load's
		t.Errorf("rerun after a change: report says all %d files unchanged", partial.UnchangedFiles)
	}
	if partial.Files != 2 || partial.Read != 2+orgLines+1 || partial.Created != 3 || partial.Unchanged != orgLines || partial.Failed != 0 {
		t.Errorf("rerun after a change: %d files, %d read, %d created, %d unchanged, %d failed; want 2 files, %d read, 3 created, %d unchanged, 0 failed\n%s",
			partial.Files, partial.Read, partial.Created, partial.Unchanged, partial.Failed, 2+orgLines+1, orgLines, r.stdout)
	}
	// The plan's files that are not sent: all but the changed one and
	// the manifest, which is no data file of the plan.
	if want := fmt.Sprintf("%d files unchanged since the load of ", nfiles-2); !strings.Contains(r.stdout, want) {
		t.Errorf("rerun after a change: stdout lacks %q:\n%s", want, r.stdout)
	}

	// The added file's first Patient deleted on the server: the ledger's
	// sample of it is gone, so everything is sent again.
	if code, body := s.do(t, http.MethodDelete, "Patient/"+prefix+"-new1", nil, nil); code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("delete Patient/%s-new1: %d %s", prefix, code, body)
	}
	r, full := load("rerun after a delete")
	if !strings.Contains(r.stdout, "is not on the server: sending them again") || full.Read != m.Resources+3 || full.Failed != 0 {
		t.Errorf("rerun after a delete: %d read, %d failed; want %d read, 0 failed, and the reason:\n%s", full.Read, full.Failed, m.Resources+3, r.stdout)
	}
	if got := s.versions(t, "Patient", []string{prefix + "-new1"}); len(got) != 1 {
		t.Errorf("Patient/%s-new1 is not on the server again", prefix)
	}
}

// countLines counts the lines of a plain text file.
func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	must(t, err)
	return strings.Count(string(data), "\n")
}

// TestRerunBundles: a finished load records Bundle files as it records
// NDJSON files, each with the first resource written from it as its
// sample. The same upload again sends nothing. After one Bundle file
// changes, every Bundle entry is sent again (those not changed answered
// "unchanged") and the new one created. After a file's sample is deleted
// on the server, everything is sent again.
func TestRerunBundles(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	bundle := func(entries ...string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
	}
	patient := func(id string) string {
		return fmt.Sprintf(`{"fullUrl":"urn:uuid:%s","resource":{"resourceType":"Patient","id":"%s"},"request":{"method":"POST","url":"Patient"}}`, id, id)
	}
	obs := func(id, subject string) string {
		return fmt.Sprintf(`{"fullUrl":"urn:uuid:%s","resource":{"resourceType":"Observation","id":"%s","status":"final","code":{"text":"x"},`+
			`"subject":{"reference":"urn:uuid:%s"}},"request":{"method":"POST","url":"Observation"}}`, id, id, subject)
	}
	// The Observation first: it is a.json's sample, and deleting it
	// breaks no reference.
	dir := writeTree(t, map[string]string{
		"a.json": bundle(obs(p+"-a1", p+"-a"), patient(p+"-a")),
		"b.json": bundle(patient(p+"-b"), obs(p+"-b1", p+"-b")),
	})
	tmp := t.TempDir()
	report := filepath.Join(tmp, "report.json")
	args := []string{"upload", "-i", dir, "--failure-log", filepath.Join(tmp, "f.log"), "--report", report, "--checkpoint-dir", tmp}
	load := loader(t, bed.FHIRBaseURL, report, args)

	if _, first := load("first load"); first.Created != 4 || first.Failed != 0 {
		t.Fatalf("first load: %d created, %d failed; want 4, 0", first.Created, first.Failed)
	}
	r, again := load("rerun")
	if again.UnchangedFiles != 2 || again.Read != 0 || !strings.Contains(r.stdout, "2 files unchanged since the load of ") {
		t.Errorf("rerun: %d files unchanged, %d resources read; want 2 and 0, nothing sent:\n%s", again.UnchangedFiles, again.Read, r.stdout)
	}

	// b.json changed: an Observation more.
	must(t, os.WriteFile(filepath.Join(dir, "b.json"), []byte(bundle(patient(p+"-b"), obs(p+"-b1", p+"-b"), obs(p+"-b2", p+"-b"))), 0o644))
	r, partial := load("rerun after a change")
	if partial.Read != 5 || partial.Created != 1 || partial.Unchanged != 4 || partial.Failed != 0 {
		t.Errorf("rerun after a change: %d read, %d created, %d unchanged, %d failed; want 5, 1, 4, 0\n%s",
			partial.Read, partial.Created, partial.Unchanged, partial.Failed, r.stdout)
	}
	if _, again = load("rerun after the changed load"); again.UnchangedFiles != 2 || again.Read != 0 {
		t.Errorf("rerun after the changed load: %d files unchanged, %d read; want 2 and 0", again.UnchangedFiles, again.Read)
	}

	// a.json's sample deleted on the server: all is sent again.
	if code, body := s.do(t, http.MethodDelete, "Observation/"+p+"-a1", nil, nil); code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("delete Observation/%s-a1: %d %s", p, code, body)
	}
	r, full := load("rerun after a delete")
	if !strings.Contains(r.stdout, "is not on the server: sending them again") || full.Read != 5 || full.Created+full.Updated != 1 || full.Failed != 0 {
		t.Errorf("rerun after a delete: %d read, %d created, %d updated, %d failed; want 5 read, 1 written again, 0 failed, and the reason:\n%s",
			full.Read, full.Created, full.Updated, full.Failed, r.stdout)
	}
}

// TestRerunDuplicates: of a Type/id in two files, the later file's is
// written. When that file changes or leaves the input, a rerun writes
// the earlier file's although that file did not change; so too after
// the later occurrence came with a file added since the earlier file's
// load. The same for Bundle files.
func TestRerunDuplicates(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	patient := func(id, family string) string {
		return fmt.Sprintf(`{"resourceType":"Patient","id":"%s","name":[{"family":"%s"}]}`, id, family)
	}
	family := func(id string) string {
		t.Helper()
		code, body := s.do(t, http.MethodGet, "Patient/"+id, nil, nil)
		var res struct {
			Name []struct{ Family string } `json:"name"`
		}
		if code != http.StatusOK || json.Unmarshal(body, &res) != nil || len(res.Name) != 1 {
			t.Fatalf("GET Patient/%s: %d %s", id, code, body)
		}
		return res.Name[0].Family
	}
	x := p + "-x"
	dir := writeTree(t, map[string]string{
		"a/Patient.ndjson": patient(x, "A") + "\n" + patient(p+"-a", "A") + "\n",
		"b/Patient.ndjson": patient(x, "B") + "\n" + patient(p+"-b", "B") + "\n",
	})
	tmp := t.TempDir()
	report := filepath.Join(tmp, "report.json")
	args := []string{"upload", "-i", dir, "--failure-log", filepath.Join(tmp, "f.log"), "--report", report, "--checkpoint-dir", tmp}
	load := loader(t, bed.FHIRBaseURL, report, args)
	steps := []struct {
		name   string
		change func()
		read   int    // resources the rerun reads
		want   string // x's family after it
	}{
		{"first load", func() {}, 4, "B"},
		{"b's x gone", func() {
			must(t, os.WriteFile(filepath.Join(dir, "b", "Patient.ndjson"), []byte(patient(p+"-b", "B")+"\n"), 0o644))
		}, 3, "A"}, // a again (its x is the one to write now), and b
		{"c added with an x", func() {
			must(t, os.WriteFile(filepath.Join(dir, "c.ndjson"), []byte(patient(x, "C")+"\n"), 0o644))
		}, 1, "C"},
		{"c gone", func() { must(t, os.Remove(filepath.Join(dir, "c.ndjson"))) }, 2, "A"},
		{"the same again", func() {}, 0, "A"},
	}
	for _, st := range steps {
		st.change()
		r, rep := load(st.name)
		if rep.Read != st.read || rep.Failed != 0 {
			t.Errorf("%s: %d read, %d failed; want %d, 0\n%s", st.name, rep.Read, rep.Failed, st.read, r.stdout)
		}
		if got := family(x); got != st.want {
			t.Errorf("%s: Patient/%s is %s's; want %s's\n%s", st.name, x, got, st.want, r.stdout)
		}
	}

	// Bundles: the later Bundle file's Patient is written; without that
	// file the earlier one's is.
	bundle := func(id, family string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:` + id + `","resource":` + patient(id, family) +
			`,"request":{"method":"POST","url":"Patient"}}]}`
	}
	y := p + "-y"
	bdir := writeTree(t, map[string]string{"a.json": bundle(y, "A"), "b.json": bundle(y, "B")})
	args = []string{"upload", "-i", bdir, "--failure-log", filepath.Join(tmp, "fb.log"), "--report", report, "--checkpoint-dir", tmp}
	load = loader(t, bed.FHIRBaseURL, report, args)
	if _, rep := load("Bundles"); rep.Created != 1 || family(y) != "B" {
		t.Errorf("Bundles: %d created, Patient/%s is %s's; want 1, B's", rep.Created, y, family(y))
	}
	must(t, os.Remove(filepath.Join(bdir, "b.json")))
	if r, rep := load("Bundles, b.json gone"); rep.Read != 1 || family(y) != "A" {
		t.Errorf("Bundles, b.json gone: %d read, Patient/%s is %s's; want 1, A's\n%s", rep.Read, y, family(y), r.stdout)
	}
}
