package limit

import (
	"context"
	"sync"
	"time"
)

// Gate lets all senders slow down together when the server is overloaded
// (429, 503, 504, timeouts) and speed up again when it recovers: it holds
// every sender back until a shared pause ends, and admits at most as many
// requests at once as its limiter says. The limiter learns from every
// request: NewGate's halves its limit on overload and raises it by one
// after a run of successes (AIMD, as TCP does); NewAdaptiveGate's also
// follows the server's latency (Gradient).
type Gate struct {
	mu       sync.Mutex
	lim      Limiter
	inFlight int
	// load is the integral of inFlight over time (request-seconds) up to
	// loadAt: a request's mean load is the growth of load over its life.
	load    float64
	loadAt  time.Time
	until   time.Time // no request starts before this
	changed chan struct{}
	now     func() time.Time
}

// NewGate returns a Gate admitting up to max requests at once.
func NewGate(max int) *Gate { return NewAdaptiveGate(NewAIMD(max)) }

// NewAdaptiveGate returns a Gate admitting as many requests as l says.
func NewAdaptiveGate(l Limiter) *Gate {
	return &Gate{lim: l, changed: make(chan struct{}), now: time.Now}
}

// Permit is a request admitted by a Gate. Release it when the request is
// done.
type Permit struct {
	g        *Gate
	start    time.Time
	inFlight int     // in flight when admitted, itself included
	load     float64 // the gate's load when admitted
}

// Acquire waits for a slot and the end of any pause, or for ctx.
func (g *Gate) Acquire(ctx context.Context) (Permit, error) {
	for {
		g.mu.Lock()
		now := g.now()
		wait := g.until.Sub(now)
		if wait <= 0 && g.inFlight < g.lim.Limit() {
			if idler, ok := g.lim.(Idler); ok && g.inFlight == 0 && !g.loadAt.IsZero() {
				idler.Idle()
			}
			g.advance(now)
			g.inFlight++
			p := Permit{g: g, start: now, inFlight: g.inFlight, load: g.load}
			g.mu.Unlock()
			return p, nil
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
			return Permit{}, err
		}
	}
}

// Release frees the slot. overloaded says the request met an overloaded
// server; pause is how long everyone should wait (Retry-After or
// backoff); resources is the number of entries of a request that got an
// answer to measure (0 when it failed), so that the limiter learns the
// latency per resource.
func (p Permit) Release(overloaded bool, pause time.Duration, resources int) {
	g := p.g
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.advance(now)
	g.inFlight--
	rtt := now.Sub(p.start)
	mean := 0.0
	if rtt > 0 {
		mean = (g.load - p.load) / rtt.Seconds()
	}
	g.lim.Observe(Sample{RTT: rtt, Resources: resources, InFlight: p.inFlight, Load: mean, Overloaded: overloaded})
	if overloaded {
		if end := now.Add(pause); end.After(g.until) {
			g.until = end
		}
	}
	close(g.changed)
	g.changed = make(chan struct{})
}

// advance brings load up to now; g.mu held.
func (g *Gate) advance(now time.Time) {
	if !g.loadAt.IsZero() {
		g.load += float64(g.inFlight) * now.Sub(g.loadAt).Seconds()
	}
	g.loadAt = now
}

// Limit is the number of requests admitted at once now.
func (g *Gate) Limit() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lim.Limit()
}

// Stats says what the gate's limiter did so far.
func (g *Gate) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.lim.Stats()
}

// Load says how many request-seconds the requests took so far (the
// integral of the number in flight over time), how many are in flight
// now and the limit: a mean number in flight over an interval is the
// growth of the first over its length.
func (g *Gate) Load() (load float64, inFlight, limit int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	load = g.load
	if !g.loadAt.IsZero() {
		load += float64(g.inFlight) * g.now().Sub(g.loadAt).Seconds()
	}
	return load, g.inFlight, g.lim.Limit()
}
