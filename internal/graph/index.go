package graph

import (
	"math/bits"
	"slices"
)

// IndexBuilder collects the keys of all resources. The zero value is
// ready to use.
type IndexBuilder struct {
	keys []uint64
}

// NewIndexBuilder returns a builder with room for n keys, which avoids
// growing (and briefly doubling) the key slice when n is known.
func NewIndexBuilder(n int) *IndexBuilder {
	return &IndexBuilder{keys: make([]uint64, 0, n)}
}

// Add adds the key of one resource. Keys may repeat.
func (b *IndexBuilder) Add(key uint64) { b.keys = append(b.keys, key) }

// Build sorts and de-duplicates the keys and returns the Index. It takes
// over the builder's memory: the builder is empty afterwards.
func (b *IndexBuilder) Build() *Index {
	keys := b.keys
	b.keys = nil
	slices.Sort(keys)
	added := len(keys)
	var repeated []uint64
	for i := 1; i < len(keys); i++ {
		if keys[i] == keys[i-1] && (len(repeated) == 0 || repeated[len(repeated)-1] != keys[i]) {
			repeated = append(repeated, keys[i])
		}
	}
	keys = slices.Compact(keys)
	ix := &Index{keys: keys, dups: added - len(keys), repeated: repeated}
	ix.buildDir()
	return ix
}

// Index maps the key of each resource to a node: its position among the
// sorted distinct keys, from 0 to Len()-1. It takes 8 bytes per key plus
// a directory of about 0.25 byte per key, and holds at most 2³²-1 keys.
type Index struct {
	keys []uint64
	dups int
	// repeated holds, sorted, the keys added more than once.
	repeated []uint64
	// dir[b] is the position of the first key whose top bits are >= b;
	// it narrows a Lookup to about 16 keys, since hashes are uniform.
	dir   []uint32
	shift uint
}

// keysPerBucket is the average number of keys a Lookup searches.
const keysPerBucket = 16

// buildDir fills the directory of the top log2(n/keysPerBucket) bits.
func (ix *Index) buildDir() {
	nb := 0
	if n := len(ix.keys) / keysPerBucket; n > 1 {
		nb = bits.Len(uint(n)) - 1
	}
	ix.shift = 64 - uint(nb)
	ix.dir = make([]uint32, 1<<nb+1)
	pos := 0
	for b := range 1 << nb {
		for pos < len(ix.keys) && ix.bucket(ix.keys[pos]) < b {
			pos++
		}
		ix.dir[b] = uint32(pos)
	}
	ix.dir[1<<nb] = uint32(len(ix.keys))
}

// bucket returns the directory slot of key.
func (ix *Index) bucket(key uint64) int {
	return int(key >> ix.shift) // 0 when shift is 64
}

// Len returns the number of distinct keys, that is of nodes.
func (ix *Index) Len() int { return len(ix.keys) }

// Duplicates returns how many added keys were already present: resources
// given twice, or (rarely, see Key) two resources whose keys collide.
func (ix *Index) Duplicates() int { return ix.dups }

// Repeated returns, sorted, the keys that were added more than once: 8
// bytes each, kept only for those. The caller must not change it.
func (ix *Index) Repeated() []uint64 { return ix.repeated }

// Key returns the key of node i.
func (ix *Index) Key(i uint32) uint64 { return ix.keys[i] }

// Lookup returns the node of key, and false if key was never added.
//
// Keys are uniform hashes, so the bits below the directory's say where in
// its bucket a key sits: Lookup starts there and steps to the place, which
// is usually a step or two away and in the same cache line. (A binary
// search of the bucket touches three lines or four, and the keys of a
// large input are far from the CPU's caches.)
func (ix *Index) Lookup(key uint64) (uint32, bool) {
	b := ix.bucket(key)
	lo, hi := int(ix.dir[b]), int(ix.dir[b+1])
	rest := key << (64 - ix.shift) // the bits below the bucket's
	i := lo + int((rest>>32)*uint64(hi-lo)>>32)
	for range maxSteps {
		switch {
		case i > lo && ix.keys[i-1] >= key:
			i--
		case i < hi && ix.keys[i] < key:
			i++
		default: // keys[i-1] < key <= keys[i]
			return uint32(i), i < hi && ix.keys[i] == key
		}
	}
	// Keys that are not spread evenly (not hashes): search the bucket.
	j, ok := slices.BinarySearch(ix.keys[lo:hi], key)
	return uint32(lo + j), ok
}

// maxSteps bounds the steps of a Lookup before it searches by halves.
const maxSteps = 8
