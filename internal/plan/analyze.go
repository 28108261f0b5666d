package plan

import (
	"bytes"
	"context"
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
// aliases the line: it is valid until fn returns) and the file name: a
// failure log's records name the file they first came from.
func eachLine(ctx context.Context, f File, maxLine int, fn func(typ string, ti int, id []byte, file string, line ndjson.Line)) (int, error) {
	rc, err := source.OpenNDJSON(ctx, f.File)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	r := ndjson.NewReader(rc, maxLine)
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		line, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			if ndjson.IsLineError(err) {
				n++
				continue
			}
			return n, fmt.Errorf("line %d: %w", r.LineNum()+1, err)
		}
		n++
		file := f.Name
		if f.Replay {
			data, origin, num, ok := source.Unwrap(line.Data)
			if !ok {
				continue
			}
			line.Data, line.Num, file = data, num, origin
		}
		// Planning needs only what a line is; the sending pass checks it.
		rawType, id, ok := ndjson.PeekRaw(line.Data)
		if !ok {
			continue
		}
		if typ, ti, known := fhirtype.InternIndex(rawType); known {
			fn(typ, ti, id, file, line)
		}
	}
}

// analyze reads the typed files once (readInputs): every resource's key,
// its content hash into a temporary spill, and with OrderData the
// references between types and each resource's local references, into
// the spill too. The index of the keys says which ids repeat;
// findDuplicates reads the spill for those only. The types are ordered by
// the references (the data's, or with OrderStatic the table's); with
// OrderData, link then reads the spill back for the references between
// resources of a group, from which the waves and cycles come. It sets
// p.Steps, p.Analysis and the lines of every file.
func analyze(ctx context.Context, p *Plan, byType map[string][]File, opts Options) error {
	sp, err := newRefSpill(opts.TempDir)
	if err != nil {
		return err
	}
	defer sp.close()
	nt := len(fhirtype.R4)
	z := &analyzer{opts: opts, refs: opts.Order == OrderData, a: &Analysis{}, ib: graph.NewIndexBuilder(0), sp: sp,
		seed: maphash.MakeSeed(), edgeCount: make([]int, nt*nt),
		urls: map[string][]canonTarget{}, canonFrom: map[canonEdge]int{}}
	present := types(byType)
	if err := z.readInputs(ctx, present, byType); err != nil {
		return err
	}
	a := z.a
	a.Order = OrderStatic
	a.index = z.ib.Build()
	a.Resources = a.index.Len()
	if err := a.findDuplicates(ctx, sp); err != nil {
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
		if err := z.place(ctx, groups); err != nil {
			return err
		}
	}
	a.Waves = max(1, a.res.Stats().Levels)
	p.Analysis = a
	p.Steps = fileSteps(typeSteps(groups, edges), byType)
	return nil
}

// place links the resources of each cyclic group and plans their waves
// and cycles.
func (z *analyzer) place(ctx context.Context, groups []graph.TypeGroup) error {
	g, err := z.link(ctx, groups)
	if err != nil {
		return err
	}
	a := z.a
	a.res = g.Plan()
	a.placed = newPlacedFilter(a.index, a.res)
	st := a.res.Stats()
	a.Cycles, a.CycleNodes, a.LargestCycle = st.Cycles, st.CycleNodes, st.LargestCycle
	return nil
}

// analyzer is the state of one analysis.
type analyzer struct {
	opts Options
	refs bool // read the references (OrderData)
	a    *Analysis
	ib   *graph.IndexBuilder
	sp   *refSpill
	seed maphash.Seed // of the content hashes
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
}

// readInputs is the first pass: it reads every file, type by type, and
// sets the lines of each.
func (z *analyzer) readInputs(ctx context.Context, present []string, byType map[string][]File) error {
	for _, t := range present {
		fs := byType[t]
		for i := range fs {
			lastFile := ""
			n, err := eachLine(ctx, fs[i], z.opts.MaxLine, func(typ string, ti int, id []byte, file string, line ndjson.Line) {
				if file != lastFile {
					z.sp.file(file)
					lastFile = file
				}
				z.line(typ, ti, id, line)
			})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if err == nil {
				fs[i].Lines = n
			}
		}
	}
	return nil
}

// line takes in one resource of type typ (fhirtype.R4[ti]).
func (z *analyzer) line(typ string, ti int, id []byte, line ndjson.Line) {
	a := z.a
	z.sp.resource(line.Num, ti, id, maphash.Bytes(z.seed, line.Data))
	z.ib.Add(graph.KeyBytes(typ, id))
	if numeric(id) {
		a.NumericIDs++
		if len(a.NumericExamples) < 5 {
			a.NumericExamples = append(a.NumericExamples, typ+"/"+string(id))
		}
	}
	if !z.refs {
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
			z.sp.ref(rti, rid)
		}
	})
	if hasCanonicals[ti] {
		z.canonicals(typ, ti, id, line.Data)
	}
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

// link is the last pass: it reads the spill back, counts the references
// and those to resources not in the data, and returns the graph of the
// references between resources of one cyclic type group. The occurrences
// of a duplicated id that are not written do not count.
func (z *analyzer) link(ctx context.Context, groups []graph.TypeGroup) (*graph.Graph, error) {
	l := &linker{a: z.a, g: graph.New(z.a.index.Len()), groupOf: map[string]int{}, missing: map[string]bool{}, urls: z.urls}
	for gi, g := range groups {
		if g.Cyclic {
			for _, t := range g.Types {
				l.groupOf[t] = gi
			}
		}
	}
	if err := z.sp.each(ctx, l.resource); err != nil {
		return nil, err
	}
	return l.g, nil
}

// linker is the state of link.
type linker struct {
	a *Analysis
	g *graph.Graph
	// groupOf gives the group of each type of a cyclic group: references
	// between its resources need ordering.
	groupOf map[string]int
	missing map[string]bool // the targets in a.Missing
	urls    map[string][]canonTarget
}

// resource takes in the references of one resource read back.
func (l *linker) resource(r *spilledResource) {
	a := l.a
	if len(a.dups) > 0 {
		if key := graph.KeyBytes(r.typ, r.id); a.isDuplicate(key) && !a.writtenAt(key, a.checkHash(r.typ, r.id), r.file, r.line) {
			return // its line is not sent: its references order nothing
		}
	}
	gr, cyclic := l.groupOf[r.typ]
	// The resource's own node is looked up only for its first edge: most
	// resources have none (a lookup is a trip to memory for a large
	// input).
	src, haveSrc := uint32(0), false
	to := func(ref spilledRef) {
		a.References++
		dst, ok := a.index.Lookup(graph.KeyBytes(ref.typ, ref.id))
		if !ok {
			l.dangling(r, ref)
			return
		}
		if dg, ok := l.groupOf[ref.typ]; !cyclic || !ok || dg != gr {
			return
		}
		if !haveSrc {
			src, _ = a.index.Lookup(graph.KeyBytes(r.typ, r.id))
			haveSrc = true
		}
		if src != dst {
			l.g.AddEdge(src, dst)
			a.Edges++
		}
	}
	for _, ref := range r.refs {
		if ref.typ != "" {
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

// dangling counts a reference to a resource not in the data, and keeps
// the first MaxDanglingExamples.
func (l *linker) dangling(r *spilledResource, ref spilledRef) {
	a := l.a
	a.DanglingTotal++
	if len(a.Dangling) >= MaxDanglingExamples {
		return
	}
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
		idOK := ndjson.CheckIDBytes(ref[i+1:]) == nil
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
