package graph

// none marks a node without a component (or local id), and an unvisited
// node in sccs.
const none = ^uint32(0)

// csr is a graph in compressed sparse rows: the targets of node v are
// tgt[off[v]:off[v+1]].
type csr struct {
	off, tgt []uint32
}

// components is what sccs finds: the component of each node, and the
// level and size of each component.
type components struct {
	comp  []uint32
	level []int32
	size  []uint32
}

// frame is one node of the depth-first search in progress, with the
// position of its next edge to follow.
type frame struct{ v, e uint32 }

// sccs finds the strongly connected components of g with Tarjan's
// algorithm, iteratively: the search keeps its own stack of frames,
// so that a path of millions of nodes needs no goroutine stack.
//
// Tarjan's algorithm completes a component only after every component it
// reaches, so components are numbered sinks first (every edge between
// two components goes from a higher number to a lower one), and a
// component's level is known when it completes: 0 if it references no
// other component, else 1 + the highest level among those it references.
func sccs(g csr) components {
	n := uint32(len(g.off) - 1)
	idx := make([]uint32, n) // DFS number + 1; 0 = not visited
	low := make([]uint32, n)
	// At most n components: room for all at once, rather than growing
	// (and leaving to the collector) twice that.
	r := components{comp: make([]uint32, n), level: make([]int32, 0, n), size: make([]uint32, 0, n)}
	for i := range r.comp {
		r.comp[i] = none
	}
	var stack []uint32 // visited nodes not yet in a component
	var calls []frame
	counter := uint32(0)
	visit := func(v uint32) {
		counter++
		idx[v], low[v] = counter, counter
		stack = append(stack, v)
		calls = append(calls, frame{v, g.off[v]})
	}
	for root := range n {
		if idx[root] != 0 {
			continue
		}
		visit(root)
		for len(calls) > 0 {
			f := &calls[len(calls)-1]
			v := f.v
			if f.e < g.off[v+1] {
				w := g.tgt[f.e]
				f.e++
				switch {
				case idx[w] == 0:
					visit(w)
				case r.comp[w] == none: // on the stack
					low[v] = min(low[v], idx[w])
				}
				continue
			}
			calls = calls[:len(calls)-1]
			if len(calls) > 0 {
				p := calls[len(calls)-1].v
				low[p] = min(low[p], low[v])
			}
			if low[v] == idx[v] {
				stack = r.complete(g, stack, v)
			}
		}
	}
	return r
}

// complete pops the component rooted at v off the stack, numbers it and
// computes its level, and returns the shortened stack.
func (r *components) complete(g csr, stack []uint32, v uint32) []uint32 {
	c := uint32(len(r.level))
	i := len(stack) - 1
	for stack[i] != v {
		i--
	}
	members := stack[i:]
	for _, u := range members {
		r.comp[u] = c
	}
	level := int32(0)
	for _, u := range members {
		for _, w := range g.tgt[g.off[u]:g.off[u+1]] {
			// Every node reachable from u already has its component.
			if cw := r.comp[w]; cw != c {
				level = max(level, r.level[cw]+1)
			}
		}
	}
	r.level = append(r.level, level)
	r.size = append(r.size, uint32(len(members)))
	return stack[:i]
}
