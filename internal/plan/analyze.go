package plan

import (
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/refs"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// eachLine streams the valid resource lines of f.
// fn gets the line's type (and its index in fhirtype.R4), its id (which
// aliases the line: it is valid until fn returns) and the line, named by
// the file it first came from (source.Line).
func eachLine(ctx context.Context, f File, maxLine int, fn func(typ string, ti int, id []byte, line source.Line)) (int, error) {
	lines, err := f.OpenLines(ctx, maxLine)
	if err != nil {
		return 0, err
	}
	defer lines.Close()
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		line, err := lines.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			var le *source.LineError
			if errors.As(err, &le) {
				n++
				continue
			}
			return n, fmt.Errorf("line %d: %w", lines.Stored()+1, err)
		}
		n++
		// Planning needs only what a line is; the sending pass checks it.
		rawType, id, ok := ndjson.PeekRaw(line.Data)
		if !ok {
			continue
		}
		if typ, ti, known := fhirtype.InternIndex(rawType); known {
			fn(typ, ti, id, line)
		}
	}
}

// analyze reads the typed files once (readInputs): every resource's key
// into an external sort, its content hash into a temporary spill, and
// with OrderData the references between types and each resource's local
// references, into the spill and (by target) into a second sort. The
// sorted keys say which ids repeat; findDuplicates reads the spill for
// those only. The types are ordered by the references (the data's, or
// with OrderStatic the table's); with OrderData, the sorted references
// are merged with the sorted keys to find those to resources not in the
// data, and link reads the spill back for the references between
// resources of a group, from which the waves and cycles come (see
// stepGraph). Memory is the sorts' buffers, what the duplicated ids need
// and Options.GraphMemory for the references within groups (or their
// largest component), whatever the number of resources (see sorter). It
// sets p.Steps, p.Analysis and the lines of every file.
func analyze(ctx context.Context, p *Plan, byType map[string][]File, opts Options) error {
	sp, err := newRefSpill(opts.TempDir)
	if err != nil {
		return err
	}
	defer sp.close()
	mem := opts.SortMemory
	if mem <= 0 {
		mem = defaultSortMemory
	}
	keys, refSort := newSorter(opts.TempDir, mem), newSorter(opts.TempDir, mem)
	defer keys.close()
	defer refSort.close()
	nt := len(fhirtype.R4)
	z := &analyzer{opts: opts, refs: opts.Order == OrderData, a: &Analysis{}, keys: keys, refSort: refSort, sp: sp,
		seed: maphash.MakeSeed(), edgeCount: make([]int, nt*nt),
		urls: map[string][]canonTarget{}, canonFrom: map[canonEdge]int{}}
	present := types(byType)
	if err := z.readInputs(ctx, present, byType); err != nil {
		return err
	}
	if err := z.finishSorts(); err != nil {
		return err
	}
	a := z.a
	a.Order = OrderStatic
	repeated, extra, err := z.scanKeys()
	if err != nil {
		return err
	}
	if err := a.findDuplicates(ctx, sp, repeated, extra); err != nil {
		return err
	}
	edges := staticEdges(present)
	if z.refs {
		a.Order = OrderData
		z.canonicalTypeEdges()
		edges = z.typeEdges()
	}
	groups := graph.TypeOrder(present, edges, Classic)
	if z.refs {
		if err := z.findDangling(); err != nil {
			return err
		}
		if err := z.place(ctx, groups); err != nil {
			return err
		}
	}
	a.Waves = max(1, a.Waves)
	a.TempBytes = sp.size() + keys.disk + refSort.disk + z.graphDisk
	p.Analysis = a
	p.Steps = fileSteps(typeSteps(groups, edges), byType)
	return nil
}

