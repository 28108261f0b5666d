package plan

import (
	"context"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// mimicPlan plans, in data order, MIMIC-shaped data of the given number
// of patients (about 200 resources each).
func mimicPlan(tb testing.TB, patients int) *Plan {
	tb.Helper()
	dir := tb.TempDir()
	if _, err := synth.Generate(context.Background(), dir, synth.Options{Patients: patients}); err != nil {
		tb.Fatal(err)
	}
	files, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	p, err := Build(context.Background(), files, Options{Order: OrderData})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// place is Analysis.Place, failing tb on an error.
func place(tb testing.TB, a *Analysis, typ, id string) Placement {
	tb.Helper()
	p, err := a.Place(typ, id)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// unfiltered is Place by key without the filter.
func unfiltered(tb testing.TB, a *Analysis, key uint64) Placement {
	tb.Helper()
	if a.placed == nil {
		return Placement{}
	}
	p, err := a.placed.get(key)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestPlaceFilter: Place, which skips the search of the placements for
// keys its filter clears, gives every resource of MIMIC-shaped data
// (waves and cycles included) what a search of the placements gives.
func TestPlaceFilter(t *testing.T) {
	p := mimicPlan(t, 40)
	a := p.Analysis
	if a.Cycles == 0 || a.Waves < 2 {
		t.Fatalf("the data has %d cycles and %d waves: it tests too little", a.Cycles, a.Waves)
	}
	placed, total := 0, 0
	for _, st := range p.Steps {
		for _, f := range st.Files {
			_, err := eachLine(context.Background(), f, 1<<20, func(typ string, _ int, id []byte, _ source.Line) {
				total++
				got, want := place(t, a, typ, string(id)), unfiltered(t, a, graph.KeyBytes(typ, id))
				if got != want {
					t.Fatalf("%s/%s: Place = %+v, the nodes say %+v", typ, id, got, want)
				}
				if got != (Placement{}) {
					placed++
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	if placed == 0 || placed == total {
		t.Fatalf("%d of %d resources placed after wave 0: the filter is not tested", placed, total)
	}
	if got := place(t, a, "Patient", "no-such-patient"); got != (Placement{}) {
		t.Errorf("an unknown resource: got %+v", got)
	}
}

// BenchmarkPlace asks where each resource of a MIMIC-shaped input of
// about a million resources goes, as transfer does for every line: with
// the placed filter (Place) and with a search of the placements only
// (unfiltered). The filter pays when most resources are in wave 0 and the
// placements are too many for the CPU's caches.
func BenchmarkPlace(b *testing.B) {
	p := mimicPlan(b, 5000)
	var typs, ids []string
	for _, st := range p.Steps {
		for _, f := range st.Files {
			_, err := eachLine(context.Background(), f, 1<<20, func(typ string, _ int, id []byte, _ source.Line) {
				typs, ids = append(typs, typ), append(ids, string(id))
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	a := p.Analysis
	b.Logf("%d resources", len(ids))
	b.Run("filter", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for i := range ids {
				n += place(b, a, typs[i], ids[i]).Wave
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/resource")
	})
	b.Run("index", func(b *testing.B) {
		n := 0
		for b.Loop() {
			for i := range ids {
				n += unfiltered(b, a, graph.Key(typs[i], ids[i])).Wave
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/resource")
	})
}
