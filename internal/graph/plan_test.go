package graph

import (
	"slices"
	"testing"
)

type edge [2]uint32

// newGraph returns a graph of n nodes with edges.
func newGraph(n int, edges []edge) *Graph {
	g := New(n)
	g.Grow(len(edges))
	for _, e := range edges {
		g.AddEdge(e[0], e[1])
	}
	return g
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		edges  []edge
		levels []int32    // per node
		cycles [][]uint32 // nodes of each cycle
		self   int        // self-loops
	}{
		{"no nodes", 0, nil, nil, nil, 0},
		{"no edges", 3, nil, []int32{0, 0, 0}, nil, 0},
		{"chain", 4, []edge{{0, 1}, {1, 2}, {2, 3}}, []int32{3, 2, 1, 0}, nil, 0},
		{"reverse chain", 4, []edge{{3, 2}, {2, 1}, {1, 0}}, []int32{0, 1, 2, 3}, nil, 0},
		{"diamond", 4, []edge{{0, 1}, {0, 2}, {1, 3}, {2, 3}}, []int32{2, 1, 1, 0}, nil, 0},
		{"longest path wins", 3, []edge{{0, 2}, {0, 1}, {1, 2}}, []int32{2, 1, 0}, nil, 0},
		{"2-cycle", 2, []edge{{0, 1}, {1, 0}}, []int32{0, 0}, [][]uint32{{0, 1}}, 0},
		{"3-cycle plus tail", 5, []edge{{0, 1}, {1, 2}, {2, 0}, {2, 3}, {4, 0}},
			[]int32{1, 1, 1, 0, 2}, [][]uint32{{0, 1, 2}}, 0},
		{"self-loop", 3, []edge{{0, 0}, {1, 0}, {2, 2}}, []int32{0, 1, 0}, nil, 2},
		{"self-loop in a cycle", 2, []edge{{0, 0}, {0, 1}, {1, 0}}, []int32{0, 0}, [][]uint32{{0, 1}}, 1},
		{"disconnected", 5, []edge{{0, 1}, {2, 3}}, []int32{1, 0, 1, 0, 0}, nil, 0},
		{"duplicates", 2, []edge{{0, 1}, {0, 1}, {0, 1}}, []int32{1, 0}, nil, 0},
		{"cycle references cycle", 5, []edge{{0, 1}, {1, 0}, {1, 2}, {2, 3}, {3, 2}, {4, 3}},
			[]int32{1, 1, 0, 0, 1}, [][]uint32{{0, 1}, {2, 3}}, 0},
		{"two cycles sharing a node", 5, []edge{{0, 1}, {1, 0}, {1, 2}, {2, 1}, {3, 4}},
			[]int32{0, 0, 0, 1, 0}, [][]uint32{{0, 1, 2}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(tt.n, tt.edges)
			r := g.Plan()
			for v, want := range tt.levels {
				if got := r.Level(uint32(v)); got != want {
					t.Errorf("Level(%d): got %d, want %d", v, got, want)
				}
			}
			inCycle := map[uint32]bool{}
			for _, cyc := range tt.cycles {
				c := r.Component(cyc[0])
				for _, v := range cyc {
					inCycle[v] = true
					if got := r.Component(v); got != c {
						t.Errorf("Component(%d): got %d, want %d as node %d", v, got, c, cyc[0])
					}
				}
				if !r.IsCycle(c) || r.CycleSize(c) != len(cyc) {
					t.Errorf("cycle %v: got IsCycle %v, size %d, want true, %d", cyc, r.IsCycle(c), r.CycleSize(c), len(cyc))
				}
			}
			for v := range uint32(tt.n) {
				if c := r.Component(v); !inCycle[v] && r.IsCycle(c) {
					t.Errorf("node %d: got in a cycle of %d, want in none", v, r.CycleSize(c))
				}
			}
			st := r.Stats()
			wantLevels := 0
			if len(tt.levels) > 0 {
				wantLevels = int(slices.Max(tt.levels)) + 1
			}
			largest := 0
			for _, c := range tt.cycles {
				largest = max(largest, len(c))
			}
			if st.Levels != wantLevels || r.Stats().Levels != wantLevels {
				t.Errorf("Levels: got %d, want %d", st.Levels, wantLevels)
			}
			if st.Cycles != len(tt.cycles) || r.Stats().Cycles != len(tt.cycles) || r.Stats().LargestCycle != largest {
				t.Errorf("Cycles, LargestCycle: got %d, %d, want %d, %d", st.Cycles, r.Stats().LargestCycle, len(tt.cycles), largest)
			}
			if st.SelfLoops != tt.self || st.Edges+st.SelfLoops != len(tt.edges) {
				t.Errorf("SelfLoops, Edges: got %d, %d, want %d, %d", st.SelfLoops, st.Edges, tt.self, len(tt.edges)-tt.self)
			}
		})
	}
}

func TestPlanUntouched(t *testing.T) {
	r := newGraph(3, []edge{{0, 1}, {2, 2}}).Plan()
	c := r.Component(2)
	if c != NoComponent || r.IsCycle(c) || r.CycleSize(c) != 1 || r.Level(2) != 0 {
		t.Errorf("node with only a self-loop: got component %d, cycle %v, size %d, level %d, want none",
			c, r.IsCycle(c), r.CycleSize(c), r.Level(2))
	}
	if got := r.Stats().Nodes; got != 2 {
		t.Errorf("Nodes: got %d, want 2", got)
	}
}

func TestAddEdgeOutOfRange(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("AddEdge(0, 2) on 2 nodes: got no panic, want one")
		}
	}()
	New(2).AddEdge(0, 2)
}

// TestPlanAgain checks that Plan can be called again after more edges.
func TestPlanAgain(t *testing.T) {
	g := newGraph(3, []edge{{0, 1}})
	if got := g.Plan().Level(0); got != 1 {
		t.Errorf("Level(0): got %d, want 1", got)
	}
	g.AddEdge(1, 2)
	if got := g.Plan().Level(0); got != 2 {
		t.Errorf("Level(0) after adding 1 -> 2: got %d, want 2", got)
	}
}

// TestPlanLongChain checks a path of a million nodes, and a cycle as
// long: the search must not recurse.
func TestPlanLongChain(t *testing.T) {
	const n = 1_000_000
	tests := []struct {
		name    string
		closed  bool
		levels  int
		largest int
	}{
		{"chain", false, n, 0},
		{"cycle", true, 1, n},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := New(n)
			for i := range uint32(n - 1) {
				g.AddEdge(i, i+1)
			}
			if tt.closed {
				g.AddEdge(n-1, 0)
			}
			r := g.Plan()
			if r.Stats().Levels != tt.levels || r.Stats().LargestCycle != tt.largest {
				t.Errorf("got %d levels, largest cycle %d, want %d, %d", r.Stats().Levels, r.Stats().LargestCycle, tt.levels, tt.largest)
			}
			if got, want := r.Level(0), int32(tt.levels-1); got != want {
				t.Errorf("Level(0): got %d, want %d", got, want)
			}
		})
	}
}