// place links the resources of each cyclic group and plans their waves
// and cycles (see stepGraph).
func (z *analyzer) place(ctx context.Context, groups []graph.TypeGroup) error {
	g := newStepGraph(z.opts)
	refs, err := z.link(ctx, groups, g.sorter())
	if err != nil {
		return err
	}
	pl, err := g.place(ctx, refs, z.keys, z.a)
	g.done(refs)
	z.graphDisk = g.disk
	if err != nil {
		return err
	}
	z.a.placed, z.a.rounds, z.a.batches = pl, g.rounds, g.batches
	if pl != nil && pl.f != nil {
		z.graphDisk += int64(pl.n * pairBytes)
	}
	return nil
}

// analyzer is the state of one analysis.
type analyzer struct {
	opts Options
	refs bool // read the references (OrderData)
	a    *Analysis
	// keys sorts the key of every resource; refSort the target key of
	// every local reference, with the ordinal of the resource that holds
	// it (its place in the spill) and the reference's position there.
	keys, refSort *sorter
	err           error           // the first error of a sort
	dangling      map[uint64]bool // see findDangling
	ord           uint64
	refPos        uint64
	sp            *refSpill
	seed          maphash.Seed // of the content hashes
	// edgeCount counts the references from type i to type j (indexes in
	// fhirtype.R4) at i*len(fhirtype.R4)+j: a map lookup per reference
	// costs more than the search.
	edgeCount []int
	// urls maps the canonical url of each resource that has one to the
	// resources of the data with that url; canonFrom counts, by url and
	// referring type, the canonical references by absolute URL, which
	// resolve once every url is known (see canonical.go).
	urls      map[string][]canonTarget
	canonFrom map[canonEdge]int
	// graphDisk is the bytes written by the work on the references
	// within steps (see stepGraph).
	graphDisk int64
}

// readInputs is the first pass: it reads every file, type by type, and
// sets the lines of each.
func (z *analyzer) readInputs(ctx context.Context, present []string, byType map[string][]File) error {
	for _, t := range present {
		fs := byType[t]
		for i := range fs {
			lastFile := ""
			n, err := eachLine(ctx, fs[i], z.opts.MaxLine, func(typ string, ti int, id []byte, line source.Line) {
				if fs[i].First == "" {
					fs[i].First = typ + "/" + string(id)
				}
				if line.File != lastFile {
					z.sp.file(line.File)
					lastFile = line.File
				}
				z.line(typ, ti, id, line)
			})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if z.err != nil {
				return z.err
			}
			if err == nil {
				fs[i].Lines = n
			}
		}
	}
	return nil
}

// line takes in one resource of type typ (fhirtype.R4[ti]).
func (z *analyzer) line(typ string, ti int, id []byte, line source.Line) {
	a := z.a
	z.ord++ // ordinals start at 1, in the order of the spill
	z.refPos = 0
	z.sp.resource(line.Num, ti, id, maphash.Bytes(z.seed, line.Data))
	z.sorted(z.keys.add(graph.KeyBytes(typ, id), z.ord))
	if numeric(id) {
		a.NumericIDs++
		if len(a.NumericExamples) < 5 {
			a.NumericExamples = append(a.NumericExamples, typ+"/"+string(id))
		}
	}
	if !z.refs || refs.Opaque(typ) {
		return
	}
	nt := len(fhirtype.R4)
	refs.Each(line.Data, func(ref []byte) {
		_, rti, rid, cond, ok := localRef(ref, z.opts.BaseURL)
		if !ok {
			return
		}
		z.edgeCount[ti*nt+rti]++
		if cond {
			a.Conditional++
		} else {
			z.ref(rti, rid)
		}
	})
	if hasCanonicals[ti] {
		z.canonicals(typ, ti, id, line.Data)
	}
}

// maxRefPos is the most references of one resource that refPos tells
// apart (the position takes the low 24 bits of a reference's value).
const maxRefPos = 1<<24 - 1

// ref spills a local reference of the resource read last, to a resource
// of type fhirtype.R4[rti], and sorts it by its target.
func (z *analyzer) ref(rti int, rid []byte) {
	z.sp.ref(rti, rid)
	z.sorted(z.refSort.add(graph.KeyBytes(fhirtype.R4[rti], rid), z.ord<<24|min(z.refPos, maxRefPos)))
	z.refPos++
}

