package transfer

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// TestRunConcurrencyBounds: with an adaptive limit, Concurrency senders
// run but never more Bundles are in flight than it; the limit starts at 2
// (at most 2 Bundles are in flight before the first answer) and climbs
// (its first answer is its own base, so it grows); the summary says so.
// With a fixed one, it stays there. Nothing here depends on how fast the
// fake answers: a busy machine changes the latencies, and with them how
// the limit moves after its first step, but none of these bounds.
func TestRunConcurrencyBounds(t *testing.T) {
	for _, adaptive := range []bool{true, false} {
		dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 400)})
		var inFlight, most, beforeFirst atomic.Int32
		var answered atomic.Bool
		s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
			now := inFlight.Add(1)
			defer inFlight.Add(-1)
			for old := most.Load(); now > old && !most.CompareAndSwap(old, now); old = most.Load() {
			}
			if !answered.Load() {
				for old := beforeFirst.Load(); now > old && !beforeFirst.CompareAndSwap(old, now); old = beforeFirst.Load() {
				}
			}
			time.Sleep(2 * time.Millisecond)
			answered.Store(true)
			return allStatus(len(urls), fhir.Created, 201), nil
		}}
		sum, err := New(s, Options{BatchSize: 10, Concurrency: 4, Adaptive: adaptive, Retry: fastRetry}).Run(t.Context(), buildPlan(t, dir))
		if err != nil {
			t.Fatal(err)
		}
		c := sum.Concurrency
		if got := int(most.Load()); got > 4 {
			t.Errorf("adaptive=%v: %d Bundles in flight, want at most 4", adaptive, got)
		}
		if c.Adaptive != adaptive || c.Max != 4 || c.Highest > 4 || c.Settled < 1 || c.Settled > 4 {
			t.Errorf("adaptive=%v: stats %+v", adaptive, c)
		}
		switch {
		case adaptive && (c.Min != 1 || beforeFirst.Load() > 2 || c.Lowest > 2 || c.Highest < 3):
			t.Errorf("adaptive: stats %+v, %d in flight before the first answer; want it to start at 2 and climb", c, beforeFirst.Load())
		case !adaptive && (c.Min != 4 || c.Lowest != 4 || c.Settled != 4):
			t.Errorf("fixed: stats %+v, want 4 throughout", c)
		}
		if sum.Created != 400 {
			t.Errorf("created %d, want 400", sum.Created)
		}
	}
}
