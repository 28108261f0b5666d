package transfer

import (
	"fmt"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

// TestSpillCycleBuckets spills the members of interleaved cycles into
// one bucket and into several: each cycle comes back whole, once, its
// members in spill order, and the plain resources in spill order.
func TestSpillCycleBuckets(t *testing.T) {
	for _, buckets := range []int{1, 3} {
		t.Run(fmt.Sprint(buckets, " buckets"), func(t *testing.T) {
			s := &spill{tempDir: t.TempDir(), buckets: buckets}
			defer s.remove()
			const cycles, members = 10, 4
			for m := range members {
				for c := 1; c <= cycles; c++ {
					e := entry{file: "a\tb.ndjson", line: c*members + m, typ: "Observation", id: fmt.Sprintf("c%d-m%d", c, m)}
					if err := s.add(plan.Placement{Wave: 1, Cycle: uint32(c)}, e, []byte(`{"resourceType":"Observation"}`)); err != nil {
						t.Fatal(err)
					}
				}
				e := entry{file: "p.ndjson", line: m, typ: "Observation", id: fmt.Sprint("p", m)}
				if err := s.add(plan.Placement{Wave: 1}, e, []byte(`{}`)); err != nil {
					t.Fatal(err)
				}
			}
			seen := map[uint32]bool{}
			err := s.eachCycle(1, func(group []spilled) error {
				c := group[0].e.cycle
				if seen[c] || len(group) != members {
					t.Errorf("cycle %d: again %v, %d members, want %d", c, seen[c], len(group), members)
				}
				seen[c] = true
				for m, sp := range group {
					if want := fmt.Sprintf("c%d-m%d", c, m); sp.e.id != want || sp.e.cycle != c || sp.e.file != "a\tb.ndjson" {
						t.Errorf("got %+v, want %s of cycle %d", sp.e, want, c)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != cycles {
				t.Errorf("got %d cycles, want %d", len(seen), cycles)
			}
			n := 0
			err = s.eachPlain(1, func(sp spilled) error {
				if want := fmt.Sprint("p", n); sp.e.id != want {
					t.Errorf("got %s, want %s", sp.e.id, want)
				}
				n++
				return nil
			})
			if err != nil || n != members {
				t.Fatalf("got %d plain resources (%v), want %d", n, err, members)
			}
		})
	}
}
