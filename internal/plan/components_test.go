package plan

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// TestComponents labels graphs of many shapes with the union-find in
// memory and by contraction on disk (no memory for a union-find): every
// node gets the least key of its component, both ways.
func TestComponents(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	chain := func(n int, key func(i int) uint64) [][2]uint64 {
		var es [][2]uint64
		for i := 1; i < n; i++ {
			es = append(es, [2]uint64{key(i), key(i - 1)})
		}
		return es
	}
	random := func(nodes, edges int) [][2]uint64 {
		var es [][2]uint64
		for range edges {
			es = append(es, [2]uint64{uint64(rng.IntN(nodes)) + 1, uint64(rng.IntN(nodes)) + 1})
		}
		return es
	}
	cases := []struct {
		name  string
		edges [][2]uint64
	}{
		{"none", nil},
		{"one edge", [][2]uint64{{5, 3}}},
		{"ascending chain", chain(3000, func(i int) uint64 { return uint64(i) + 1 })},
		{"descending chain", chain(3000, func(i int) uint64 { return uint64(5000 - i) })},
		{"shuffled chain", chain(3000, func(i int) uint64 { return rng.Uint64() })},
		{"star", star(2000)},
		{"sparse random", random(5000, 2000)},
		{"dense random", random(500, 3000)},
		{"duplicate edges", [][2]uint64{{1, 2}, {2, 1}, {1, 2}, {7, 9}, {9, 7}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := naiveLabels(tc.edges)
			for _, mem := range []int{1, 1 << 20} {
				g := &stepGraph{dir: t.TempDir(), mem: mem}
				und := g.sorter()
				for _, e := range tc.edges {
					if e[0] != e[1] {
						if err := errors.Join(und.add(e[0], e[1]), und.add(e[1], e[0])); err != nil {
							t.Fatal(err)
						}
					}
				}
				if err := und.finish(); err != nil {
					t.Fatal(err)
				}
				labels, err := g.components(und)
				if err != nil {
					t.Fatal(err)
				}
				got := map[uint64]uint64{}
				prev, first := pair{}, true
				err = each(labels, func(p pair) error {
					if !first && comparePairs(prev, p) >= 0 {
						t.Fatalf("memory %d: (%d, %d) after (%d, %d): not sorted", mem, p.key, p.val, prev.key, prev.val)
					}
					got[p.val], prev, first = p.key, p, false
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				g.done(labels)
				if len(got) != len(want) {
					t.Fatalf("memory %d: got %d nodes, want %d", mem, len(got), len(want))
				}
				for n, l := range want {
					if got[n] != l {
						t.Fatalf("memory %d: node %d labelled %d, want %d", mem, n, got[n], l)
					}
				}
				if mem == 1 && len(want) > 0 && g.rounds == 0 {
					t.Fatalf("memory %d: no contraction", mem)
				}
			}
		})
	}
}

// star returns the edges from nodes 1 to n-1 to node 0.
func star(n int) [][2]uint64 {
	var es [][2]uint64
	for i := 1; i < n; i++ {
		es = append(es, [2]uint64{uint64(i), 0})
	}
	return es
}

// naiveLabels labels each end of edges (but for self-loops) with the
// least node of its component.
func naiveLabels(edges [][2]uint64) map[uint64]uint64 {
	parent := map[uint64]uint64{}
	var find func(x uint64) uint64
	find = func(x uint64) uint64 {
		if parent[x] == x {
			return x
		}
		r := find(parent[x])
		parent[x] = r
		return r
	}
	for _, e := range edges {
		if e[0] == e[1] {
			continue
		}
		for _, x := range e {
			if _, ok := parent[x]; !ok {
				parent[x] = x
			}
		}
		a, b := find(e[0]), find(e[1])
		parent[max(a, b)] = min(a, b)
	}
	out := map[uint64]uint64{}
	for x := range parent {
		out[x] = find(x)
	}
	return out
}

// TestBuildChains plans Observations in long hasMember chains, some
// closed into cycles, with the graph in memory and on disk: each
// resource's wave is its depth in its chain, the cycles' members share
// one, and both plans place every resource alike.
func TestBuildChains(t *testing.T) {
	var b strings.Builder
	const chains, length = 40, 60
	for c := range chains {
		for i := range length {
			ref := ""
			switch {
			case i > 0:
				ref = fmt.Sprintf(`,"hasMember":[{"reference":"Observation/c%d-%d"}]`, c, i-1)
			case c%4 == 0: // the chain's first closes a cycle with its last
				ref = fmt.Sprintf(`,"hasMember":[{"reference":"Observation/c%d-%d"}]`, c, length-1)
			}
			fmt.Fprintf(&b, `{"resourceType":"Observation","id":"c%d-%d"%s}`+"\n", c, i, ref)
		}
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"Observation.ndjson": b.String()})
	files, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	plans := map[int]*Analysis{}
	for _, mem := range []int{1, 0} {
		p, err := Build(context.Background(), files, Options{Order: OrderData, TempDir: t.TempDir(), GraphMemory: mem})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Analysis.Close() })
		plans[mem] = p.Analysis
	}
	if a := plans[1]; a.Waves != length || a.Cycles != chains/4 || a.LargestCycle != length {
		t.Fatalf("%d waves, %d cycles, the largest %d; want %d, %d, %d", a.Waves, a.Cycles, a.LargestCycle, length, chains/4, length)
	}
	for c := range chains {
		for i := range length {
			id := fmt.Sprintf("c%d-%d", c, i)
			disk, mem := place(t, plans[1], "Observation", id), place(t, plans[0], "Observation", id)
			if disk != mem {
				t.Fatalf("%s: placed %+v on disk, %+v in memory", id, disk, mem)
			}
			if cyclic := c%4 == 0; cyclic != (disk.Cycle != 0) || !cyclic && disk.Wave != i {
				t.Fatalf("%s: placed %+v", id, disk)
			}
		}
	}
}
