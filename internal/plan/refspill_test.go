package plan

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

type spillView struct {
	File     string
	Line     int
	Type, ID string
	Hash     uint64
	Refs     []string
}

func readSpill(t *testing.T, sp *refSpill) []spillView {
	t.Helper()
	var out []spillView
	err := sp.each(context.Background(), func(r *spilledResource) {
		v := spillView{File: r.file, Line: r.line, Type: r.typ, ID: string(r.id), Hash: r.hash}
		for _, ref := range r.refs {
			v.Refs = append(v.Refs, ref.typ+"/"+string(ref.id))
		}
		out = append(out, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRefSpill: what is written reads back, in the order written, any
// number of times; a write after the first read is refused.
func TestRefSpill(t *testing.T) {
	sp, err := newRefSpill(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	pat, _ := fhirtype.Index("Patient")
	org, _ := fhirtype.Index("Organization")
	sp.file("b.ndjson")
	sp.resource(1, pat, []byte("p1"), 7)
	sp.ref(org, []byte("o1"))
	sp.url("http://ex.org/Library/x")
	sp.resource(2, pat, []byte("p2"), 8)
	sp.file("a.ndjson")
	sp.resource(3, org, []byte("o1"), 9)
	want := []spillView{
		{File: "b.ndjson", Line: 1, Type: "Patient", ID: "p1", Hash: 7, Refs: []string{"Organization/o1", "/http://ex.org/Library/x"}},
		{File: "b.ndjson", Line: 2, Type: "Patient", ID: "p2", Hash: 8},
		{File: "a.ndjson", Line: 3, Type: "Organization", ID: "o1", Hash: 9},
	}
	for pass := 0; pass < 2; pass++ {
		if diff := cmp.Diff(want, readSpill(t, sp)); diff != "" {
			t.Fatalf("pass %d (-want +got):\n%s", pass, diff)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a write after the spill was read: no panic")
		}
	}()
	sp.resource(4, pat, []byte("late"), 0)
}

// TestRefSpillDamaged: a damaged spill is an error, not a wrong plan.
func TestRefSpillDamaged(t *testing.T) {
	tests := []struct {
		name  string
		write func(sp *refSpill)
		want  error
	}{
		{"reference before a resource", func(sp *refSpill) { sp.file("a"); sp.ref(0, []byte("x")) }, nil},
		{"unknown record", func(sp *refSpill) { sp.w.WriteByte('?') }, nil},
		{"cut short", func(sp *refSpill) { sp.file("a"); sp.w.WriteByte(tagResource); sp.uvarint(1) }, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sp, err := newRefSpill(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer sp.close()
			tt.write(sp)
			err = sp.each(context.Background(), func(*spilledResource) {})
			if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("got %v, want an error (%v)", err, tt.want)
			}
		})
	}
}
