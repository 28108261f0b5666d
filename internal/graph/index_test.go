package graph

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestIndex(t *testing.T) {
	tests := []struct {
		name     string
		add      []uint64
		keys     []uint64
		dups     int
		repeated []uint64
		absent   []uint64
	}{
		{"empty", nil, nil, 0, nil, []uint64{0, 5, math.MaxUint64}},
		{"one", []uint64{7}, []uint64{7}, 0, nil, []uint64{0, 6, 8, math.MaxUint64}},
		{"sorted and deduplicated", []uint64{9, 3, 9, 1, 3, 3}, []uint64{1, 3, 9}, 3, []uint64{3, 9}, []uint64{0, 2, 10}},
		{"extremes", []uint64{math.MaxUint64, 0, 1 << 63}, []uint64{0, 1 << 63, math.MaxUint64}, 0, nil, []uint64{1, 1<<63 - 1}},
		{"repeated at the ends", []uint64{0, math.MaxUint64, 0, 5, math.MaxUint64}, []uint64{0, 5, math.MaxUint64}, 2, []uint64{0, math.MaxUint64}, []uint64{1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b IndexBuilder
			for _, k := range tt.add {
				b.Add(k)
			}
			ix := b.Build()
			checkIndex(t, ix, tt.keys, tt.absent)
			if got := ix.Duplicates(); got != tt.dups {
				t.Errorf("Duplicates: got %d, want %d", got, tt.dups)
			}
			if got := ix.Repeated(); !slices.Equal(got, tt.repeated) {
				t.Errorf("Repeated: got %v, want %v", got, tt.repeated)
			}
		})
	}
}

// TestIndexRandom checks lookups with a full directory, on uniform keys
// as hashes give and on keys crowded in one directory slot.
func TestIndexRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name string
		key  func() uint64
	}{
		{"uniform", r.Uint64},
		{"crowded", func() uint64 { return r.Uint64N(1 << 20) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewIndexBuilder(100_000)
			var keys, absent []uint64
			for range 100_000 {
				k := tt.key()
				b.Add(k)
				keys = append(keys, k)
				absent = append(absent, tt.key())
			}
			slices.Sort(keys)
			keys = slices.Compact(keys)
			absent = slices.DeleteFunc(absent, func(k uint64) bool {
				_, found := slices.BinarySearch(keys, k)
				return found
			})
			checkIndex(t, b.Build(), keys, absent)
		})
	}
}

// checkIndex checks that ix holds exactly keys, in order, and none of
// absent.
func checkIndex(t *testing.T, ix *Index, keys, absent []uint64) {
	t.Helper()
	if ix.Len() != len(keys) {
		t.Fatalf("Len: got %d, want %d", ix.Len(), len(keys))
	}
	for i, k := range keys {
		n, ok := ix.Lookup(k)
		if !ok || n != uint32(i) {
			t.Fatalf("Lookup(%d): got %d, %v, want %d, true", k, n, ok, i)
		}
		if got := ix.Key(n); got != k {
			t.Fatalf("Key(%d): got %d, want %d", n, got, k)
		}
	}
	for _, k := range absent {
		if n, ok := ix.Lookup(k); ok {
			t.Fatalf("Lookup(%d) of an absent key: got %d, true", k, n)
		}
	}
}
