package limit

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// server is a simulated FHIR server with workers cores that it shares
// among the requests in flight (processor sharing): a Bundle of n
// resources needs n × cost of one core's work, times a noise factor in
// [1-noise, 1+noise]; with k requests in flight each gets min(1,
// workers/k) of a core. Beyond the knee, each request more costs the
// server contention of its capacity (switching, locks), so that more in
// flight is a little slower, as on a real server.
type server struct {
	workers    float64
	cost       time.Duration // per resource, unloaded
	noise      float64
	contention float64 // share of capacity lost per request beyond workers
}

// speed is the share of a core each of k requests in flight gets.
func (s server) speed(k int) float64 {
	capacity := min(float64(k), s.workers)
	if extra := float64(k) - s.workers; extra > 0 {
		capacity *= max(0.1, 1-s.contention*extra)
	}
	return capacity / float64(k)
}

type pending struct {
	work     float64 // seconds of one core's work left
	start    time.Duration
	n        int
	inFlight int
	area     float64 // the run's request-seconds when it was sent
}

// simResult is what a simulated run saw.
type simResult struct {
	limits   []int           // the limit after each answer
	times    []time.Duration // the simulated time of each answer
	resRate  float64         // resources per second over the second half
	clock    time.Duration   // simulated time at the end
	maxInFly int
}

// simulate runs a closed loop on a fake clock: senders keep the limiter's
// limit of Bundles in flight, each Bundle's size from size, for answers
// answers; srv(i) is the server for the i-th answer (it may change).
func simulate(l Limiter, answers int, srv func(i int) server, size func(*rand.Rand) int, seed uint64) simResult {
	return simulateWaves(l, answers, 0, srv, size, seed)
}

// simulateWaves is simulate with a barrier after every wave Bundles (0:
// none): the senders wait for every answer before they send the next
// wave, as an upload does between the waves of its plan, and tell an
// Idler when they start again, as limit.Gate does.
func simulateWaves(l Limiter, answers, wave int, srv func(i int) server, size func(*rand.Rand) int, seed uint64) simResult {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var q []pending
	var now time.Duration
	var r simResult
	var half time.Duration
	halfRes := 0
	// area is the integral of the requests in flight over time.
	var area float64
	sent := 0
	fill := func(i int) {
		for len(q) < l.Limit() {
			if wave > 0 && sent > 0 && sent%wave == 0 && len(q) > 0 {
				return // the wave's last answers are still out
			}
			if idler, ok := l.(Idler); ok && len(q) == 0 && sent > 0 {
				idler.Idle()
			}
			sent++
			n := size(rng)
			f := 1 + srv(i).noise*(2*rng.Float64()-1)
			q = append(q, pending{work: float64(n) * srv(i).cost.Seconds() * f, start: now, n: n, inFlight: len(q) + 1, area: area})
			r.maxInFly = max(r.maxInFly, len(q))
		}
	}
	fill(0)
	for i := range answers {
		// Run the server to the next answer.
		speed := srv(i).speed(len(q))
		next := 0
		for j := range q {
			if q[j].work < q[next].work {
				next = j
			}
		}
		dt := q[next].work / speed
		for j := range q {
			q[j].work -= dt * speed
		}
		now += time.Duration(dt * float64(time.Second))
		area += float64(len(q)) * dt
		p := q[next]
		q = append(q[:next], q[next+1:]...)
		rtt := now - p.start
		l.Observe(Sample{RTT: rtt, Resources: p.n, InFlight: p.inFlight, Load: (area - p.area) / rtt.Seconds()})
		r.limits = append(r.limits, l.Limit())
		r.times = append(r.times, now)
		if i == answers/2 {
			half = now
		}
		if i > answers/2 {
			halfRes += p.n
		}
		fill(i)
	}
	r.clock = now
	r.resRate = float64(halfRes) / (now - half).Seconds()
	return r
}

func fixed(n int) func(*rand.Rand) int { return func(*rand.Rand) int { return n } }

func between(lo, hi int) func(*rand.Rand) int {
	return func(r *rand.Rand) int { return lo + r.IntN(hi-lo+1) }
}

func steady(s server) func(int) server { return func(int) server { return s } }

