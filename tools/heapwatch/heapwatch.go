// Package heapwatch measures the most memory a piece of code keeps live,
// for the tests and benchmarks that bound it.
package heapwatch

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

const liveHeap = "/gc/heap/live:bytes"

// Peak runs fn and returns the largest live heap seen meanwhile: what the
// garbage collector found reachable at the end of each cycle, sampled
// every millisecond, with one collection forced before fn and one after.
//
// The live heap is the measure, not HeapInuse: HeapInuse also holds the
// garbage that piled up since the last cycle, which moves with the GC's
// pacing and the machine's load (the same upload of an 8 MiB Bundle:
// HeapInuse 19 MiB in one run and 34 MiB in another, a live heap of 9 MiB
// in both).
func Peak(fn func()) uint64 {
	runtime.GC()
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			peak = max(peak, live())
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	runtime.GC() // the last stretch of fn counts too
	return max(peak, live())
}

// live is the live heap as of the last completed GC cycle.
func live() uint64 {
	s := []metrics.Sample{{Name: liveHeap}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
