package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
)

func writeLines(t *testing.T, path string, lines []string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSplitFiles(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "out")
	var big, small []string
	for i := range 1000 {
		big = append(big, fmt.Sprintf(`{"resourceType":"Observation","id":"o%d"}`, i))
	}
	for i := range 3 {
		small = append(small, fmt.Sprintf(`{"resourceType":"Organization","id":"g%d"}`, i))
	}
	writeLines(t, filepath.Join(src, "MimicObservation.ndjson"), big)
	writeLines(t, filepath.Join(src, "MimicOrganization.ndjson"), small)
	d, err := splitFiles(src, dst, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d.Resources != 1003 || d.Files < 99 || d.Files > 101 {
		t.Errorf("got %d files, %d resources, want about 100 files, 1003 resources", d.Files, d.Resources)
	}
	again, err := measureDir(dst)
	if err != nil || again.Resources != 1003 || again.Files != d.Files {
		t.Errorf("measureDir: got %d files, %d resources, %v", again.Files, again.Resources, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "MimicOrganization_part00001.ndjson")); err != nil {
		t.Error(err)
	}
}

func TestSingleFile(t *testing.T) {
	src := filepath.Join(t.TempDir(), "MimicObservation.ndjson")
	writeLines(t, src, []string{`{"resourceType":"Observation","id":"a","subject":{"id":"x"}}`, `{"resourceType":"Observation","id":"b"}`})
	dst := filepath.Join(t.TempDir(), "one.ndjson")
	d, err := singleFile(dst, []string{src}, 300)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	err = eachLine(dst, func(line []byte) error {
		m, err := ndjson.Inspect(line)
		if err != nil {
			return err
		}
		if seen[m.ID] {
			t.Errorf("id %s twice", m.ID)
		}
		seen[m.ID] = true
		return nil
	})
	if err != nil || d.Bytes < 300 || len(seen) != d.Resources {
		t.Errorf("got %d bytes, %d resources, %d ids, %v", d.Bytes, d.Resources, len(seen), err)
	}
	if !seen["r1-a"] || !seen["b"] {
		t.Errorf("got ids %v, want a, b, r1-a, ...", seen)
	}
}

func TestMapUUIDs(t *testing.T) {
	line := []byte(`{"id":"79a66c97-6131-3213-f3c9-4606946ab056","subject":{"reference":"Patient/79a66c97-6131-3213-f3c9-4606946ab056"},"x":"79a66c97"}`)
	if got := mapUUIDs(line, 0); string(got) != string(line) {
		t.Errorf("copy 0 changed the line: %s", got)
	}
	got := string(mapUUIDs(line, 3))
	m, err := ndjson.Inspect([]byte(`{"resourceType":"Patient",` + got[1:]))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "79a66c97-6131-3213-f3c9-4606946ab056" || !strings.HasSuffix(m.ID, "-6131-3213-f3c9-4606946ab056") {
		t.Errorf("got id %s", m.ID)
	}
	if !strings.Contains(got, "Patient/"+m.ID) || !strings.HasSuffix(got, `"x":"79a66c97"}`) {
		t.Errorf("reference or non-UUID changed: %s", got)
	}
}
