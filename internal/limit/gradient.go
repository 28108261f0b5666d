package limit

import (
	"math"
	"time"
)

// Gradient finds the number of requests in flight that gives the most
// throughput without raising latency, after Netflix's gradient limiter
// (concurrency-limits): the limit follows the ratio of the latency the
// server shows at low load to the latency it shows now,
//
//	gradient = clamp(Tolerance × base / current, 0.5, 1)
//	limit'   = (limit + Queue) × gradient
//
// so that it grows while latency stays flat and shrinks once more requests
// only queue at the server. At a server with c workers, whose latency is
// flat up to c requests and grows in proportion beyond, it settles where
// L² = Tolerance × c × (L + Queue): 3.2 for c = 2, 5.9 for c = 4 with the
// defaults. (Netflix adds Queue after the gradient; scaling it too lets a
// base that went stale pull the limit all the way down to where the base
// is measured again, instead of holding it at Queue's height.)
//
// Latency is measured per resource, as Bundles differ in size, and
// smoothed per number of requests in flight: for each level, the time of
// its recent Bundles over their entries, older Bundles fading (so a small
// Bundle, its fixed cost spread over few entries, moves the average by the
// time it took, not by its high latency per resource, even when it comes
// first). A request's level is the mean number in flight over its life
// (Sample.Load), or, when that is not measured, the number when it was
// admitted: a request admitted while the senders refill after a pause
// spends most of its life beside more requests than it found. The current
// latency is that of a request's level; the base is the lowest of the
// levels at or below it. Because each level keeps its own average, the
// base is measured as the limit climbs from Initial, and a base that went
// stale (the server slowed down as it filled) makes the limit fall to
// where it is measured again.
//
// From the start, and again after every pause (Idle), until the latency
// first rises beyond Tolerance, the limit is back where it was before the
// pause, or the server is overloaded, the limit grows by one per answer to
// a request admitted while the limit was at least half full: it doubles
// per round trip, as TCP's slow start does, so that a short upload does
// not spend its first seconds below the server's knee. From then on it
// grows by at most one per request that found it full (no growth while
// fewer requests are offered than it admits), shrinks smoothly, and
// halves when the server is overloaded.
type Gradient struct {
	cfg   GradientConfig
	limit float64
	lat   []latency // by level in flight
	// largest is the largest Bundle seen: a Bundle ages the averages by
	// its size against it.
	largest int
	// rising is the slow start: true until the first sign of queueing, or
	// until the limit reaches threshold (the limit it had before the last
	// restart; after an overload, where it halved to).
	rising    bool
	threshold float64
	t         tally
}

// GradientConfig tunes a Gradient. Zero values take the defaults.
type GradientConfig struct {
	Min, Max int // the bounds of the limit: default 1 and 8
	// Initial is the first limit: default 2 within Min..Max (one Bundle
	// alone leaves a server of two or more workers half idle for the
	// first round trip).
	Initial int
	// Tolerance is how much the latency may rise over the base before the
	// limit shrinks: default 1.25 (noise on a shared machine stays below).
	Tolerance float64
	// Queue is how many requests beyond the point of flat latency are let
	// wait at the server, so that it never idles between two: default 1.
	Queue float64
	// Smoothing is the share of a decrease applied at once: default 0.5.
	Smoothing float64
	// Alpha is the share of a full-size Bundle in its level's average:
	// default 0.3.
	Alpha float64
}

// NewGradient returns a Gradient limiter.
func NewGradient(cfg GradientConfig) *Gradient {
	if cfg.Min < 1 {
		cfg.Min = 1
	}
	if cfg.Max < cfg.Min {
		cfg.Max = max(cfg.Min, 8)
	}
	if cfg.Initial < cfg.Min || cfg.Initial > cfg.Max {
		cfg.Initial = max(cfg.Min, min(2, cfg.Max))
	}
	if cfg.Tolerance < 1 {
		cfg.Tolerance = 1.25
	}
	if cfg.Queue <= 0 {
		cfg.Queue = 1
	}
	if cfg.Smoothing <= 0 || cfg.Smoothing > 1 {
		cfg.Smoothing = 0.5
	}
	if cfg.Alpha <= 0 || cfg.Alpha > 1 {
		cfg.Alpha = 0.3
	}
	return &Gradient{cfg: cfg, limit: float64(cfg.Initial), rising: true, threshold: float64(cfg.Max), lat: make([]latency, cfg.Max+1), t: newTally(cfg.Max)}
}

// Limit is the number of requests admitted at once now.
func (g *Gradient) Limit() int {
	return max(g.cfg.Min, min(g.cfg.Max, int(g.limit)))
}

// Observe learns from a finished request.
func (g *Gradient) Observe(s Sample) {
	cur := g.Limit()
	if s.Resources > 0 {
		g.t.add(cur, s.Resources)
	}
	if s.Overloaded {
		g.rising = false
		g.set(g.limit / 2)
		g.threshold = g.limit
		return
	}
	if s.Resources <= 0 || s.RTT <= 0 {
		return
	}
	level := max(1, min(s.InFlight, g.cfg.Max))
	if s.Load > 0 {
		level = max(1, min(int(math.Round(s.Load)), g.cfg.Max))
	}
	g.largest = max(g.largest, s.Resources)
	g.lat[level].add(s.RTT, s.Resources, g.cfg.Alpha*float64(s.Resources)/float64(g.largest))
	base := math.Inf(1)
	for _, l := range g.lat[1 : level+1] {
		if l.resources > 0 {
			base = min(base, l.perResource())
		}
	}
	gradient := max(0.5, min(1, g.cfg.Tolerance*base/g.lat[level].perResource()))
	if g.rising {
		if gradient >= 1 {
			if 2*level >= cur {
				g.set(min(g.limit+1, max(g.threshold, float64(cur))))
			}
			g.rising = g.limit < g.threshold
			return
		}
		g.rising = false
	}
	target := (g.limit + g.cfg.Queue) * gradient
	switch {
	case target <= g.limit:
		g.set(g.limit + g.cfg.Smoothing*(target-g.limit))
	case level >= cur:
		// The request found the limit full: more may help.
		g.set(min(target, g.limit+1))
	}
}

// Idle says every request was answered and a new one starts: the senders
// paused (between the waves of an upload). The limit restarts from
// Initial with a slow start up to where it was, as TCP restarts after an
// idle period, so that the lower levels are measured again on what is
// sent now: a base measured on other resources (small Bundles of an
// upload's first wave, with their fixed cost) may lie high, and a limit
// that never comes down to it would never see the latency rise.
func (g *Gradient) Idle() {
	if g.limit > float64(g.cfg.Initial) {
		g.threshold = g.limit
		g.set(float64(g.cfg.Initial))
		g.rising = true
	}
}

// latency is the recent latency per resource of one level: the seconds
// and entries of its Bundles, each sum fading by the same factor.
type latency struct{ seconds, resources float64 }

// add takes in a Bundle of n entries answered in rtt, after the older ones
// faded by fade (a full-size Bundle's share is Alpha in the steady state).
func (l *latency) add(rtt time.Duration, n int, fade float64) {
	l.seconds = (1-fade)*l.seconds + rtt.Seconds()
	l.resources = (1-fade)*l.resources + float64(n)
}

func (l latency) perResource() float64 { return l.seconds / l.resources }

func (g *Gradient) set(l float64) {
	g.limit = max(float64(g.cfg.Min), min(float64(g.cfg.Max), l))
}

// Stats says what the limiter did.
func (g *Gradient) Stats() Stats { return g.t.stats(true, g.cfg.Min, g.cfg.Max, g.Limit()) }
