package retry

import (
	"context"
	"sync"
	"time"
)

// Gate lets all senders slow down together when the server is overloaded
// (429, 503, 504, timeouts) and speed up again when it recovers: it holds
// every sender back until a shared pause ends, and admits at most limit
// requests at once, halving limit on overload and raising it by one after
// a run of successes (AIMD, as TCP does).
type Gate struct {
	mu       sync.Mutex
	max      int
	limit    int
	inFlight int
	until    time.Time // no request starts before this
	okRun    int       // successes since the last change of limit
	changed  chan struct{}
	now      func() time.Time
}

// NewGate returns a Gate admitting up to max requests at once.
func NewGate(max int) *Gate {
	if max < 1 {
		max = 1
	}
	return &Gate{max: max, limit: max, changed: make(chan struct{}), now: time.Now}
}

// Acquire waits for a slot and the end of any pause, or for ctx.
func (g *Gate) Acquire(ctx context.Context) error {
	for {
		g.mu.Lock()
		wait := g.until.Sub(g.now())
		if wait <= 0 && g.inFlight < g.limit {
			g.inFlight++
			g.mu.Unlock()
			return nil
		}
		ch := g.changed
		g.mu.Unlock()
		var timer *time.Timer
		var fire <-chan time.Time
		if wait > 0 {
			timer = time.NewTimer(wait)
			fire = timer.C
		}
		select {
		case <-ctx.Done():
		case <-ch:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// Release frees a slot. overloaded says the request met an overloaded
// server; pause is how long everyone should wait (Retry-After or backoff).
func (g *Gate) Release(overloaded bool, pause time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.inFlight--
	if overloaded {
		g.limit = max(1, g.limit/2)
		g.okRun = 0
		if end := g.now().Add(pause); end.After(g.until) {
			g.until = end
		}
	} else if g.limit < g.max {
		g.okRun++
		if g.okRun >= g.limit {
			g.limit++
			g.okRun = 0
		}
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

// Limit is the number of requests admitted at once now.
func (g *Gate) Limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit
}
