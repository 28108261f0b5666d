package plan

import (
	"cmp"
	"context"
	"hash/maphash"
	"slices"

	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
)

// Duplicates sums up the ids that occur more than once in the input.
// Each is written once: its last occurrence in input order (files in
// lexical order of their name, the path relative to the input; then
// lines in file order). The earlier occurrences are not sent.
type Duplicates struct {
	// IDs counts the Type/id that occur more than once; Differing those of
	// them whose occurrences do not all have the same bytes.
	IDs       int `json:"ids"`
	Differing int `json:"differing"`
	// Superseded counts the occurrences that are not written: for each
	// duplicated id, all but its last.
	Superseded int `json:"superseded"`
	// Examples names the first MaxDuplicateExamples duplicated ids, by
	// the input position of their first occurrence.
	Examples []DuplicateExample `json:"examples,omitempty"`
}

// MaxDuplicateExamples bounds Duplicates.Examples.
const MaxDuplicateExamples = 5

// maxExampleSites bounds the occurrences an example names.
const maxExampleSites = 4

// DuplicateExample is one duplicated id.
type DuplicateExample struct {
	Resource string `json:"resource"` // Type/id
	// At names occurrences as file:line in input order: the first ones
	// (at most 3) and always the last, the one written.
	At          []string `json:"at"`
	Occurrences int      `json:"occurrences"`
	Differing   bool     `json:"differing"`
}

// dupAt says where a duplicated id is written. Besides its key (its
// index in the map) it holds a second, independent hash of its Type/id:
// a resource whose key only collides with a duplicated id's is not one
// of its occurrences. (Both hashes colliding, about 2⁻¹²⁸, would at worst
// write that resource in each of its occurrences: nothing is lost.)
type dupAt struct {
	check uint64
	file  uint32 // in dupFiles.names
	line  uint32
}

// dupFiles numbers the names of the files that hold duplicated ids.
type dupFiles struct {
	names []string
	num   map[string]uint32
	rank  []uint32 // of each name, in lexical order (see rankNames)
}

// rankNames sets the rank of each name in lexical order.
func (f *dupFiles) rankNames() {
	order := make([]uint32, len(f.names))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(x, y uint32) int { return cmp.Compare(f.names[x], f.names[y]) })
	f.rank = make([]uint32, len(f.names))
	for r, i := range order {
		f.rank[i] = uint32(r)
	}
}

func (f *dupFiles) number(name string) uint32 {
	n, ok := f.num[name]
	if !ok {
		n = uint32(len(f.names))
		f.names = append(f.names, name)
		f.num[name] = n
	}
	return n
}

// dupOccurrence is one line of a repeated key while findDuplicates
// collects them: 32 bytes.
type dupOccurrence struct {
	key, check uint64
	file, line uint32
	content    uint64 // hash of the line's bytes
	ord        uint64 // the resource's ordinal in the spill
}

// findDuplicates reads the spill for the occurrences of the keys the
// index saw more than once and keeps, for each duplicated Type/id, where
// it is written. Its memory is for the repeated keys only: about 32
// bytes per occurrence while it runs, and the map of where each is
// written after.
func (a *Analysis) findDuplicates(ctx context.Context, sp *refSpill, repeated []uint64, extra int) error {
	if len(repeated) == 0 {
		return nil
	}
	a.dupSeed = maphash.MakeSeed()
	a.dupFiles = dupFiles{num: map[string]uint32{}}
	a.dups = make(map[uint64]dupAt, len(repeated))
	for _, k := range repeated {
		a.dups[k] = dupAt{}
	}
	// Each added key that was there already is one more occurrence.
	occ := make([]dupOccurrence, 0, len(repeated)+extra)
	ord := uint64(0)
	err := sp.each(ctx, func(r *spilledResource) {
		ord++
		k := graph.KeyBytes(r.typ, r.id)
		if _, ok := a.dups[k]; ok {
			occ = append(occ, dupOccurrence{key: k, check: a.checkHash(r.typ, r.id),
				file: a.dupFiles.number(r.file), line: uint32(r.line), content: r.hash, ord: ord})
		}
	})
	if err != nil {
		return err
	}
	// Files by name: input order.
	a.dupFiles.rankNames()
	rank := a.dupFiles.rank
	// By id, then in input order. (A site given twice, as a replayed
	// failure log may, is written in either occurrence: Written compares
	// sites.)
	slices.SortFunc(occ, func(x, y dupOccurrence) int {
		return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.check, y.check),
			cmp.Compare(rank[x.file], rank[y.file]), cmp.Compare(x.line, y.line))
	})
	clear(a.dups)
	ids := make([][]dupOccurrence, 0, len(repeated)) // the duplicated ids' occurrences
	for start := 0; start < len(occ); {
		end := start + 1
		for end < len(occ) && occ[end].key == occ[start].key && occ[end].check == occ[start].check {
			end++
		}
		if end-start > 1 {
			ids = append(ids, occ[start:end])
			a.duplicate(occ[start:end])
		}
		start = end
	}
	a.superseded = map[uint64]struct{}{}
	a.supersededIn = map[string]bool{}
	for _, o := range occ {
		if name := a.dupFiles.names[o.file]; !a.writtenAt(o.key, o.check, name, int(o.line)) {
			a.superseded[o.ord] = struct{}{}
			if a.dups[o.key].file != o.file {
				a.supersededIn[name] = true
			}
		}
	}
	a.pickExamples(ids)
	return a.nameExamples(ctx, sp)
}