// TestGradientConvergesNearTheKnee: a server whose latency is flat up to
// its workers and grows beyond: the limit settles between the knee and
// Tolerance × knee + Queue, and the throughput is the server's best.
func TestGradientConvergesNearTheKnee(t *testing.T) {
	tests := []struct {
		name    string
		srv     server
		max     int
		size    func(*rand.Rand) int
		lo, hi  int // where it must settle
		minRate float64
	}{
		{"knee 4, Bundles of 100", server{workers: 4, cost: 2 * time.Millisecond, noise: 0.15}, 16, fixed(100), 4, 6, 0.95},
		{"knee 2, Bundles of 100", server{workers: 2, cost: 2 * time.Millisecond, noise: 0.15}, 8, fixed(100), 2, 4, 0.95},
		{"knee 2, Bundles of 5 to 200 (per-resource latency)", server{workers: 2, cost: 2 * time.Millisecond, noise: 0.15}, 8, between(5, 200), 2, 4, 0.9},
		{"knee 6, noise ±30%", server{workers: 6, cost: time.Millisecond, noise: 0.3}, 16, fixed(50), 5, 9, 0.9},
		{"knee 1", server{workers: 1, cost: 3 * time.Millisecond, noise: 0.1}, 8, fixed(100), 1, 3, 0.95},
		{"no knee below the maximum", server{workers: 100, cost: time.Millisecond, noise: 0.2}, 8, fixed(100), 8, 8, 0.95},
		{"maximum below the knee", server{workers: 8, cost: time.Millisecond, noise: 0.2}, 3, fixed(100), 3, 3, 0.95},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGradient(GradientConfig{Max: tt.max})
			r := simulate(g, 2000, steady(tt.srv), tt.size, 1)
			st := g.Stats()
			if st.Settled < tt.lo || st.Settled > tt.hi {
				t.Errorf("settled at %d, want %d..%d (stats %+v)", st.Settled, tt.lo, tt.hi, st)
			}
			// Noise may push the limit out for a moment, not for long.
			out := 0
			for _, l := range r.limits[len(r.limits)/2:] {
				if l < tt.lo || l > tt.hi+1 {
					out++
				}
			}
			if out > len(r.limits)/100 {
				t.Errorf("second half: %d of %d answers with a limit outside %d..%d", out, len(r.limits)/2, tt.lo, tt.hi+1)
			}
			if r.maxInFly > tt.max || st.Highest > tt.max || st.Lowest < 1 {
				t.Errorf("bounds: %d in flight, limits %d..%d, want within 1..%d", r.maxInFly, st.Lowest, st.Highest, tt.max)
			}
			best := min(tt.srv.workers, float64(tt.max)) / tt.srv.cost.Seconds()
			if r.resRate < tt.minRate*best {
				t.Errorf("throughput %.0f resources/s, want at least %.0f%% of the best %.0f", r.resRate, 100*tt.minRate, best)
			}
		})
	}
}

// TestGradientFollowsASlowerServer: the server becomes twice as slow per
// resource halfway (it filled up): the stale base makes the limit fall,
// the base is measured again, and the limit settles near the knee again.
func TestGradientFollowsASlowerServer(t *testing.T) {
	fast := server{workers: 4, cost: time.Millisecond, noise: 0.1}
	slow := server{workers: 4, cost: 2 * time.Millisecond, noise: 0.1}
	g := NewGradient(GradientConfig{Max: 16})
	r := simulate(g, 3000, func(i int) server {
		if i < 1000 {
			return fast
		}
		return slow
	}, fixed(100), 2)
	tail := r.limits[2000:]
	for i, l := range tail {
		if l < 3 || l > 7 {
			t.Fatalf("answer %d of the tail: limit %d, want 3..7", 2000+i, l)
		}
	}
	if best := 4 / slow.cost.Seconds(); r.resRate < 0.9*best {
		t.Errorf("throughput after the change %.0f resources/s, want at least 90%% of the best %.0f", r.resRate, best)
	}
}

func TestGradientHalvesOnOverload(t *testing.T) {
	g := NewGradient(GradientConfig{Max: 8, Initial: 8})
	want := []int{4, 2, 1, 1}
	for i, w := range want {
		g.Observe(Sample{Overloaded: true, InFlight: 8})
		if got := g.Limit(); got != w {
			t.Fatalf("after overload %d: limit %d, want %d", i+1, got, w)
		}
	}
	// It climbs back by one per answer that found the limit full.
	for want := 2; want <= 8; want++ {
		g.Observe(Sample{RTT: 100 * time.Millisecond, Resources: 100, InFlight: g.Limit()})
		if got := g.Limit(); got != want {
			t.Fatalf("climbing: limit %d, want %d", got, want)
		}
	}
	g.Observe(Sample{RTT: 100 * time.Millisecond, Resources: 100, InFlight: 8})
	if got := g.Limit(); got != 8 {
		t.Errorf("at the maximum: limit %d, want 8", got)
	}
}

