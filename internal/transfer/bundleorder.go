package transfer

import (
	"container/heap"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/refs"
)

// orderEntries puts, inside one Bundle, every entry after the entries it
// references (by Type/id, through internal/refs), keeping the order as
// read wherever the references allow: a stable topological order. A batch
// is processed entry by entry, so a reference to a later entry of the
// same batch fails where a transaction would have resolved it; with
// targets first, the batch that HAPI falls back to after a failed
// transaction attempt succeeds wherever the transaction would. Entries
// that repeat a Type/id keep their order (the last one wins on the
// server); entries in a reference cycle keep theirs too (no order
// helps them). It rewrites b's Bundle only when the order changes.
func orderEntries(b *batch) {
	after := dependencies(b)
	if after == nil {
		return
	}
	order := stableTopo(len(b.entries), after)
	bl := builders.Get().(*fhir.Builder)
	bl.ResetAs(b.kind)
	entries := make([]entry, len(order))
	for k, i := range order {
		bl.Add(b.entries[i].typ, b.entries[i].id, b.bundle.Resource(i))
		entries[k] = b.entries[i]
	}
	builders.Put(b.bundle)
	b.bundle, b.entries = bl, entries
}

// dependencies returns, for each entry, the entries that must come before
// it; nil when every entry already comes after those it references.
func dependencies(b *batch) [][]int {
	if len(b.entries) < 2 {
		return nil
	}
	at := make(map[string][]int, len(b.entries)) // Type/id -> entries
	for i, e := range b.entries {
		k := e.typ + "/" + e.id
		at[k] = append(at[k], i)
	}
	var after [][]int
	forward := false
	for i := range b.entries {
		if refs.Opaque(b.entries[i].typ) {
			continue
		}
		refs.Each(b.bundle.Resource(i), func(raw []byte) {
			r := refs.Parse(string(raw), "")
			if !r.Local() {
				return
			}
			for _, j := range at[r.Type+"/"+r.ID] {
				if j == i {
					continue
				}
				if after == nil {
					after = make([][]int, len(b.entries))
				}
				after[i] = append(after[i], j)
				forward = forward || j > i
			}
		})
	}
	if !forward {
		return nil
	}
	// A repeated Type/id stays in its order: each copy after the one before.
	for _, is := range at {
		for k := 1; k < len(is); k++ {
			after[is[k]] = append(after[is[k]], is[k-1])
		}
	}
	return after
}

// stableTopo orders 0..n-1 so that each comes after those in after[i],
// taking the lowest index ready at each point; when a cycle leaves none
// ready, the lowest index left goes next.
func stableTopo(n int, after [][]int) []int {
	waiting := make([]int, n) // unplaced prerequisites, per entry
	next := make([][]int, n)  // entries waiting for each
	for i, deps := range after {
		for _, j := range deps {
			waiting[i]++
			next[j] = append(next[j], i)
		}
	}
	ready := &intHeap{}
	for i := range n {
		if waiting[i] == 0 {
			heap.Push(ready, i)
		}
	}
	placed := make([]bool, n)
	order := make([]int, 0, n)
	lowest := 0 // every index below it is placed
	for len(order) < n {
		var i int
		if ready.Len() > 0 {
			i = heap.Pop(ready).(int)
		} else {
			for placed[lowest] {
				lowest++
			}
			i = lowest // a cycle: break it at its first entry
		}
		if placed[i] {
			continue
		}
		placed[i] = true
		order = append(order, i)
		for _, k := range next[i] {
			if waiting[k]--; waiting[k] == 0 && !placed[k] {
				heap.Push(ready, k)
			}
		}
	}
	return order
}

// intHeap is a min-heap of ints.
type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
