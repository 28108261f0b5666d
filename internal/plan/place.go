package plan

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"math/bits"
	"os"
	"slices"
	"sync"

	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
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

// Analysis is what a plan knows of each resource: where it goes in its
// step (Place) and whether its line is the one written (Written), with the
// statistics of the data it read (Stats, embedded).
type Analysis struct {
	Stats

	// placed holds the resources that references within a step order
	// (nil if none).
	placed *placements
	// rounds and batches are the stepGraph's counts: how many
	// contractions its components took, in how many batches it planned.
	rounds, batches int
	// superseded holds the ordinals (in the planner's spill) of the
	// occurrences of duplicated ids that are not written.
	superseded map[uint64]struct{}
	// supersededIn names the files that hold such occurrences whose id
	// another file's occurrence writes.
	supersededIn map[string]bool
	// dups holds, by key, the ids that occur more than once: where each
	// is written (see findDuplicates).
	dups        map[uint64]dupAt
	dupFiles    dupFiles
	dupSeed     maphash.Seed
	exampleOf   map[uint64]int // key^check of each example -> its index in Duplicates.Examples
	exampleKeys []uint64       // the key of each example
}

// Place returns where a resource goes. Resources the plan did not see
// (they failed the line checks) go in wave 0. The error is one of
// reading the plan's file of placements.
func (a *Analysis) Place(typ, id string) (Placement, error) {
	if a == nil || a.placed == nil {
		return Placement{}, nil // no reference orders resources within a step
	}
	key := graph.Key(typ, id)
	if !a.placed.filter.mayBePlaced(key) {
		return Placement{}, nil
	}
	return a.placed.get(key)
}

// Close removes the plan's file of placements, if it has one: Place
// may not be called after. (An Analysis dropped without Close closes it
// when collected, as any os.File.)
func (a *Analysis) Close() error {
	if a == nil || a.placed == nil || a.placed.f == nil {
		return nil
	}
	err := a.placed.f.Close()
	a.placed.f = nil
	return err
}

// placements holds the placement of every resource that is not in wave
// 0 in no cycle, by key: in memory when they take at most the graph's
// memory, else in a file of sorted records (key, wave, cycle: 16 bytes)
// of which memory holds the first key of every block of placeBlock.
// Either way a filter answers for most of the other keys.
type placements struct {
	mem    []pair // key, wave<<32 | cycle
	f      *os.File
	first  []uint64
	n      int
	filter placedFilter
}

// placeBlock is the number of records of a block of the file: a page.
const placeBlock = 256

var blockPool = sync.Pool{New: func() any { return new([placeBlock * pairBytes]byte) }}

// newPlacements reads the n placements of s (sorted by key) into
// memory, or when they take more than mem bytes into a temporary file
// of dir, removed while open (Analysis.Close closes it).
func newPlacements(dir string, s *sorter, n, mem int) (*placements, error) {
	if n == 0 {
		return nil, nil
	}
	pl := &placements{n: n, filter: newPlacedFilter(n)}
	if n*pairBytes <= mem {
		pl.mem = make([]pair, 0, n)
		err := each(s, func(p pair) error { pl.mem = append(pl.mem, p); pl.filter.set(p.key); return nil })
		return pl, err
	}
	f, err := os.CreateTemp(dir, "minio-to-fhir-placed-*")
	if err != nil {
		return nil, fmt.Errorf("planner's file of placements: %w", err)
	}
	_ = os.Remove(f.Name()) // open, it stays readable
	pl.f = f
	if err := pl.write(s); err != nil {
		f.Close()
		return nil, fmt.Errorf("planner's file of placements: %w", err)
	}
	return pl, nil
}

