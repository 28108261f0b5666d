package graph

import (
	"cmp"
	"slices"
)

// TypeGroup is one strongly connected set of resource types: usually one
// type, several when they reference each other (Procedure <->
// Observation).
type TypeGroup struct {
	// Types holds the types in tie-break order (see TypeOrder).
	Types []string
	// Cyclic reports that resources of the group reference resources of
	// the group: a type references itself (Encounter.partOf) or the group
	// has several types. Its resources need ordering with a Graph.
	Cyclic bool
}

// TypeOrder orders the types present in the data so that each group of
// types comes after every group it references. edges counts the
// references from type [0] to type [1]; edges to or from a type not in
// present, and counts below 1, are ignored.
//
// Among groups that are free to go next, the one whose best type comes
// first in classic goes first; types not in classic come after those in
// it, by name. The same order sorts the types within a group.
func TypeOrder(present []string, edges map[[2]string]int, classic []string) []TypeGroup {
	types := slices.Clone(present)
	rank := func(a, b string) int {
		return cmp.Or(cmp.Compare(classicPos(classic, a), classicPos(classic, b)), cmp.Compare(a, b))
	}
	slices.SortFunc(types, rank)
	types = slices.Compact(types)
	node := make(map[string]uint32, len(types))
	for i, t := range types {
		node[t] = uint32(i)
	}
	g := New(len(types))
	self := make([]bool, len(types))
	// Sorted, so that Plan sees the same graph on every run.
	for _, e := range sortedEdges(edges) {
		s, okS := node[e[0]]
		d, okD := node[e[1]]
		if okS && okD {
			g.AddEdge(s, d)
			self[s] = self[s] || s == d
		}
	}
	return orderGroups(types, g, self)
}

// classicPos returns the position of typ in classic, or len(classic).
func classicPos(classic []string, typ string) int {
	if i := slices.Index(classic, typ); i >= 0 {
		return i
	}
	return len(classic)
}

// sortedEdges returns the edges of positive count, sorted.
func sortedEdges(edges map[[2]string]int) [][2]string {
	out := make([][2]string, 0, len(edges))
	for e, n := range edges {
		if n > 0 {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	return out
}

// orderGroups groups the types (sorted in tie-break order) by component
// of g and emits the groups in dependency order, always the ready group
// with the best first type.
func orderGroups(types []string, g *Graph, self []bool) []TypeGroup {
	res := g.Plan()
	group := make([]int, len(types)) // type -> group, numbered by best type
	var groups []TypeGroup
	byComp := map[uint32]int{}
	for i, t := range types {
		c := res.Component(uint32(i))
		gi, ok := byComp[c]
		if !ok || c == NoComponent {
			gi = len(groups)
			groups = append(groups, TypeGroup{})
			if c != NoComponent {
				byComp[c] = gi
			}
		}
		group[i] = gi
		groups[gi].Types = append(groups[gi].Types, t)
		groups[gi].Cyclic = groups[gi].Cyclic || self[i] || res.CycleSize(c) > 1
	}
	// waits[a] counts the groups a references that are not yet emitted;
	// users[b] lists the groups that reference b.
	waits := make([]int, len(groups))
	users := make([][]int, len(groups))
	seen := map[[2]int]bool{}
	for i := range g.src {
		a, b := group[g.src[i]], group[g.dst[i]]
		if a != b && !seen[[2]int{a, b}] {
			seen[[2]int{a, b}] = true
			waits[a]++
			users[b] = append(users[b], a)
		}
	}
	out := make([]TypeGroup, 0, len(groups))
	done := make([]bool, len(groups))
	for range groups {
		// Groups are numbered in tie-break order: take the first ready
		// one. There is always one, since groups reference no cycle.
		next := firstReady(waits, done)
		done[next] = true
		out = append(out, groups[next])
		for _, u := range users[next] {
			waits[u]--
		}
	}
	return out
}

// firstReady returns the first group that waits for nothing and is not
// done, or -1.
func firstReady(waits []int, done []bool) int {
	for i := range waits {
		if waits[i] == 0 && !done[i] {
			return i
		}
	}
	return -1
}
