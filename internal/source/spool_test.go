package source

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpoolLines(t *testing.T) {
	var b []byte
	b = AppendSpoolLine(b, "fhir/Ñandú \"quoted\".json", 12, "", []byte(`{"resourceType":"Patient","id":"a"}`))
	b = AppendSpoolLine(b, "fhir/x.json", 3, "the entry has no resource", []byte(`{"fullUrl":"urn:uuid:1"}`))
	b = AppendSpoolLine(b, "fhir/x.json", 4, "cut short", nil)
	b = append(b, "not a spool line\n"...)
	path := filepath.Join(t.TempDir(), "Patient.ndjson")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	f := SpoolFile("Bundle entries [Patient]", int64(len(b)), "v", "Patient", func(context.Context) (io.ReadCloser, error) { return os.Open(path) })
	if f.KnownType != "Patient" {
		t.Errorf("KnownType %q", f.KnownType)
	}
	got := read(t, f, 0)
	want := []string{
		`fhir/Ñandú "quoted".json:12 {"resourceType":"Patient","id":"a"}`,
		`fhir/x.json:3 !the entry has no resource {"fullUrl":"urn:uuid:1"}`,
		`fhir/x.json:4 !cut short `,
		`Bundle entries [Patient]:4 !` + errBadSpool.Error() + ` `,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if bytes.Count(b, []byte("\n")) != 4 {
		t.Errorf("a spool line holds a newline: %q", b)
	}
}