// write copies the sorted placements of s to the file, block by block.
func (pl *placements) write(s *sorter) error {
	buf := blockPool.Get().(*[placeBlock * pairBytes]byte)
	defer blockPool.Put(buf)
	i, off := 0, int64(0)
	flush := func() error {
		_, err := pl.f.WriteAt(buf[:i*pairBytes], off)
		off += int64(i * pairBytes)
		i = 0
		return err
	}
	err := each(s, func(p pair) error {
		if i == 0 {
			pl.first = append(pl.first, p.key)
		}
		binary.LittleEndian.PutUint64(buf[i*pairBytes:], p.key)
		binary.LittleEndian.PutUint64(buf[i*pairBytes+8:], p.val)
		pl.filter.set(p.key)
		if i++; i == placeBlock {
			return flush()
		}
		return nil
	})
	if err == nil && i > 0 {
		err = flush()
	}
	return err
}

// get returns the placement of key, without the filter.
func (pl *placements) get(key uint64) (Placement, error) {
	if pl.f == nil {
		i, ok := slices.BinarySearchFunc(pl.mem, key, func(p pair, k uint64) int { return cmp.Compare(p.key, k) })
		if !ok {
			return Placement{}, nil
		}
		return placementOf(pl.mem[i].val), nil
	}
	// The block whose first key is the last at most key.
	b, ok := slices.BinarySearch(pl.first, key)
	if !ok {
		if b == 0 {
			return Placement{}, nil
		}
		b--
	}
	n := min(placeBlock, pl.n-b*placeBlock)
	buf := blockPool.Get().(*[placeBlock * pairBytes]byte)
	defer blockPool.Put(buf)
	if _, err := pl.f.ReadAt(buf[:n*pairBytes], int64(b)*placeBlock*pairBytes); err != nil {
		return Placement{}, fmt.Errorf("planner's file of placements: %w", err)
	}
	lo, hi := 0, n
	for lo < hi {
		m := (lo + hi) / 2
		k := binary.LittleEndian.Uint64(buf[m*pairBytes:])
		switch {
		case k == key:
			return placementOf(binary.LittleEndian.Uint64(buf[m*pairBytes+8:])), nil
		case k < key:
			lo = m + 1
		default:
			hi = m
		}
	}
	return Placement{}, nil
}

func placementOf(v uint64) Placement { return Placement{Wave: int(v >> 32), Cycle: uint32(v)} }

// maxFilterBits bounds the placed filter: 16 MiB. Up to 16 Mi placed
// resources it has 8 bits for each; beyond, more of the other keys pass
// it (about 21% at 30 M placed) and Place reads a block for them.
const maxFilterBits = 1 << 27

// placedFilter is a bit per hash slot, set for the keys of resources not
// in wave 0 or in a cycle: most resources are neither, and the filter
// answers for them without a search of the placements, which for a large
// input is a trip to memory or to the file. A set bit may be another
// key's: Place then looks. It costs about 1 byte per placed resource, at
// most maxFilterBits/8 bytes. BenchmarkPlace keeps it: on a million
// MIMIC-shaped resources Place takes 82-110 ns a resource with it and
// 134-250 ns without (six runs each, a noisy machine).
type placedFilter struct {
	bits  []uint64
	shift uint
}

// newPlacedFilter returns an empty filter for n keys.
func newPlacedFilter(n int) placedFilter {
	lg := min(bits.Len(uint(8*n-1)), bits.Len(maxFilterBits-1)) // about 8 slots per key
	return placedFilter{bits: make([]uint64, max(1, (1<<lg)/64)), shift: uint(64 - lg)}
}

func (f placedFilter) set(key uint64) {
	s := f.slot(key)
	f.bits[s/64] |= 1 << (s % 64)
}

func (f placedFilter) slot(key uint64) uint64 {
	return (key * 0x9e3779b97f4a7c15) >> f.shift // below 1<<lg, the slots' number
}

// mayBePlaced reports false for a key surely in wave 0 and no cycle.
func (f placedFilter) mayBePlaced(key uint64) bool {
	s := f.slot(key)
	return f.bits[s/64]&(1<<(s%64)) != 0
}