// duplicate records one duplicated Type/id from its occurrences in input
// order.
func (a *Analysis) duplicate(occ []dupOccurrence) {
	last := occ[len(occ)-1]
	if _, taken := a.dups[last.key]; !taken { // else a key collision: see dupAt
		a.dups[last.key] = dupAt{check: last.check, file: last.file, line: last.line}
	}
	d := &a.Duplicates
	d.IDs++
	d.Superseded += len(occ) - 1
	if differing(occ) {
		d.Differing++
	}
}

func differing(occ []dupOccurrence) bool {
	for _, o := range occ {
		if o.content != occ[0].content {
			return true
		}
	}
	return false
}

// pickExamples keeps as examples the MaxDuplicateExamples ids whose
// first occurrence comes first in input order (their Type/id is filled
// in by nameExamples).
func (a *Analysis) pickExamples(ids [][]dupOccurrence) {
	rank := a.dupFiles.rank
	slices.SortFunc(ids, func(x, y []dupOccurrence) int {
		return cmp.Or(cmp.Compare(rank[x[0].file], rank[y[0].file]), cmp.Compare(x[0].line, y[0].line),
			cmp.Compare(x[0].key, y[0].key))
	})
	a.exampleOf = map[uint64]int{}
	for _, occ := range ids[:min(len(ids), MaxDuplicateExamples)] {
		ex := DuplicateExample{Occurrences: len(occ), Differing: differing(occ)}
		for _, o := range occ[:min(len(occ)-1, maxExampleSites-1)] {
			ex.At = append(ex.At, a.site(o))
		}
		ex.At = append(ex.At, a.site(occ[len(occ)-1]))
		a.exampleOf[occ[0].key^occ[0].check] = len(a.Duplicates.Examples)
		a.exampleKeys = append(a.exampleKeys, occ[0].key)
		a.Duplicates.Examples = append(a.Duplicates.Examples, ex)
	}
}

func (a *Analysis) site(o dupOccurrence) string {
	return origin.At(a.dupFiles.names[o.file], int(o.line))
}

// nameExamples reads the spill once more for the Type/id of the
// examples: the occurrences kept only hashes of them.
func (a *Analysis) nameExamples(ctx context.Context, sp *refSpill) error {
	keys := make(map[uint64]bool, len(a.exampleOf)) // a few: in the CPU's cache
	for _, ex := range a.exampleKeys {
		keys[ex] = true
	}
	return sp.each(ctx, func(r *spilledResource) {
		k := graph.KeyBytes(r.typ, r.id)
		if !keys[k] {
			return
		}
		if i, ok := a.exampleOf[k^a.checkHash(r.typ, r.id)]; ok && a.Duplicates.Examples[i].Resource == "" {
			a.Duplicates.Examples[i].Resource = r.typ + "/" + string(r.id)
		}
	})
}

// checkHash is the second hash of typ/id (see dupAt). The seeded
// functions allocate nothing, unlike a maphash.Hash, which escapes.
func (a *Analysis) checkHash(typ string, id []byte) uint64 {
	return maphash.Bytes(a.dupSeed, id) + 0x9e3779b97f4a7c15*maphash.String(a.dupSeed, typ)
}

// Written reports whether the line at file:line (file as the source names
// it, line 1-based), which holds the resource typ/id, is the one written:
// false for an occurrence of a duplicated id other than its last in input
// order, true otherwise (and for an id that occurs once, or that the plan
// did not see). A nil Analysis (a plan that did not read the data) writes
// every line.
func (a *Analysis) Written(typ, id, file string, line int) bool {
	if a == nil || len(a.dups) == 0 {
		return true
	}
	key := graph.Key(typ, id)
	if !a.isDuplicate(key) {
		return true
	}
	return a.writtenAt(key, a.checkHash(typ, []byte(id)), file, line)
}

// Superseded reports whether the file (as the source names it) holds an
// occurrence of a duplicated id that is not written because another
// file's is. (Of occurrences within one file, which is written depends
// on that file alone.)
func (a *Analysis) Superseded(file string) bool {
	return a != nil && a.supersededIn[file]
}

// SupersededAny reports whether any file that match accepts is one that
// Superseded names.
func (a *Analysis) SupersededAny(match func(file string) bool) bool {
	if a == nil {
		return false
	}
	for f := range a.supersededIn {
		if match(f) {
			return true
		}
	}
	return false
}

// isDuplicate reports whether key is that of a duplicated id.
func (a *Analysis) isDuplicate(key uint64) bool {
	_, ok := a.dups[key]
	return ok
}

// writtenAt is Written for the key and check hash of a Type/id.
func (a *Analysis) writtenAt(key, check uint64, file string, line int) bool {
	d, ok := a.dups[key]
	if !ok || d.check != check {
		return true
	}
	return int(d.line) == line && a.dupFiles.names[d.file] == file
}
