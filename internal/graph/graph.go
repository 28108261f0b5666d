package graph

import "fmt"

// Graph holds the references between resources that decide their order:
// an edge src -> dst says that node src references node dst, so dst must
// be written first. Nodes are numbered from 0. Only edges that
// matter need be added (between resources whose types reference each
// other); a node without edges is at level 0 and in no cycle.
//
// Edges take 8 bytes each. Duplicate edges are allowed; self-loops are
// counted and otherwise ignored (see Result.SelfLoops).
type Graph struct {
	n        int
	src, dst []uint32
}

// New returns an empty graph of n nodes, numbered 0 to n-1.
func New(n int) *Graph {
	if n < 0 || uint64(n) > uint64(none) {
		panic(fmt.Sprintf("graph: %d nodes out of range", n))
	}
	return &Graph{n: n}
}

// Grow makes room for m more edges.
func (g *Graph) Grow(m int) {
	g.src = growCap(g.src, m)
	g.dst = growCap(g.dst, m)
}

func growCap(s []uint32, m int) []uint32 {
	if cap(s)-len(s) >= m {
		return s
	}
	t := make([]uint32, len(s), len(s)+m)
	copy(t, s)
	return t
}

// AddEdge records that node src references node dst. It panics if
// either is not a node of the graph, as an index out of range does.
func (g *Graph) AddEdge(src, dst uint32) {
	if int(src) >= g.n || int(dst) >= g.n {
		panic(fmt.Sprintf("graph: edge %d -> %d out of range [0, %d)", src, dst, g.n))
	}
	g.src = append(g.src, src)
	g.dst = append(g.dst, dst)
}
