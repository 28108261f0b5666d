package series

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// BenchmarkSeriesCost is what the series costs a load: each op is one
// point (5 s) of a load far faster than any measured (100 Bundles of 200
// resources answered, every one retried once), with the series already
// at its largest (MaxPoints), closed and written to disk in full as a
// load does. cpu-%-of-load is the op's time over the 5 s it stands for:
// it must stay under 1. The series never grows past MaxPoints points
// (TestWeekStaysSmall), so neither does its memory nor its file;
// heap-bytes and file-bytes report them at the end.
func BenchmarkSeriesCost(b *testing.B) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	path := filepath.Join(b.TempDir(), "bench.series.json")
	r := New(Options{Job: "bench", Path: path, Now: c.now, Nodes: []string{"a", "b"},
		Sources: Sources{Proc: ProcStats, Nodes: func() []NodePoint { return make([]NodePoint, 2) }}})
	r.SetGate(func() (float64, int, int) { return 0, 4, 8 })
	point := func() {
		for i := range 100 {
			r.Request(time.Duration(50+i*7) * time.Millisecond)
			r.Retried(nil)
			r.Confirmed(190, 5, 5)
		}
		c.advance(5 * time.Second)
		r.Flush()
	}
	for range MaxPoints {
		point()
	}
	b.ResetTimer()
	for b.Loop() {
		point()
	}
	b.StopTimer()
	per := b.Elapsed().Seconds() / float64(b.N)
	cost := per / 5 * 100
	b.ReportMetric(cost, "cpu-%-of-load")
	if cost >= 1 {
		b.Errorf("the series costs %.2f%% of a load's time, want under 1%%", cost)
	}
	if n := len(r.Snapshot().Points); n > MaxPoints {
		b.Fatalf("got %d points, want at most %d", n, MaxPoints)
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc), "heap-bytes")
	if fi, err := os.Stat(path); err == nil {
		b.ReportMetric(float64(fi.Size()), "file-bytes")
	}
}
