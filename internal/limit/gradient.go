package limit

import "math"

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
// Latency is measured per resource (a Bundle's time over its entries), as
// Bundles differ in size, and smoothed per number of requests in flight (an
// exponential moving average for each level, larger Bundles weighing
// more). The current latency is that of the level a request was admitted
// at; the base is the lowest of the levels at or below it. Because each
// level keeps its own average, the base is measured as the limit climbs
// from Initial, and a base that went stale (the server slowed down as it
// filled) makes the limit fall to where it is measured again.
//
// From the start, until the latency first rises beyond Tolerance or the
// server is overloaded, the limit grows by one per answer to a request
// admitted while the limit was at least half full: it doubles per round
// trip, as TCP's slow start does, so that a short upload does not spend
// its first seconds below the server's knee. From then on it grows by at
// most one per request that found it full (no growth while fewer requests
// are offered than it admits), shrinks smoothly, and halves when the
// server is overloaded.
type Gradient struct {
	cfg   GradientConfig
	limit float64
	ema   []float64 // seconds per resource, by level in flight; 0: not seen
	// largest is the largest Bundle seen: a sample weighs by its size
	// against it, so that a small Bundle (its fixed cost spread over few
	// entries) barely moves the averages.
	largest int
	// rising is the slow start: true until the first sign of queueing.
	rising bool
	t      tally
}

// GradientConfig tunes a Gradient. Zero values take the defaults.
type GradientConfig struct {
	Min, Max int // the bounds of the limit: default 1 and 8
	Initial  int // the first limit: default Min
	// Tolerance is how much the latency may rise over the base before the
	// limit shrinks: default 1.25 (noise on a shared machine stays below).
	Tolerance float64
	// Queue is how many requests beyond the point of flat latency are let
	// wait at the server, so that it never idles between two: default 1.
	Queue float64
	// Smoothing is the share of a decrease applied at once: default 0.5.
	Smoothing float64
	// Alpha is the weight of a full-size sample in the averages: default
	// 0.3.
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
		cfg.Initial = cfg.Min
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
	return &Gradient{cfg: cfg, limit: float64(cfg.Initial), rising: true, ema: make([]float64, cfg.Max+1), t: newTally(cfg.Max)}
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
		return
	}
	if s.Resources <= 0 || s.RTT <= 0 {
		return
	}
	level := max(1, min(s.InFlight, g.cfg.Max))
	perResource := s.RTT.Seconds() / float64(s.Resources)
	g.largest = max(g.largest, s.Resources)
	if e := &g.ema[level]; *e == 0 {
		*e = perResource
	} else {
		*e += g.cfg.Alpha * float64(s.Resources) / float64(g.largest) * (perResource - *e)
	}
	base := math.Inf(1)
	for _, e := range g.ema[1 : level+1] {
		if e > 0 {
			base = min(base, e)
		}
	}
	gradient := max(0.5, min(1, g.cfg.Tolerance*base/g.ema[level]))
	if g.rising {
		if gradient >= 1 {
			if 2*level >= cur {
				g.set(g.limit + 1)
			}
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

func (g *Gradient) set(l float64) {
	g.limit = max(float64(g.cfg.Min), min(float64(g.cfg.Max), l))
}

// Stats says what the limiter did.
func (g *Gradient) Stats() Stats { return g.t.stats(true, g.cfg.Min, g.cfg.Max, g.Limit()) }
