package heapwatch

import (
	"runtime"
	"testing"
)

// TestPeak: memory kept reachable while fn runs is seen, and memory
// dropped before it starts is not.
func TestPeak(t *testing.T) {
	garbage := make([]byte, 64<<20)
	garbage[0] = 1
	garbage = nil
	runtime.KeepAlive(garbage)

	const held = 32 << 20
	got := Peak(func() {
		b := make([]byte, held)
		for i := range b {
			b[i] = byte(i) // touched, so that it is no smaller than asked
		}
		runtime.GC()
		runtime.KeepAlive(b)
	})
	if got < held || got > held+16<<20 {
		t.Errorf("peak %d MiB; want %d MiB and at most 16 MiB more (the 64 MiB dropped before are not live)", got>>20, held>>20)
	}
	idle := Peak(func() {})
	if idle > 16<<20 {
		t.Errorf("peak of nothing %d MiB; want under 16 MiB", idle>>20)
	}
}
