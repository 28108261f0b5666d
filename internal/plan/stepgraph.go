package plan

import (
	"context"
	"fmt"

	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
)

// defaultGraphMemory is the memory (bytes) the graph of the references
// within steps may take beyond the sorts' buffers; see Options.GraphMemory.
const defaultGraphMemory = 4 << 20

// Costs in memory, in bytes, of what the graph's work holds: a node of
// the union-find (its key and parent), a node and an edge of a batch
// planned in memory (its key, graph.Graph's edge, graph.Plan's work).
const (
	unionNodeBytes = 12
	batchNodeBytes = 48
	batchEdgeBytes = 16
)

// stepGraph plans the resources that references within a step order, in
// bounded memory: the references go through external sorts (each with a
// buffer of up to mem, of which few fill at once), their weakly connected components are
// found by contraction on disk (components), and the components are
// planned (levels and cycles, graph.Plan) in batches of about mem bytes
// (plan). Only a component larger than mem by itself is held whole.
type stepGraph struct {
	dir string
	mem int
	// disk sums the bytes its sorts wrote; rounds counts the contractions
	// of components and batches the batches planned.
	disk            int64
	rounds, batches int
	bufs            [][]pair // the sorts' spare buffers
}

func newStepGraph(opts Options) *stepGraph {
	mem := opts.GraphMemory
	if mem <= 0 {
		mem = defaultGraphMemory
	}
	return &stepGraph{dir: opts.TempDir, mem: mem}
}

// sorter returns a new sort of the graph's work.
func (g *stepGraph) sorter() *sorter {
	s := newSorter(g.dir, g.mem)
	s.bufs = &g.bufs
	return s
}

// done closes a sort that is no longer read, counting what it wrote.
func (g *stepGraph) done(ss ...*sorter) {
	for _, s := range ss {
		g.disk += s.disk
		_ = s.close()
	}
}

// lookup answers, for keys asked in increasing order, the value of a
// sorted stream of (key, value) pairs: the first value of each key.
type lookup struct {
	it   *pairIter
	cur  pair
	have bool
}

func newLookup(s *sorter) *lookup {
	l := &lookup{it: s.iter()}
	l.cur, l.have = l.it.next()
	return l
}

// get returns the value of key, if the stream has it.
func (l *lookup) get(key uint64) (uint64, bool) {
	for l.have && l.cur.key < key {
		l.cur, l.have = l.it.next()
	}
	if l.have && l.cur.key == key {
		return l.cur.val, true
	}
	return 0, false
}

// or returns the value of key, or key itself when the stream lacks it.
func (l *lookup) or(key uint64) uint64 {
	if v, ok := l.get(key); ok {
		return v
	}
	return key
}

// each calls fn with every pair of s, in order, and returns the first
// error of fn or of the reading.
func each(s *sorter, fn func(p pair) error) error {
	it := s.iter()
	for p, ok := it.next(); ok; p, ok = it.next() {
		if err := fn(p); err != nil {
			return err
		}
	}
	return it.Err()
}

// sortedFrom fills a new sort with fn (which adds to it) and ends it.
func (g *stepGraph) sortedFrom(fn func(out *sorter) error) (*sorter, error) {
	out := g.sorter()
	if err := fn(out); err != nil {
		g.done(out)
		return nil, err
	}
	if err := out.finish(); err != nil {
		g.done(out)
		return nil, err
	}
	return out, nil
}

// edges reads the references within groups, sorted by (target, source),
// and keeps those whose target is a key of the data (a reference to a
// missing resource orders nothing; every source is one): sorted by
// (source, target) as they are, and as undirected edges, each both ways,
// for components. It returns their number.
func (g *stepGraph) edges(refs, keys *sorter) (directed, undirected *sorter, n int, err error) {
	directed, undirected = g.sorter(), g.sorter()
	inData := newLookup(keys)
	err = each(refs, func(p pair) error {
		if _, ok := inData.get(p.key); !ok {
			return nil
		}
		n++
		if err := directed.add(p.val, p.key); err != nil {
			return err
		}
		if err := undirected.add(p.val, p.key); err != nil {
			return err
		}
		return undirected.add(p.key, p.val)
	})
	if err == nil {
		err = inData.it.Err()
	}
	if err == nil {
		err = directed.finish()
	}
	if err == nil {
		err = undirected.finish()
	}
	if err != nil {
		g.done(directed, undirected)
		return nil, nil, 0, err
	}
	return directed, undirected, n, nil
}

// ranks numbers the nodes in the order of labels (by component, then
// key) and returns the (key, rank) pairs, sorted by key.
func (g *stepGraph) ranks(labels *sorter) (*sorter, error) {
	return g.sortedFrom(func(out *sorter) error {
		r := uint64(0)
		return each(labels, func(p pair) error {
			if r > uint64(graph.NoComponent)-1 {
				return fmt.Errorf("more than %d resources referenced within steps", r)
			}
			r++
			return out.add(p.val, r-1)
		})
	})
}

// pack turns each edge (source, target), sorted by source, into the
// ranks of its ends, in one key: source<<32 | target, sorted. The edges
// of a component follow each other, components in the order of labels.
func (g *stepGraph) pack(directed, ranks *sorter) (*sorter, error) {
	byTarget, err := g.sortedFrom(func(out *sorter) error {
		rk := newLookup(ranks)
		if err := each(directed, func(p pair) error { return out.add(p.val, rk.or(p.key)) }); err != nil {
			return err
		}
		return rk.it.Err()
	})
	if err != nil {
		return nil, err
	}
	defer g.done(byTarget)
	return g.sortedFrom(func(out *sorter) error {
		rk := newLookup(ranks)
		if err := each(byTarget, func(p pair) error { return out.add(p.val<<32|rk.or(p.key), 0) }); err != nil {
			return err
		}
		return rk.it.Err()
	})
}

// place plans the references within groups, refs (sorted by target,
// then source): it returns where each resource they order goes, and
// counts the edges, cycles and levels in a.
func (g *stepGraph) place(ctx context.Context, refs, keys *sorter, a *Analysis) (*placements, error) {
	directed, undirected, n, err := g.edges(refs, keys)
	if err != nil {
		return nil, err
	}
	defer g.done(directed)
	a.Edges = n
	labels, err := g.components(undirected)
	if err != nil {
		return nil, err
	}
	defer g.done(labels)
	ranks, err := g.ranks(labels)
	if err != nil {
		return nil, err
	}
	packed, err := g.pack(directed, ranks)
	g.done(ranks)
	if err != nil {
		return nil, err
	}
	defer g.done(packed)
	return g.plan(ctx, labels, packed, a)
}