// TestGradientDoesNotGrowWhenNotFull: with fewer requests offered than the
// limit admits (the reader is the bottleneck), flat latency is no reason to
// grow.
func TestGradientDoesNotGrowWhenNotFull(t *testing.T) {
	g := NewGradient(GradientConfig{Max: 8, Initial: 3})
	for range 100 {
		g.Observe(Sample{RTT: 100 * time.Millisecond, Resources: 100, InFlight: 1})
	}
	if got := g.Limit(); got != 3 {
		t.Errorf("limit %d, want 3", got)
	}
}

func TestGradientIgnoresFailedRequests(t *testing.T) {
	g := NewGradient(GradientConfig{Max: 8, Initial: 2})
	for range 10 {
		g.Observe(Sample{RTT: time.Second, InFlight: 2}) // Resources 0: no latency
	}
	if got := g.Limit(); got != 2 {
		t.Errorf("limit %d, want 2", got)
	}
}

func TestGradientDefaults(t *testing.T) {
	g := NewGradient(GradientConfig{})
	st := g.Stats()
	if st.Min != 1 || st.Max != 8 || g.Limit() != 2 || !st.Adaptive || st.Settled != 2 {
		t.Errorf("got limit %d, stats %+v; want 2, adaptive 1..8 settled 2", g.Limit(), st)
	}
}

func TestAIMD(t *testing.T) {
	a := NewAIMD(4)
	steps := []struct {
		s    Sample
		want int
	}{
		{Sample{Resources: 10}, 4},
		{Sample{Overloaded: true}, 2},
		{Sample{Overloaded: true}, 1},
		{Sample{Overloaded: true}, 1},
		{Sample{Resources: 10}, 2}, // one success at limit 1
		{Sample{Resources: 10}, 2},
		{Sample{Resources: 10}, 3}, // two at limit 2: the most resources
		{Sample{}, 3},
		{Sample{}, 3},
		{Sample{}, 4},
		{Sample{}, 4}, // the maximum
	}
	for i, st := range steps {
		a.Observe(st.s)
		if got := a.Limit(); got != st.want {
			t.Fatalf("step %d: limit %d, want %d", i, got, st.want)
		}
	}
	s := a.Stats()
	if s.Adaptive || s.Min != 4 || s.Max != 4 || s.Lowest != 1 || s.Highest != 4 || s.Final != 4 || s.Settled != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestGradientRisesFastAtTheStart: from its first limit (2), the slow start
// reaches the knee within a few round trips (one answer each at first,
// then more per round trip), where growing by one per round trip would
// spend the first seconds of a short upload below it; past the knee it
// settles as before.
func TestGradientRisesFastAtTheStart(t *testing.T) {
	tests := []struct {
		knee, max int
		within    time.Duration // simulated time to first reach the knee
	}{
		{2, 8, 250 * time.Millisecond},
		{4, 8, 350 * time.Millisecond},
		{8, 16, 450 * time.Millisecond},
	}
	for _, tt := range tests {
		srv := server{workers: float64(tt.knee), cost: time.Millisecond, noise: 0.1} // 100 ms per Bundle
		g := NewGradient(GradientConfig{Max: tt.max})
		r := simulate(g, 1000, steady(srv), fixed(100), 3)
		reached := -1
		for i, l := range r.limits {
			if l >= tt.knee {
				reached = i
				break
			}
		}
		if reached < 0 {
			t.Fatalf("knee %d: never reached (limits %v)", tt.knee, r.limits[:20])
		}
		if at := r.times[reached]; at > tt.within {
			t.Errorf("knee %d: reached after %d answers at %v, want within %v (limits %v)", tt.knee, reached+1, at, tt.within, r.limits[:reached+1])
		}
		// It settles where L² = Tolerance × knee × (L + Queue): 3.2, 5.9, 10.9.
		if st := g.Stats(); st.Settled < tt.knee || st.Settled > tt.knee+3 {
			t.Errorf("knee %d: settled at %d, want %d..%d", tt.knee, st.Settled, tt.knee, tt.knee+3)
		}
	}
}

// noLoad hides the mean load from a limiter, as a gate that only counts
// the requests in flight at admission would.
type noLoad struct{ Limiter }

func (n noLoad) Observe(s Sample) { s.Load = 0; n.Limiter.Observe(s) }

// TestGradientMeasuresTheLoadOverALife: an upload in waves of a few
// Bundles drains and refills its requests at every barrier, so many
// requests are admitted beside fewer than they spend their lives with.
// Levelled by the number at admission, the latency of the low levels
// takes in the load that came after, the gradient sees little rise and
// the limit climbs well past the knee; levelled by the mean load over
// each request's life, it settles near the knee. (Neither restarts after
// the barriers, which would hide the difference.)
func TestGradientMeasuresTheLoadOverALife(t *testing.T) {
	srv := server{workers: 2, cost: time.Millisecond, noise: 0.1, contention: 0.03}
	tests := []struct {
		name   string
		lim    func(*Gradient) Limiter
		lo, hi int
	}{
		{"mean load", func(g *Gradient) Limiter { return noIdle{g} }, 2, 4},
		{"at admission", func(g *Gradient) Limiter { return noLoad{noIdle{g}} }, 5, 8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGradient(GradientConfig{Max: 8})
			simulateWaves(tt.lim(g), 3000, 12, steady(srv), fixed(100), 4)
			if st := g.Stats(); st.Settled < tt.lo || st.Settled > tt.hi {
				t.Errorf("settled at %d, want %d..%d (stats %+v)", st.Settled, tt.lo, tt.hi, st)
			}
		})
	}
}