// url spills a canonical reference by absolute URL of the resource read
// last.
func (z *analyzer) url(u string) {
	z.sp.url(u)
	z.refPos++
}

// sorted keeps the first error of a sort.
func (z *analyzer) sorted(err error) {
	if err != nil && z.err == nil {
		z.err = err
	}
}

// finishSorts ends the adding to both sorts.
func (z *analyzer) finishSorts() error {
	if err := z.keys.finish(); err != nil {
		return err
	}
	return z.refSort.finish()
}

// scanKeys reads the sorted keys once: it counts the distinct ones, and
// returns those that occur more than once and how many occurrences
// beyond the first they have in all.
func (z *analyzer) scanKeys() (repeated []uint64, extra int, err error) {
	it := z.keys.iter()
	prev, have := uint64(0), false
	for {
		p, ok := it.next()
		if !ok {
			break
		}
		switch {
		case !have || p.key != prev:
			z.a.Resources++
		case len(repeated) == 0 || repeated[len(repeated)-1] != p.key:
			repeated = append(repeated, p.key)
			extra++
		default:
			extra++
		}
		prev, have = p.key, true
	}
	return repeated, extra, it.Err()
}

// typeEdges returns the references counted between types.
func (z *analyzer) typeEdges() map[[2]string]int {
	nt := len(fhirtype.R4)
	out := map[[2]string]int{}
	for k, n := range z.edgeCount {
		if n > 0 {
			out[[2]string{fhirtype.R4[k/nt], fhirtype.R4[k%nt]}] = n
		}
	}
	return out
}

// findDangling merges the references, sorted by target, with the sorted
// keys: a target that is no key is not in the data. References held by an
// occurrence of a duplicated id that is not written do not count. It
// counts them all and keeps the first MaxDanglingExamples in input order
// for link to name.
func (z *analyzer) findDangling() error {
	a := z.a
	keys, rs := z.keys.iter(), z.refSort.iter()
	k, haveKey := keys.next()
	var first danglingHeap
	for {
		r, ok := rs.next()
		if !ok {
			break
		}
		for haveKey && k.key < r.key {
			k, haveKey = keys.next()
		}
		if haveKey && k.key == r.key {
			continue
		}
		if _, gone := a.superseded[r.val>>24]; gone {
			continue
		}
		a.DanglingTotal++
		switch {
		case len(first) < MaxDanglingExamples:
			heap.Push(&first, r.val)
		case r.val < first[0]:
			first[0] = r.val
			heap.Fix(&first, 0)
		}
	}
	if err := cmp.Or(keys.Err(), rs.Err()); err != nil {
		return err
	}
	z.dangling = make(map[uint64]bool, len(first))
	for _, v := range first {
		z.dangling[v] = true
	}
	return nil
}

// danglingHeap keeps the greatest of the values it holds on top.
type danglingHeap []uint64

