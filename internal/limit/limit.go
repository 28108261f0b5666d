// Package limit decides how many requests may be in flight at once, and
// admits them: a Limiter says how many (a fixed number that only backs off
// when the server is overloaded, AIMD, or a number found from the
// latencies the server shows, Gradient), and the Gate holds every sender
// to it and to the pauses an overloaded server asks for.
//
// A Limiter is not safe for concurrent use: the Gate serialises the calls.
package limit

import "time"

// Sample is what one finished request says about the server.
type Sample struct {
	// RTT is how long the request took, from being admitted to its answer.
	RTT time.Duration
	// Resources is the number of entries of the request's Bundle; 0 when
	// the request gave no usable latency (it failed).
	Resources int
	// InFlight is the number of requests in flight when it was admitted,
	// itself included.
	InFlight int
	// Load is the mean number of requests in flight over the request's
	// life, itself included; 0 when not measured.
	Load float64
	// Overloaded says the server answered 429, 503 or 504, or timed out.
	Overloaded bool
}

// Limiter says how many requests may be in flight, and learns from each
// finished one.
type Limiter interface {
	Limit() int
	Observe(Sample)
	Stats() Stats
}

// An Idler is a Limiter that learns when the requests stopped: every one
// was answered, and a new one is admitted.
type Idler interface {
	Idle()
}

// Stats says what a Limiter did over a run.
type Stats struct {
	Adaptive bool `json:"adaptive"`
	Min      int  `json:"min"` // the bounds of the limit
	Max      int  `json:"max"`
	// Settled is the limit under which most resources were sent; Lowest
	// and Highest are the limit's range over the run; Final is the limit
	// at the end.
	Settled int `json:"settled"`
	Lowest  int `json:"lowest"`
	Highest int `json:"highest"`
	Final   int `json:"final"`
}

// tally keeps the resources sent under each limit, and the limit's range.
type tally struct {
	byLimit         []int // index: the limit
	lowest, highest int
}

func newTally(max int) tally { return tally{byLimit: make([]int, max+1)} }

func (t *tally) add(limit, resources int) {
	if t.lowest == 0 || limit < t.lowest {
		t.lowest = limit
	}
	t.highest = max(t.highest, limit)
	t.byLimit[limit] += resources
}

// settled is the limit with the most resources, the lower one on a tie;
// def when nothing was sent.
func (t *tally) settled(def int) int {
	best, n := def, 0
	for l, c := range t.byLimit {
		if c > n {
			best, n = l, c
		}
	}
	return best
}

func (t *tally) stats(adaptive bool, lo, hi, final int) Stats {
	s := Stats{Adaptive: adaptive, Min: lo, Max: hi, Settled: t.settled(final), Lowest: t.lowest, Highest: t.highest, Final: final}
	if s.Lowest == 0 {
		s.Lowest, s.Highest = final, final
	}
	return s
}

// AIMD admits up to a fixed maximum: it halves the limit when the server is
// overloaded and raises it by one after a run of as many successes as the
// limit, back up to the maximum (as TCP does).
type AIMD struct {
	max, limit int
	okRun      int // successes since the last change of limit
	t          tally
}

// NewAIMD returns an AIMD limiter with the given maximum (at least 1).
func NewAIMD(n int) *AIMD {
	n = max(1, n)
	return &AIMD{max: n, limit: n, t: newTally(n)}
}

// Limit is the number of requests admitted at once now.
func (a *AIMD) Limit() int { return a.limit }

// Observe learns from a finished request.
func (a *AIMD) Observe(s Sample) {
	if s.Resources > 0 {
		a.t.add(a.limit, s.Resources)
	}
	if s.Overloaded {
		a.limit = max(1, a.limit/2)
		a.okRun = 0
		return
	}
	if a.limit < a.max {
		a.okRun++
		if a.okRun >= a.limit {
			a.limit++
			a.okRun = 0
		}
	}
}

// Stats says what the limiter did.
func (a *AIMD) Stats() Stats { return a.t.stats(false, a.max, a.max, a.limit) }
