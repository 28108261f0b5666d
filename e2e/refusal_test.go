//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestRefusals: what the tool refuses and what HAPI refuses, each in true
// words, the rest landing. HAPI 8.8 stores OperationOutcome and
// Parameters like any resource; it stores Bundles of type document,
// message and collection only (its default bundleTypesAllowedForStorage),
// and refuses the others with HAPI-0522, naming Bundle.type.
func TestRefusals(t *testing.T) {
	bed := testbed.Default(t)
	id := randomID(t)
	dir, tmp := t.TempDir(), t.TempDir()
	write := func(name string, lines ...string) {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	}
	write("OperationOutcome.ndjson", fmt.Sprintf(`{"resourceType":"OperationOutcome","id":"%s-oo","issue":[{"severity":"error","code":"processing","diagnostics":"an export error"}]}`, id))
	write("Parameters.ndjson", fmt.Sprintf(`{"resourceType":"Parameters","id":"%s-par","parameter":[{"name":"x","valueString":"y"}]}`, id))
	stored := []string{"document", "message", "collection"}
	refused := []string{"transaction", "batch", "searchset", "history", "transaction-response", "batch-response", ""}
	var bundles []string
	for _, typ := range append(append([]string{}, stored...), refused...) {
		member := ""
		if typ != "" {
			member = fmt.Sprintf(`,"type":%q`, typ)
		}
		bundles = append(bundles, fmt.Sprintf(`{"resourceType":"Bundle","id":"%s-%s"%s}`, id, bundleID(typ), member))
	}
	write("Bundle.ndjson", bundles...)
	write("Patient.ndjson", fmt.Sprintf(`{"resourceType":"Patient","id":"%s-p"}`, id), fmt.Sprintf(`{"resourceType":"Patientt","id":"%s-q"}`, id))

	flog := filepath.Join(tmp, "failures.log")
	r := run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", dir, "--failure-log", flog, "--checkpoint-dir", filepath.Join(tmp, "ckpt"))
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	s := server{base: bed.FHIRBaseURL}
	for _, typ := range stored {
		// A search with _elements would strip the searchset Bundle itself.
		if b := s.read(t, "Bundle", id+"-"+typ); b["meta"].(map[string]any)["versionId"] != "1" || b["type"] != typ {
			t.Errorf("Bundle of type %s: got %v, want it stored at version 1", typ, b)
		}
	}
	for typ, ids := range map[string][]string{
		"OperationOutcome": {id + "-oo"}, "Parameters": {id + "-par"}, "Patient": {id + "-p"},
	} {
		got := s.versions(t, typ, ids)
		for _, i := range ids {
			if got[i] != "1" {
				t.Errorf("%s/%s: version %q, want 1", typ, i, got[i])
			}
		}
	}
	failures := readFailures(t, flog)
	if len(failures) != len(refused)+1 {
		t.Errorf("%d failure records, want %d: %v", len(failures), len(refused)+1, failures)
	}
	for i, typ := range refused {
		line := len(stored) + i + 1
		rec, ok := failures[fmt.Sprintf("Bundle.ndjson:%d", line)]
		name := typ
		if typ == "" {
			name = "(missing)"
		}
		want := "Bundle.type value of: " + name
		switch {
		case !ok:
			t.Errorf("Bundle of type %q (line %d) is not in the failure log", typ, line)
		case rec.Status != 422 || !strings.Contains(rec.Error, "HAPI-0522") || !strings.Contains(rec.Error, want):
			t.Errorf("Bundle of type %q: status %d %q, want 422 with HAPI-0522 and %q", typ, rec.Status, rec.Error, want)
		}
	}
	t.Logf("stdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	if rec := failures["Patient.ndjson:2"]; !strings.Contains(rec.Error, `"Patientt" is not a FHIR R4 resource type`) {
		t.Errorf("Patientt: failure %q, want that it is not an R4 type", rec.Error)
	}
}

func bundleID(typ string) string {
	if typ == "" {
		return "notype"
	}
	return typ
}
