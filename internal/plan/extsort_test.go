package plan

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// TestSorter sorts random pairs (with repeats) in memory and through
// runs on disk, and compares with a sort of them all.
func TestSorter(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		memory int // bytes; 1024 pairs at the least
	}{
		{"empty", 0, 0},
		{"one", 1, 0},
		{"in memory", 1000, 1 << 20},
		{"exactly one buffer", 1024, 0},
		{"one more than a buffer", 1025, 0},
		{"many runs", 20000, 0},
		{"more runs than one merge reads", 1024*maxFanIn*2 + 7, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			s := newSorter(t.TempDir(), tc.memory)
			defer s.close()
			var want []pair
			for range tc.n {
				p := pair{rng.Uint64N(uint64(tc.n/2 + 1)), rng.Uint64()}
				want = append(want, p)
				if err := s.add(p.key, p.val); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.finish(); err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(want, comparePairs)
			for round := range 2 { // iter may be called again
				var got []pair
				it := s.iter()
				for p, ok := it.next(); ok; p, ok = it.next() {
					got = append(got, p)
				}
				if err := it.Err(); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got, cmp.AllowUnexported(pair{})); diff != "" {
					t.Fatalf("round %d: (-want +got)\n%s", round, diff)
				}
			}
			if wantRuns := tc.n > 1024 && tc.memory == 0; (s.disk > 0) != wantRuns {
				t.Errorf("%d bytes on disk for %d pairs", s.disk, tc.n)
			}
		})
	}
}

// TestBuildOnDisk plans MIMIC-shaped data with dangling references and
// duplicated ids twice: with the sorts and the graph of the references
// within steps in memory, and with them on disk (the sorts in many runs,
// the graph's components by contraction, its plan one component at a
// time, the placements in a file): the statistics, the dangling
// examples, and where every line goes and whether it is written are the
// same.
func TestBuildOnDisk(t *testing.T) {
	dir := t.TempDir()
	if _, err := synth.Generate(context.Background(), dir, synth.Options{Patients: 60, DanglingRefs: 7}); err != nil {
		t.Fatal(err)
	}
	// Duplicated ids: a copy of a file, partly changed.
	writeFiles(t, dir, map[string]string{"zz/MimicPatientCopy.ndjson": res("Patient", "pat-1") + res("Patient", "pat-2") + res("Patient", "pat-2")})
	files, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	build := func(memory int) *Plan {
		p, err := Build(context.Background(), files, Options{Order: OrderData, TempDir: t.TempDir(), SortMemory: memory, GraphMemory: memory})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Analysis.Close() })
		return p
	}
	mem, disk := build(0), build(1)
	if a := mem.Analysis; a.rounds != 0 || a.batches != 1 || a.placed.f != nil {
		t.Fatalf("in memory: %d contractions, %d batches, placements in a file %v; want 0, 1, false", a.rounds, a.batches, a.placed.f != nil)
	}
	t.Logf("on disk: %d contractions, %d batches, %d placements in a file", disk.Analysis.rounds, disk.Analysis.batches, disk.Analysis.placed.n)
	if a := disk.Analysis; a.rounds == 0 || a.batches < 100 || a.placed.f == nil {
		t.Fatalf("on disk: %d contractions, %d batches, placements in a file %v; want some, many, true", a.rounds, a.batches, a.placed.f != nil)
	}
	if disk.Analysis.TempBytes <= mem.Analysis.TempBytes {
		t.Fatalf("the sorts wrote %d bytes with 1 byte of memory and %d with 8 MiB: no run went to disk",
			disk.Analysis.TempBytes, mem.Analysis.TempBytes)
	}
	ms, ds := mem.Analysis.Stats, disk.Analysis.Stats
	ms.TempBytes, ds.TempBytes = 0, 0
	if diff := cmp.Diff(ms, ds); diff != "" {
		t.Fatalf("stats differ (-memory +disk):\n%s", diff)
	}
	if ms.DanglingTotal == 0 || ms.Duplicates.IDs == 0 || ms.Cycles == 0 || ms.Waves < 2 || ms.Resources < 10000 {
		t.Fatalf("the data tests too little: %+v", ms)
	}
	for _, st := range mem.Steps {
		for _, f := range st.Files {
			_, err := eachLine(context.Background(), f, 1<<20, func(typ string, _ int, id []byte, l source.Line) {
				if a, b := place(t, mem.Analysis, typ, string(id)), place(t, disk.Analysis, typ, string(id)); a != b {
					t.Fatalf("%s/%s: placed %+v in memory, %+v on disk", typ, id, a, b)
				}
				if a, b := mem.Analysis.Written(typ, string(id), l.File, l.Num), disk.Analysis.Written(typ, string(id), l.File, l.Num); a != b {
					t.Fatalf("%s:%d: written %v in memory, %v on disk", l.File, l.Num, a, b)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
}
