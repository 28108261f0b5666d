package graph

import "testing"

// microShape returns the MIMIC microbiology Observations of one test:
// the test (MicroTest) hasMember each organism (MicroOrg), each organism
// derivedFrom the test and hasMember each of its susceptibilities
// (MicroSusc), each susceptibility derivedFrom its organism. It returns
// their keys (test first) and the references between them.
func microShape(test string, orgs, suscs int) (keys []uint64, edges [][2]uint64) {
	tk := Key("Observation", test)
	keys = append(keys, tk)
	for o := range orgs {
		ok := Key("Observation", test+"-org"+string(rune('a'+o)))
		keys = append(keys, ok)
		edges = append(edges, [2]uint64{tk, ok}, [2]uint64{ok, tk})
		for s := range suscs {
			sk := Key("Observation", test+"-org"+string(rune('a'+o))+"-susc"+string(rune('a'+s)))
			keys = append(keys, sk)
			edges = append(edges, [2]uint64{ok, sk}, [2]uint64{sk, ok})
		}
	}
	return keys, edges
}

func TestPlanMicrobiology(t *testing.T) {
	tests := []struct {
		name        string
		orgs, suscs int
	}{
		{"one organism one susceptibility", 1, 1},
		{"two organisms", 2, 3},
		{"organism without susceptibility", 1, 0},
		{"many", 4, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const perSet = 50
			// Nodes are numbered as the planner numbers them: by key. A
			// Specimen and a Patient are referenced, but other types, so
			// the caller adds no edge to them.
			node := map[uint64]uint32{}
			add := func(k uint64) {
				if _, ok := node[k]; !ok {
					node[k] = uint32(len(node))
				}
			}
			add(Key("Specimen", "s1"))
			add(Key("Patient", "p1"))
			var tests [][]uint64
			var edges [][2]uint64
			for i := range perSet {
				k, e := microShape("t"+string(rune('A'+i)), tt.orgs, tt.suscs)
				for _, key := range k {
					add(key)
				}
				tests = append(tests, k)
				edges = append(edges, e...)
			}
			g := New(len(node))
			for _, e := range edges {
				g.AddEdge(node[e[0]], node[e[1]])
			}
			r := g.Plan()
			size := 1 + tt.orgs + tt.orgs*tt.suscs
			if r.Stats().Cycles != perSet || r.Stats().LargestCycle != size || r.Stats().Levels != 1 {
				t.Fatalf("got %d cycles, largest %d, %d levels, want %d, %d, 1", r.Stats().Cycles, r.Stats().LargestCycle, r.Stats().Levels, perSet, size)
			}
			seen := map[uint32]bool{}
			for _, keys := range tests {
				c := r.Component(node[keys[0]])
				if seen[c] {
					t.Errorf("two tests share component %d", c)
				}
				seen[c] = true
				for _, k := range keys {
					if got := r.Component(node[k]); got != c {
						t.Errorf("got component %d, want %d as the test's", got, c)
					}
				}
			}
		})
	}
}
