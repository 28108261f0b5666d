package bundle

import (
	"hash/maphash"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

// target is the Type/id an entry's fullUrl stands for, in 8 bytes: the
// type's index in fhirtype.R4, the Bundle it was first seen in, and the
// id as the last idLen bytes of the fullUrl (urn:uuid:<id>, or
// base/Type/<id>, as nearly every Bundle has it). An id the fullUrl does
// not end with is kept in urls.ids.
type target struct {
	ti     uint16
	idLen  uint16 // 0: the id is in urls.ids
	bundle uint32
}

// urls maps the fullUrl of every written entry of the input to the
// Type/id it is written as, by a 64-bit hash of the fullUrl: about 30
// bytes an entry in a Go map (measured: see TestURLsMemory), whatever
// the length of the fullUrl, so 30 MB for a million entries. Two fullUrls
// with the same hash (about n²/2⁶⁵: 3·10⁻⁶ for ten million) would rewrite
// a reference to the wrong one of them.
//
// A fullUrl that stands for different resources in different Bundles is
// resolved within each Bundle (local); a reference from a Bundle that
// does not hold it goes to the first.
type urls struct {
	seed  maphash.Seed
	m     map[uint64]target
	ids   map[uint64]string
	amb   map[uint64]bool
	local map[[2]uint64]string // (Bundle, hash) -> Type/id, for ambiguous fullUrls
}

func newURLs() *urls {
	return &urls{seed: maphash.MakeSeed(), m: map[uint64]target{}, ids: map[uint64]string{},
		amb: map[uint64]bool{}, local: map[[2]uint64]string{}}
}

// add records that in Bundle number bundle, fullUrl stands for typ/id.
func (u *urls) add(bundle int, fullURL, typ, id string) {
	if fullURL == "" {
		return
	}
	ti, _ := fhirtype.Index(typ)
	k := maphash.String(u.seed, fullURL)
	t := target{ti: uint16(ti), bundle: uint32(bundle)}
	if strings.HasSuffix(fullURL, id) && len(id) < 1<<16 {
		t.idLen = uint16(len(id))
	}
	old, seen := u.m[k]
	if !seen {
		u.m[k] = t
		if t.idLen == 0 {
			u.ids[k] = id
		}
		return
	}
	oldRef := u.name(fullURL, k, old)
	ref := typ + "/" + id
	if !u.amb[k] && oldRef == ref {
		return
	}
	if !u.amb[k] {
		u.amb[k] = true
		u.local[[2]uint64{uint64(old.bundle), k}] = oldRef
	}
	u.local[[2]uint64{uint64(bundle), k}] = ref
}

// name is the Type/id of target t of fullUrl (hash k).
func (u *urls) name(fullURL string, k uint64, t target) string {
	typ := fhirtype.R4[t.ti]
	if t.idLen == 0 {
		return typ + "/" + u.ids[k]
	}
	return typ + "/" + fullURL[len(fullURL)-int(t.idLen):]
}

// lookup returns the Type/id that ref, a reference of Bundle number
// bundle, stands for when it is the fullUrl of an entry of the input.
func (u *urls) lookup(bundle int, ref string) (string, bool) {
	k := maphash.String(u.seed, ref)
	t, ok := u.m[k]
	if !ok {
		return "", false
	}
	if u.amb[k] {
		if s, ok := u.local[[2]uint64{uint64(bundle), k}]; ok {
			return s, true
		}
	}
	return u.name(ref, k, t), true
}

// len is the number of distinct fullUrls.
func (u *urls) len() int { return len(u.m) }