func (h danglingHeap) Len() int           { return len(h) }
func (h danglingHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h danglingHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *danglingHeap) Push(x any)        { *h = append(*h, x.(uint64)) }
func (h *danglingHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// link is the last pass over the spill: it counts the references, names
// the dangling ones findDangling chose, and adds to edges the references
// between resources of one cyclic type group, as the keys of both ends
// (target, source), which it returns sorted. The occurrences of a
// duplicated id that are not written do not count.
func (z *analyzer) link(ctx context.Context, groups []graph.TypeGroup, edges *sorter) (*sorter, error) {
	l := &linker{a: z.a, groupOf: map[string]int{}, missing: map[string]bool{}, urls: z.urls, dangling: z.dangling, edges: edges}
	for gi, g := range groups {
		if g.Cyclic {
			for _, t := range g.Types {
				l.groupOf[t] = gi
			}
		}
	}
	err := z.sp.each(ctx, l.resource)
	if err == nil {
		err = l.err
	}
	if err == nil {
		err = edges.finish()
	}
	if err != nil {
		_ = edges.close()
		return nil, err
	}
	return edges, nil
}

// linker is the state of link.
type linker struct {
	a *Analysis
	// groupOf gives the group of each type of a cyclic group: references
	// between its resources need ordering.
	groupOf  map[string]int
	missing  map[string]bool // the targets in a.Missing
	urls     map[string][]canonTarget
	dangling map[uint64]bool // ordinal<<24|position of the dangling references to name
	ord      uint64
	edges    *sorter
	err      error // the first error of edges
}

// resource takes in the references of one resource read back.
func (l *linker) resource(r *spilledResource) {
	a := l.a
	l.ord++
	if _, gone := a.superseded[l.ord]; gone {
		return // its line is not sent: its references order nothing
	}
	gr, cyclic := l.groupOf[r.typ]
	// The resource's own key is made only for its first edge: most
	// resources have none.
	src, haveSrc := uint64(0), false
	to := func(ref spilledRef) {
		a.References++
		if dg, ok := l.groupOf[ref.typ]; !cyclic || !ok || dg != gr {
			return
		}
		if !haveSrc {
			src, haveSrc = graph.KeyBytes(r.typ, r.id), true
		}
		if dst := graph.KeyBytes(ref.typ, ref.id); src != dst && l.err == nil {
			l.err = l.edges.add(dst, src)
		}
	}
	for i, ref := range r.refs {
		if ref.typ != "" {
			if len(l.dangling) > 0 && l.dangling[l.ord<<24|min(uint64(i), maxRefPos)] {
				l.name(r, ref)
			}
			to(ref)
			continue
		}
		// A canonical URL: a dependency on each resource of the data
		// with that url, none on others.
		for _, t := range l.urls[string(ref.id)] {
			a.Canonical++
			to(spilledRef{typ: fhirtype.R4[t.ti], id: t.id})
		}
	}
}

// name keeps a dangling reference findDangling chose as an example.
func (l *linker) name(r *spilledResource, ref spilledRef) {
	a := l.a
	to := ref.typ + "/" + string(ref.id)
	a.Dangling = append(a.Dangling, Dangling{File: r.file, Line: r.line, From: r.typ + "/" + string(r.id), To: to})
	if !l.missing[to] {
		l.missing[to] = true
		a.Missing = append(a.Missing, to)
	}
}

// localRef returns the type a reference points at (and its index in
// fhirtype.R4) and the id: for Type/id (the common form) without
// allocating, else through refs.Parse. cond is set for a conditional
// reference (Type?query), which names a type but no id. ok is false for
// references that are no dependency (contained, external, invalid).
func localRef(ref []byte, base string) (typ string, ti int, id []byte, cond, ok bool) {
	if i := bytes.IndexByte(ref, '/'); i > 0 {
		// A known type and a valid id hold no '/', ':', '?' or '#'.
		t, ti, known := fhirtype.InternIndex(ref[:i])
		idOK := fhirtype.ValidID(ref[i+1:])
		if known && idOK {
			return t, ti, ref[i+1:], false, true
		}
		if bytes.IndexByte(ref[i+1:], '/') < 0 && !bytes.ContainsAny(ref, ":?#") {
			return "", 0, nil, false, false // Type/id, with a wrong type or id
		}
	}
	r := refs.Parse(string(ref), base)
	if !r.Local() && r.Kind != refs.Conditional {
		return "", 0, nil, false, false
	}
	ti, known := fhirtype.Index(r.Type)
	switch {
	case !known:
		return "", 0, nil, false, false
	case r.Local():
		return r.Type, ti, []byte(r.ID), false, true
	}
	return r.Type, ti, nil, true, true
}

// numeric reports whether id is all digits.
func numeric(id []byte) bool {
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return len(id) > 0
}
