//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestUploadDuplicateIDs: ids repeated within a file and across files
// (as Synthea's Organization.ndjson and Organization.<timestamp>.ndjson)
// land once each, at version 1, with the content of their last
// occurrence in input order; the others count as duplicates skipped.
func TestUploadDuplicateIDs(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	org := func(id, name string) string {
		return fmt.Sprintf(`{"resourceType":"Organization","id":"%s-%s","name":%q}`+"\n", p, id, name)
	}
	dir := writeTree(t, map[string]string{
		// Input order: Organization.1690000.ndjson, Organization.ndjson, sub/Organization.ndjson.
		"Organization.1690000.ndjson": org("a", "a-old") + org("b", "b-only") + org("c", "c-1"),
		"Organization.ndjson":         org("a", "a-new") + org("c", "c-2") + org("d", "d-1") + org("d", "d-2"),
		"sub/Organization.ndjson":     org("c", "c-3"),
	})
	r, sum := uploadOK(t, bed.FHIRBaseURL, dir, "-s", "2", "-c", "2")
	for _, line := range []string{
		"Duplicate ids: 3 (3 with differing content; the last occurrence is written, 4 earlier skipped)",
		"Duplicates skipped: 4",
	} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, r.stdout)
		}
	}
	if sum.Read != 8 || sum.Created != 4 || sum.DuplicatesSkipped != 4 || sum.Failed != 0 {
		t.Errorf("read %d created %d duplicates skipped %d failed %d; want 8, 4, 4, 0", sum.Read, sum.Created, sum.DuplicatesSkipped, sum.Failed)
	}
	ids := []string{p + "-a", p + "-b", p + "-c", p + "-d"}
	vs := s.versions(t, "Organization", ids)
	if len(vs) != len(ids) {
		t.Errorf("%d of %d Organizations on the server", len(vs), len(ids))
	}
	for id, v := range vs {
		if v != "1" {
			t.Errorf("Organization/%s is at version %s, want 1 (written once)", id, v)
		}
	}
	if n := checkWholeContent(t, s, dir); n != 4 {
		t.Errorf("compared %d resources, want 4", n)
	}
	for id, want := range map[string]string{"a": "a-new", "b": "b-only", "c": "c-3", "d": "d-2"} {
		if got := s.read(t, "Organization", p+"-"+id)["name"]; got != want {
			t.Errorf("Organization/%s-%s: name %v, want %q (its last occurrence)", p, id, got, want)
		}
	}
}

// writeTree writes files (slash-separated names) into a new folder.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		must(t, os.MkdirAll(filepath.Dir(path), 0o755))
		must(t, os.WriteFile(path, []byte(content), 0o644))
	}
	return dir
}

// uploadOK uploads dir with args and its own failure log and checkpoint,
// fails the test unless it exits 0, and returns the run and its report.
func uploadOK(t *testing.T, base, dir string, args ...string) (result, transfer.Summary) {
	t.Helper()
	tmp := t.TempDir()
	report := filepath.Join(tmp, "report.json")
	args = append([]string{"upload", "-i", dir, "--failure-log", filepath.Join(tmp, "failures.log"), "--report", report, "--checkpoint-dir", tmp}, args...)
	r := run(t, fhirSettings(base), args...)
	if r.code != cli.ExitOK {
		t.Fatalf("upload: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r, readReport(t, report)
}
