package plan

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"math/bits"
	"sort"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/refs"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// Placement says when a resource is written within its step.
type Placement struct {
	// Wave is the resource's level: it references resources of its own
	// step only at lower waves. Wave 0 goes first, straight from the files.
	Wave int
	// Cycle is non-zero for a resource in a reference cycle: all
	// resources with the same Cycle value go in one transaction.
	Cycle uint32
}

// Dangling is a reference to a resource that is not in the data.
type Dangling struct {
	File string
	Line int
	From string // Type/id of the resource that refers
	To   string // Type/id referred to
}

// MaxDanglingExamples bounds the dangling references a plan keeps.
const MaxDanglingExamples = 1000

// Analysis is what the data's references say.
type Analysis struct {
	Resources int // distinct Type/id keys
	// Duplicates counts the ids that occur more than once; only the last
	// occurrence of each is written (see Written).
	Duplicates   Duplicates
	References   int // local references (Type/id and absolute URLs of the server)
	Conditional  int // conditional references (Type?query): ordered by type only
	Edges        int // references between resources of one type group
	Cycles       int // reference cycles, each sent as one transaction
	CycleNodes   int
	LargestCycle int
	Waves        int // the most waves of any step
	// DanglingTotal counts references to a Type/id that is not in the
	// data; Dangling keeps the first MaxDanglingExamples, and Missing the
	// distinct targets among them, for a check on the server.
	DanglingTotal int
	Dangling      []Dangling
	Missing       []string
	// NumericIDs counts resources whose id is all digits, which HAPI's
	// default client-id strategy refuses; NumericExamples names a few.
	NumericIDs      int
	NumericExamples []string

	index  *graph.Index
	res    graph.Result
	placed placedFilter
	// dups holds, by key, the ids that occur more than once: where each
	// is written (see findDuplicates).
	dups      map[uint64]dupAt
	dupFiles  dupFiles
	dupSeed   maphash.Seed
	exampleOf map[uint64]int // key^check of each example -> its index
}

// placedFilter is a bit per hash slot, set for the keys of resources not
// in wave 0 or in a cycle: most resources are neither, and the filter
// answers for them without a lookup in the index, which for a large input
// is a trip to memory. A set bit may be another key's: Place then looks.
type placedFilter struct {
	bits  []uint64
	shift uint
}

func newPlacedFilter(ix *graph.Index, res graph.Result) placedFilter {
	n := 0
	for node := range uint32(ix.Len()) {
		if placedNode(res, node) {
			n++
		}
	}
	if n == 0 {
		return placedFilter{}
	}
	lg := bits.Len(uint(8*n - 1)) // about 8 slots per such key
	f := placedFilter{bits: make([]uint64, max(1, (1<<lg)/64)), shift: uint(64 - lg)}
	for node := range uint32(ix.Len()) {
		if placedNode(res, node) {
			s := f.slot(ix.Key(node))
			f.bits[s/64] |= 1 << (s % 64)
		}
	}
	return f
}

// placedNode reports whether a node is written after wave 0 or in a cycle.
func placedNode(res graph.Result, node uint32) bool {
	c := res.Component(node)
	return c != graph.NoComponent && (res.Level(node) > 0 || res.IsCycle(c))
}

func (f placedFilter) slot(key uint64) uint64 {
	return (key * 0x9e3779b97f4a7c15) >> f.shift // below 1<<lg, the slots' number
}

// mayBePlaced reports false for a key surely in wave 0 and no cycle.
func (f placedFilter) mayBePlaced(key uint64) bool {
	if len(f.bits) == 0 {
		return false
	}
	s := f.slot(key)
	return f.bits[s/64]&(1<<(s%64)) != 0
}

// Place returns where a resource goes. Resources the plan did not see
// (they failed the line checks) go in wave 0.
func (a *Analysis) Place(typ, id string) Placement {
	if a == nil || a.index == nil {
		return Placement{}
	}
	key := graph.Key(typ, id)
	if !a.placed.mayBePlaced(key) {
		return Placement{}
	}
	return a.placeKey(key)
}

