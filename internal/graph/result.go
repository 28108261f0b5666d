package graph

// NoComponent is the component of a node that no edge touches.
const NoComponent = none

// Result is the plan of a Graph: a level for every node and the
// components (cycles) it found. Writing all nodes of level 0, then all of
// level 1, and so on, writes every node after every node it references,
// except within a cycle, whose nodes share one level and must be sent
// together in one transaction. It takes 12 bytes per node: its
// component, and room for the level and size of as many components.
type Result struct {
	nodes int
	comp  []uint32 // per node: its component, or none
	level []int32  // per component
	size  []uint32 // per component
	stats Stats
}

// Stats sums up a Result.
type Stats struct {
	// Nodes is the number of nodes touched by an edge (other than a
	// self-loop); Components counts their components.
	Nodes, Components int
	// Edges counts the edges between two different nodes, duplicates
	// included; SelfLoops the edges from a node to itself, which Plan
	// ignores.
	Edges, SelfLoops int
	// Levels is 1 + the highest level (0 for a graph without nodes).
	Levels int
	// Cycles is the number of components of more than one node,
	// CycleNodes the number of nodes in them, and LargestCycle the size
	// of the largest (0 if none).
	Cycles, CycleNodes, LargestCycle int
}

// count fills the counters of st that the components give.
func (r *Result) count(st Stats, nodes int) Stats {
	st.Nodes = nodes
	st.Components = len(r.size)
	if r.nodes > 0 {
		st.Levels = 1
	}
	for c, s := range r.size {
		st.Levels = max(st.Levels, int(r.level[c])+1)
		if s > 1 {
			st.Cycles++
			st.CycleNodes += int(s)
			st.LargestCycle = max(st.LargestCycle, int(s))
		}
	}
	return st
}

// Stats returns the counts of the plan.
func (r Result) Stats() Stats { return r.stats }

// Level returns the level of node: 0 if it references no other node of
// the graph, else 1 + the highest level of the nodes it references
// outside its own cycle.
func (r Result) Level(node uint32) int32 {
	c := r.comp[node]
	if c == none {
		return 0
	}
	return r.level[c]
}

// Component returns the component of node, or NoComponent if no edge
// touches it. Components are numbered from 0 so that every reference
// between two of them goes from a higher number to a lower one.
func (r Result) Component(node uint32) uint32 { return r.comp[node] }

// IsCycle reports whether component c has more than one node: nodes that
// reference each other and must be written in one transaction.
func (r Result) IsCycle(c uint32) bool { return r.CycleSize(c) > 1 }

// CycleSize returns the number of nodes of component c: more than 1 for a
// cycle, 1 otherwise (and for NoComponent).
func (r Result) CycleSize(c uint32) int {
	if c == none {
		return 1
	}
	return int(r.size[c])
}