// TestGradientWeighsBundlesByEntries: a level's latency is its recent
// Bundles' time over their entries, so a small Bundle, whose fixed cost
// makes its latency per resource high, moves it by the time it took, not
// by its latency per resource, even when it comes first.
func TestGradientWeighsBundlesByEntries(t *testing.T) {
	tests := []struct {
		name    string
		samples []Sample
		want    float64 // ms per resource at level 2
	}{
		{"one Bundle", []Sample{{RTT: 80 * time.Millisecond, Resources: 100}}, 0.8},
		// (0.7 × 16 + 80 ms) / (0.7 × 2 + 100), where an average of the
		// two latencies per resource would say 3.8 or more.
		{"a small one first", []Sample{{RTT: 16 * time.Millisecond, Resources: 2}, {RTT: 80 * time.Millisecond, Resources: 100}}, 0.90},
		// It ages the first by 0.3 × 2 / 100: (0.994 × 80 + 16) / (99.4 + 2).
		{"a small one after", []Sample{{RTT: 80 * time.Millisecond, Resources: 100}, {RTT: 16 * time.Millisecond, Resources: 2}}, 0.94},
		// (0.7 × 80 + 180) / (70 + 100): the newer weighs 100/170.
		{"full-size ones fade", []Sample{{RTT: 80 * time.Millisecond, Resources: 100}, {RTT: 180 * time.Millisecond, Resources: 100}}, 1.39},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewGradient(GradientConfig{Max: 8, Initial: 2})
			for _, s := range tt.samples {
				s.InFlight, s.Load = 2, 2
				g.Observe(s)
			}
			if got := 1000 * g.lat[2].perResource(); math.Abs(got-tt.want) > 0.005 {
				t.Errorf("latency at level 2: %.3f ms per resource, want %.2f", got, tt.want)
			}
		})
	}
}

// noIdle hides Idle from a limiter.
type noIdle struct{ g *Gradient }

func (n noIdle) Limit() int       { return n.g.Limit() }
func (n noIdle) Observe(s Sample) { n.g.Observe(s) }
func (n noIdle) Stats() Stats     { return n.g.Stats() }

// TestGradientRestartsAfterIdle: after every request was answered, the
// limit starts again from Initial and climbs by slow start back to where
// it was, measuring the lower levels again on the way, and from there on
// follows the gradient rule; a limit at Initial or below stays.
func TestGradientRestartsAfterIdle(t *testing.T) {
	g := NewGradient(GradientConfig{Max: 8, Initial: 2})
	flat := func() {
		g.Observe(Sample{RTT: 100 * time.Millisecond, Resources: 100, InFlight: g.Limit(), Load: float64(g.Limit())})
	}
	for range 20 {
		flat()
	}
	g.Observe(Sample{Overloaded: true}) // 8 → 4
	flat()
	flat() // the gradient rule: 5, 6
	if got := g.Limit(); got != 6 {
		t.Fatalf("before the pause: limit %d, want 6", got)
	}
	g.Idle()
	if got := g.Limit(); got != 2 {
		t.Fatalf("after Idle: limit %d, want 2", got)
	}
	var climb []int
	for range 5 {
		flat()
		climb = append(climb, g.Limit())
	}
	// One per answer up to 6, where the slow start ends; then one per
	// answer that found the limit full, as before the pause.
	if want := []int{3, 4, 5, 6, 7}; !slices.Equal(climb, want) {
		t.Errorf("climb after Idle: %v, want %v", climb, want)
	}
	low := NewGradient(GradientConfig{Max: 8, Initial: 2})
	low.Idle()
	if got := low.Limit(); got != 2 {
		t.Errorf("Idle at Initial: limit %d, want 2", got)
	}
}
