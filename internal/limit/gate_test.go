package limit

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestGateHalvesAndRecovers(t *testing.T) {
	g := NewGate(8)
	ctx := context.Background()
	for range 3 {
		p, err := g.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Release(true, 0, 0)
	}
	if got, want := g.Limit(), 1; got != want {
		t.Fatalf("after 3 overloads: got limit %d, want %d", got, want)
	}
	for range 1 + 2 + 3 + 4 {
		p, err := g.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p.Release(false, 0, 10)
	}
	if got, want := g.Limit(), 5; got != want {
		t.Errorf("after 10 successes: got limit %d, want %d", got, want)
	}
}

func TestGatePausesEveryone(t *testing.T) {
	g := NewGate(4)
	now := time.Unix(1000, 0)
	var mu sync.Mutex
	g.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	p, err := g.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p.Release(true, time.Hour, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(ctx); err == nil {
		t.Fatal("acquired during the pause")
	}
	mu.Lock()
	now = now.Add(2 * time.Hour)
	mu.Unlock()
	if _, err := g.Acquire(context.Background()); err != nil {
		t.Fatalf("after the pause: %v", err)
	}
}

func TestGateLimitsInFlight(t *testing.T) {
	g := NewGate(2)
	ctx := context.Background()
	must := func(p Permit, err error) Permit {
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := must(g.Acquire(ctx))
	must(g.Acquire(ctx))
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := g.Acquire(short); err == nil {
		t.Fatal("a third request was admitted with limit 2")
	}
	done := make(chan error)
	go func() { _, err := g.Acquire(ctx); done <- err }()
	first.Release(false, 0, 1)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// limitRecorder is a limiter that keeps what it was told.
type limitRecorder struct {
	AIMD
	samples []Sample
}

func (r *limitRecorder) Observe(s Sample) { r.samples = append(r.samples, s); r.AIMD.Observe(s) }

// TestGateMeasuresRequests: the limiter gets each request's time from
// admission to release on the gate's clock, its resources and how many
// were in flight when it was admitted and on average over its life.
func TestGateMeasuresRequests(t *testing.T) {
	rec := &limitRecorder{AIMD: *NewAIMD(4)}
	g := NewAdaptiveGate(rec)
	now := time.Unix(1000, 0)
	g.now = func() time.Time { return now }
	ctx := context.Background()
	a, _ := g.Acquire(ctx)
	now = now.Add(time.Second)
	b, _ := g.Acquire(ctx)
	now = now.Add(2 * time.Second)
	b.Release(false, 0, 50)
	a.Release(true, 0, 0)
	want := []Sample{
		{RTT: 2 * time.Second, Resources: 50, InFlight: 2, Load: 2},
		// 1 s alone, then 2 s beside b.
		{RTT: 3 * time.Second, InFlight: 1, Load: 5.0 / 3, Overloaded: true},
	}
	if !reflect.DeepEqual(rec.samples, want) {
		t.Errorf("got %+v, want %+v", rec.samples, want)
	}
	if got := g.Limit(); got != 2 {
		t.Errorf("limit after an overload: got %d, want 2", got)
	}
	if st := g.Stats(); st.Max != 4 || st.Adaptive {
		t.Errorf("stats %+v", st)
	}
}

// idleRecorder counts the calls of Idle.
type idleRecorder struct {
	AIMD
	idle int
}

func (r *idleRecorder) Idle() { r.idle++ }

// TestGateTellsIdle: the limiter hears of a pause when a request is
// admitted with none in flight, except the very first.
func TestGateTellsIdle(t *testing.T) {
	rec := &idleRecorder{AIMD: *NewAIMD(4)}
	g := NewAdaptiveGate(rec)
	ctx := context.Background()
	a, _ := g.Acquire(ctx)
	b, _ := g.Acquire(ctx) // beside a
	a.Release(false, 0, 10)
	c, _ := g.Acquire(ctx) // beside b
	b.Release(false, 0, 10)
	c.Release(false, 0, 10)
	if rec.idle != 0 {
		t.Fatalf("Idle called %d times while requests were in flight, want 0", rec.idle)
	}
	d, _ := g.Acquire(ctx) // after all were answered
	d.Release(false, 0, 10)
	if rec.idle != 1 {
		t.Errorf("Idle called %d times, want 1", rec.idle)
	}
}