// placeKey is Place without the filter.
func (a *Analysis) placeKey(key uint64) Placement {
	node, ok := a.index.Lookup(key)
	if !ok {
		return Placement{}
	}
	c := a.res.Component(node)
	if c == graph.NoComponent {
		return Placement{}
	}
	p := Placement{Wave: int(a.res.Level(node))}
	if a.res.IsCycle(c) {
		p.Cycle = c + 1
	}
	return p
}

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
// the references between types, and, into a temporary spill, each
// resource's content hash and local references. The index of the keys
// says which ids repeat; findDuplicates reads the spill for those only.
// With the type groups known, link reads the spill back for the
// references between resources of a group, from which the waves and
// cycles come. It sets p.Steps, p.Analysis and the lines of every file.
func analyze(ctx context.Context, p *Plan, byType map[string][]File, opts Options) error {
	sp, err := newRefSpill(opts.TempDir)
	if err != nil {
		return err
	}
	defer sp.close()
	nt := len(fhirtype.R4)
	z := &analyzer{opts: opts, a: &Analysis{}, ib: graph.NewIndexBuilder(0), sp: sp,
		seed: maphash.MakeSeed(), edgeCount: make([]int, nt*nt)}
	present := make([]string, 0, len(byType))
	for t := range byType {
		present = append(present, t)
	}
	sort.Strings(present)
	if err := z.readInputs(ctx, present, byType); err != nil {
		return err
	}
	a := z.a
	a.index = z.ib.Build()
	a.Resources = a.index.Len()
	if err := a.findDuplicates(ctx, sp); err != nil {
		return err
	}
	typeEdges := z.typeEdges()
	groups := graph.TypeOrder(present, typeEdges, Classic)
	g, err := z.link(ctx, groups)
	if err != nil {
		return err
	}
	a.res = g.Plan()
	a.placed = newPlacedFilter(a.index, a.res)
	st := a.res.Stats()
	a.Cycles, a.CycleNodes, a.LargestCycle = st.Cycles, st.CycleNodes, st.LargestCycle
	a.Waves = max(1, st.Levels)
	p.Analysis = a
	p.Steps = stepsFromGroups(groups, typeEdges, byType)
	return nil
}

// analyzer is the state of one analysis.
type analyzer struct {
	opts Options
	a    *Analysis
	ib   *graph.IndexBuilder
	sp   *refSpill
	seed maphash.Seed // of the content hashes
	// edgeCount counts the references from type i to type j (indexes in
	// fhirtype.R4) at i*len(fhirtype.R4)+j: a map lookup per reference
	// costs more than the search.
	edgeCount []int
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
	l := &linker{a: z.a, g: graph.New(z.a.index.Len()), groupOf: map[string]int{}, missing: map[string]bool{}}
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
}

// resource takes in the references of one resource read back.
func (l *linker) resource(r *spilledResource) {
	a := l.a
	if len(a.dups) > 0 {
		if key := graph.KeyBytes(r.typ, r.id); a.isDuplicate(key) {
			check := a.checkHash(r.typ, r.id)
			a.nameExample(key, check, r.typ, r.id)
			if !a.writtenAt(key, check, r.file, r.line) {
				return
			}
		}
	}
	gr, cyclic := l.groupOf[r.typ]
	// The resource's own node is looked up only for its first edge: most
	// resources have none (a lookup is a trip to memory for a large
	// input).
	src, haveSrc := uint32(0), false
	for _, ref := range r.refs {
		a.References++
		dst, ok := a.index.Lookup(graph.KeyBytes(ref.typ, ref.id))
		if !ok {
			l.dangling(r, ref)
			continue
		}
		if dg, ok := l.groupOf[ref.typ]; !cyclic || !ok || dg != gr {
			continue
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

// stepsFromGroups puts groups that do not depend on each other in one
// step: a group's step is one more than the highest step of the groups
// it references.
func stepsFromGroups(groups []graph.TypeGroup, typeEdges map[[2]string]int, byType map[string][]File) []Step {
	groupOf := map[string]int{}
	for gi, g := range groups {
		for _, t := range g.Types {
			groupOf[t] = gi
		}
	}
	level := make([]int, len(groups))
	for gi, g := range groups { // groups come in dependency order
		for _, t := range g.Types {
			for e := range typeEdges {
				if e[0] != t {
					continue
				}
				dg, ok := groupOf[e[1]]
				if ok && dg != gi {
					level[gi] = max(level[gi], level[dg]+1)
				}
			}
		}
	}
	var steps []Step
	for gi, g := range groups {
		for len(steps) <= level[gi] {
			steps = append(steps, Step{})
		}
		st := &steps[level[gi]]
		st.Types = append(st.Types, g.Types...)
		for _, t := range g.Types {
			fs := byType[t]
			sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
			st.Files = append(st.Files, fs...)
		}
	}
	return steps
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
		if bytes.IndexByte(ref[i+1:], '/') < 0 && bytes.IndexAny(ref, ":?#") < 0 {
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
