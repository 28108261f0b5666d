package synth_test

import (
	"sort"

	"github.com/google/go-cmp/cmp"
)

// cmpSort compares slices regardless of order.
func cmpSort[T any](less func(a, b T) bool) cmp.Option {
	return cmp.Transformer("sort", func(in []T) []T {
		out := append([]T(nil), in...)
		sort.SliceStable(out, func(i, j int) bool { return less(out[i], out[j]) })
		return out
	})
}
