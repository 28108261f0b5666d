package graph

// Plan finds the cycles of g and levels every node. It may be called
// again after more edges are added. Its memory, beyond the Result's 4
// bytes per node, is about 28 bytes per node touched by an edge plus 4
// bytes per edge, and is freed when it returns.
func (g *Graph) Plan() Result {
	// comp maps each node first to a dense local id (only nodes with an
	// edge get one), then to its component.
	comp := make([]uint32, g.n)
	for i := range comp {
		comp[i] = none
	}
	t := uint32(0)
	var st Stats
	for i, s := range g.src {
		d := g.dst[i]
		if s == d {
			st.SelfLoops++
			continue
		}
		st.Edges++
		for _, v := range [2]uint32{s, d} {
			if comp[v] == none {
				comp[v] = t
				t++
			}
		}
	}
	cs := sccs(g.local(comp, t, st.Edges))
	for i, l := range comp {
		if l != none {
			comp[i] = cs.comp[l]
		}
	}
	res := Result{nodes: g.n, comp: comp, level: cs.level, size: cs.size}
	res.stats = res.count(st, int(t))
	return res
}

// local returns the edges of g, without self-loops, in compressed sparse
// rows over the local ids of loc (t of them).
func (g *Graph) local(loc []uint32, t uint32, edges int) csr {
	off := make([]uint32, t+1)
	for i, s := range g.src {
		if s != g.dst[i] {
			off[loc[s]+1]++
		}
	}
	for v := range t {
		off[v+1] += off[v]
	}
	// Fill each row at off[v], advancing off[v] to the row's end, then
	// shift the ends back into starts.
	tgt := make([]uint32, edges)
	for i, s := range g.src {
		if d := g.dst[i]; s != d {
			l := loc[s]
			tgt[off[l]] = loc[d]
			off[l]++
		}
	}
	copy(off[1:], off[:t])
	off[0] = 0
	return csr{off: off, tgt: tgt}
}
