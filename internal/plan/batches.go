package plan

import (
	"context"

	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
)

// batch is components planned together: the keys of their nodes, in
// rank order from rank base, and their edges as ranks (source<<32 |
// target), sorted.
type batch struct {
	base  uint64
	keys  []uint64
	edges []uint64
}

func (b *batch) cost() int { return len(b.keys)*batchNodeBytes + len(b.edges)*batchEdgeBytes }

// plan reads the components (labels, sorted by label then key, and
// packed, their edges by ranks) one by one, plans them in batches of
// about g.mem bytes, and returns where each resource that is not in
// wave 0 in no cycle goes. A component's plan does not depend on the
// components planned with it (see planBatch).
func (g *stepGraph) plan(ctx context.Context, labels, packed *sorter, a *Analysis) (*placements, error) {
	out := g.sorter()
	defer g.done(out)
	st := &graphTotals{}
	var cur, next batch // next gathers one component
	nodes, edges := labels.iter(), packed.iter()
	node, haveNode := nodes.next()
	edge, haveEdge := edges.next()
	for haveNode {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		next.base = cur.base + uint64(len(cur.keys))
		label := node.key
		for haveNode && node.key == label {
			next.keys = append(next.keys, node.val)
			node, haveNode = nodes.next()
		}
		end := next.base + uint64(len(next.keys))
		for haveEdge && edge.key>>32 < end {
			next.edges = append(next.edges, edge.key)
			edge, haveEdge = edges.next()
		}
		if len(cur.keys) > 0 && cur.cost()+next.cost() > g.mem {
			if err := g.planBatch(&cur, out, st); err != nil {
				return nil, err
			}
			cur.base = next.base
		}
		if len(cur.keys) == 0 { // take next's slices rather than copy them
			cur, next = next, batch{keys: cur.keys, edges: cur.edges}
		} else {
			cur.keys, cur.edges = append(cur.keys, next.keys...), append(cur.edges, next.edges...)
		}
		next.keys, next.edges = next.keys[:0], next.edges[:0]
	}
	if err := nodes.Err(); err != nil {
		return nil, err
	}
	if err := edges.Err(); err != nil {
		return nil, err
	}
	if err := g.planBatch(&cur, out, st); err != nil {
		return nil, err
	}
	if err := out.finish(); err != nil {
		return nil, err
	}
	a.Waves, a.Cycles, a.CycleNodes, a.LargestCycle = max(1, st.levels), st.cycles, st.cycleNodes, st.largest
	return newPlacements(g.dir, out, st.placed, g.mem)
}

// graphTotals sums up the batches' plans.
type graphTotals struct {
	components                                  uint32 // numbered so far
	placed, levels, cycles, cycleNodes, largest int
}

// planBatch plans the components of b with graph.Plan, adds to out the
// placement of each node that is not in wave 0 in no cycle (key, wave<<32
// | cycle), and empties b.
//
// Nodes are numbered in the order of their first edge, and graph.Plan
// visits them in that order: a component's nodes all come before the
// next component's, so that its cycles are numbered as if it were
// planned alone, after the components of the batches before.
func (g *stepGraph) planBatch(b *batch, out *sorter, st *graphTotals) error {
	if len(b.keys) == 0 {
		return nil
	}
	g.batches++
	gr := graph.New(len(b.keys))
	gr.Grow(len(b.edges))
	for _, e := range b.edges {
		gr.AddEdge(uint32(e>>32-b.base), uint32(e&0xffffffff-b.base))
	}
	res := gr.Plan()
	rs := res.Stats()
	st.levels = max(st.levels, rs.Levels)
	st.cycles, st.cycleNodes, st.largest = st.cycles+rs.Cycles, st.cycleNodes+rs.CycleNodes, max(st.largest, rs.LargestCycle)
	for i, key := range b.keys {
		c := res.Component(uint32(i))
		if c == graph.NoComponent {
			continue
		}
		wave, cycle := uint64(res.Level(uint32(i))), uint64(0)
		if res.IsCycle(c) {
			cycle = uint64(st.components + c + 1)
		}
		if wave == 0 && cycle == 0 {
			continue
		}
		st.placed++
		if err := out.add(key, wave<<32|cycle); err != nil {
			return err
		}
	}
	st.components += uint32(rs.Components)
	b.keys, b.edges = b.keys[:0], b.edges[:0]
	return nil
}
