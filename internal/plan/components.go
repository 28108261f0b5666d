package plan

import "slices"

// components labels every node of the undirected graph und (each edge
// as (u, v) and (v, u), sorted) with the least key of its connected
// component, and returns the (label, node) pairs, sorted: the nodes of a
// component together, components in the order of their least key. The
// labels do not depend on the memory given.
//
// While the graph has more nodes than a union-find in memory may hold,
// it is contracted on disk (contract): each round joins every node to
// its least neighbour, at least halving the nodes that have an edge.
// und is closed.
func (g *stepGraph) components(und *sorter) (*sorter, error) {
	// lab maps each node, as (current label, node), to the node the
	// contractions made of it: at first itself.
	lab, err := g.sortedFrom(func(out *sorter) error {
		return eachNode(und, func(u uint64) error { return out.add(u, u) })
	})
	if err != nil {
		g.done(und)
		return nil, err
	}
	for {
		n := 0
		if err := eachNode(und, func(uint64) error { n++; return nil }); err != nil {
			g.done(und, lab)
			return nil, err
		}
		if n <= g.mem/unionNodeBytes {
			out, err := g.unionFind(und, lab, n)
			g.done(und, lab)
			return out, err
		}
		g.rounds++
		if und, lab, err = g.contract(und, lab); err != nil {
			return nil, err
		}
	}
}

// eachNode calls fn with each distinct node of und, in order.
func eachNode(und *sorter, fn func(u uint64) error) error {
	prev, have := uint64(0), false
	return each(und, func(p pair) error {
		if have && p.key == prev {
			return nil
		}
		prev, have = p.key, true
		return fn(p.key)
	})
}

// contract is one round of components: every node that has a lesser
// neighbour points to the least (hooks), the pointers are followed to
// their ends (roots), and each tree of pointers becomes its root, which
// is its least node: in the edges (both ends renamed, the edges within
// a tree dropped) and in lab. It closes und and lab and returns what
// replaces them.
func (g *stepGraph) contract(und, lab *sorter) (*sorter, *sorter, error) {
	defer g.done(und, lab)
	parents, err := g.hooks(und)
	if err != nil {
		return nil, nil, err
	}
	roots, err := g.roots(parents)
	if err != nil {
		return nil, nil, err
	}
	defer g.done(roots)
	und2, err := g.renameEdges(und, roots)
	if err != nil {
		return nil, nil, err
	}
	lab2, err := g.sortedFrom(func(out *sorter) error {
		root := newLookup(roots)
		if err := each(lab, func(p pair) error { return out.add(root.or(p.key), p.val) }); err != nil {
			return err
		}
		return root.it.Err()
	})
	if err != nil {
		g.done(und2)
		return nil, nil, err
	}
	return und2, lab2, nil
}

// hooks returns (node, least neighbour) for each node of und that has a
// lesser neighbour, sorted.
func (g *stepGraph) hooks(und *sorter) (*sorter, error) {
	return g.sortedFrom(func(out *sorter) error {
		prev, have := uint64(0), false
		return each(und, func(p pair) error {
			if have && p.key == prev {
				return nil
			}
			prev, have = p.key, true
			if p.val < p.key { // the first neighbour is the least
				return out.add(p.key, p.val)
			}
			return nil
		})
	})
}

// roots follows the pointers of parents (node, parent), a forest since
// every parent is less than its node, to the root of each node: each
// pass points every node to its parent's parent, so a tree of depth d
// takes about log2(d) passes. It closes parents and returns (node, root)
// sorted.
func (g *stepGraph) roots(parents *sorter) (*sorter, error) {
	for {
		byParent, err := g.sortedFrom(func(out *sorter) error {
			return each(parents, func(p pair) error { return out.add(p.val, p.key) })
		})
		if err != nil {
			g.done(parents)
			return nil, err
		}
		changed := false
		next, err := g.sortedFrom(func(out *sorter) error {
			up := newLookup(parents)
			err := each(byParent, func(p pair) error {
				if pp, ok := up.get(p.key); ok {
					changed = true
					return out.add(p.val, pp)
				}
				return out.add(p.val, p.key)
			})
			if err != nil {
				return err
			}
			return up.it.Err()
		})
		g.done(byParent, parents)
		if err != nil || !changed {
			return next, err
		}
		parents = next
	}
}

// renameEdges returns the edges of und between the roots of their ends,
// both ways, without those within a tree, sorted.
func (g *stepGraph) renameEdges(und, roots *sorter) (*sorter, error) {
	bySecond, err := g.sortedFrom(func(out *sorter) error {
		root := newLookup(roots)
		prev, have := pair{}, false
		err := each(und, func(p pair) error {
			if have && p == prev {
				return nil
			}
			prev, have = p, true
			return out.add(p.val, root.or(p.key))
		})
		if err != nil {
			return err
		}
		return root.it.Err()
	})
	if err != nil {
		return nil, err
	}
	defer g.done(bySecond)
	return g.sortedFrom(func(out *sorter) error {
		root := newLookup(roots)
		err := each(bySecond, func(p pair) error {
			if r := root.or(p.key); r != p.val {
				return out.add(p.val, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return root.it.Err()
	})
}

// unionFind ends components in memory, for und's n nodes: it unites the
// ends of every edge, each set rooted at its least node, and labels each
// node of lab with the root of its current label.
func (g *stepGraph) unionFind(und, lab *sorter, n int) (*sorter, error) {
	nodes := make([]uint64, 0, n)
	if err := eachNode(und, func(u uint64) error { nodes = append(nodes, u); return nil }); err != nil {
		return nil, err
	}
	parent := make([]uint32, n)
	for i := range parent {
		parent[i] = uint32(i)
	}
	find := func(i uint32) uint32 {
		for parent[i] != i {
			parent[i] = parent[parent[i]] // path halving
			i = parent[i]
		}
		return i
	}
	ui := 0
	err := each(und, func(p pair) error {
		if p.key > p.val {
			return nil // each edge is there both ways
		}
		for nodes[ui] < p.key {
			ui++
		}
		vi, _ := slices.BinarySearch(nodes, p.val)
		a, b := find(uint32(ui)), find(uint32(vi))
		// Nodes are sorted: the lesser index is the lesser key.
		parent[max(a, b)] = min(a, b)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g.sortedFrom(func(out *sorter) error {
		return each(lab, func(p pair) error {
			label := p.key
			if i, ok := slices.BinarySearch(nodes, p.key); ok {
				label = nodes[find(uint32(i))]
			}
			return out.add(label, p.val)
		})
	})
}
