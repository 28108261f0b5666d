package graph

import (
	"math/rand/v2"
	"testing"
)

// TestPlanRandom checks Plan on random graphs against a brute-force
// reachability: nodes share a component exactly when each reaches the
// other, every edge between components goes to a lower level and a lower
// component number, and each level is the longest path (not just any
// valid one).
func TestPlanRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 400 {
		n := 1 + r.IntN(40)
		m := r.IntN(3 * n)
		edges := make([]edge, m)
		for j := range edges {
			edges[j] = edge{uint32(r.IntN(n)), uint32(r.IntN(n))}
		}
		checkPlan(t, i, n, edges)
	}
}

func checkPlan(t *testing.T, iter, n int, edges []edge) {
	t.Helper()
	res := newGraph(n, edges).Plan()
	reach := closure(n, edges)
	touched := make([]bool, n)
	for _, e := range edges {
		if e[0] != e[1] {
			touched[e[0]], touched[e[1]] = true, true
		}
	}
	size := map[uint32]int{}
	for u := range n {
		cu := res.Component(uint32(u))
		if (cu == NoComponent) == touched[u] {
			t.Fatalf("graph %d %v: node %d: got component %d, touched %v", iter, edges, u, cu, touched[u])
		}
		size[cu]++
		for v := range n {
			same := cu != NoComponent && cu == res.Component(uint32(v))
			if want := u == v || reach[u][v] && reach[v][u]; same != want && touched[u] {
				t.Fatalf("graph %d %v: nodes %d, %d: got same component %v, want %v", iter, edges, u, v, same, want)
			}
		}
	}
	for c, k := range size {
		if c != NoComponent && res.CycleSize(c) != k {
			t.Fatalf("graph %d %v: component %d: got size %d, want %d", iter, edges, c, res.CycleSize(c), k)
		}
	}
	// want[c] is the longest-path level of component c.
	want := map[uint32]int32{}
	for _, e := range edges {
		cu, cv := res.Component(e[0]), res.Component(e[1])
		if e[0] == e[1] || cu == cv {
			continue
		}
		lu, lv := res.Level(e[0]), res.Level(e[1])
		if lu <= lv || cu <= cv {
			t.Fatalf("graph %d %v: edge %v: got levels %d -> %d, components %d -> %d, want both decreasing", iter, edges, e, lu, lv, cu, cv)
		}
		want[cu] = max(want[cu], lv+1)
	}
	for u := range n {
		c := res.Component(uint32(u))
		if got := res.Level(uint32(u)); got != want[c] {
			t.Fatalf("graph %d %v: node %d: got level %d, want %d", iter, edges, u, got, want[c])
		}
	}
}

// closure returns reach[u][v]: a path of one or more edges leads from u
// to v.
func closure(n int, edges []edge) [][]bool {
	reach := make([][]bool, n)
	for u := range reach {
		reach[u] = make([]bool, n)
	}
	for _, e := range edges {
		reach[e[0]][e[1]] = true
	}
	for k := range n {
		for u := range n {
			if reach[u][k] {
				for v := range n {
					reach[u][v] = reach[u][v] || reach[k][v]
				}
			}
		}
	}
	return reach
}
