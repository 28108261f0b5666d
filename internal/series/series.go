// Package series keeps the time series of a load: what was confirmed in
// each interval, the Bundles in flight and the limit, the latency of the
// requests, the retries by cause, each node's share and the client's CPU
// and memory. The interval starts at a few seconds and doubles whenever
// the series would grow beyond MaxPoints, so that a week-long load keeps
// as few points as an hour-long one. The series is written to a file as
// the load goes (a killed load leaves it) and a resumed load continues it.
package series

import (
	"math"
	"slices"
)

// MaxPoints bounds a series: beyond it, neighbouring points are merged
// and the interval doubles.
const MaxPoints = 720

// Series is the time series of one job (a load and its resumes).
type Series struct {
	// Job names the job (the checkpoint's name): a resumed load
	// continues the series of the same job only.
	Job string `json:"job"`
	// Start is when the job's first run started, in Unix seconds.
	Start float64 `json:"start"`
	// Interval is the length of a point in seconds (the last may be
	// shorter: a run ended in it).
	Interval float64 `json:"interval"`
	// Nodes are the nodes' URLs (without credentials) when several.
	Nodes []string `json:"nodes,omitempty"`
	// Runs are the runs of the job, the first and each resume.
	Runs   []Run   `json:"runs"`
	Points []Point `json:"points"`
	// Refusals are the server's refusals grouped by reason.
	Refusals []Refusal `json:"refusals,omitempty"`
}

// Run is one run of a job: its start in seconds since the job's start.
type Run struct {
	T       float64 `json:"t"`
	Resumed bool    `json:"resumed"`
}

// Point is what happened in one interval.
type Point struct {
	T       float64 `json:"t"`       // its start, seconds since the job started
	Seconds float64 `json:"seconds"` // its length
	// Resources confirmed in it: written (created or updated), unchanged
	// (the server had the same content) and failed.
	Written   int `json:"written"`
	Unchanged int `json:"unchanged"`
	Failed    int `json:"failed"`
	Requests  int `json:"requests"`
	// InFlight is the mean number of Bundles in flight, Limit the most
	// the limit allowed at its end.
	InFlight float64 `json:"inFlight"`
	Limit    int     `json:"limit"`
	// Latency of the requests answered in it, in milliseconds (to the
	// resolution of the histogram, about 19%; Max exact).
	P50 float64 `json:"latencyP50ms"`
	P95 float64 `json:"latencyP95ms"`
	Max float64 `json:"latencyMaxms"`
	// Hist counts requests by latency bucket (see bucketOf).
	Hist    []int   `json:"latencyHistogram,omitempty"`
	Retries Retries `json:"retries"`
	// Nodes are each node's figures, in Series.Nodes' order.
	Nodes []NodePoint `json:"nodes,omitempty"`
	// CPU is the client's mean CPU use in cores, RSS its resident memory
	// at the end, in bytes.
	CPU float64 `json:"cpu"`
	RSS int64   `json:"rssBytes"`
}

// End is when the point ends, in seconds since the job started.
func (p Point) End() float64 { return p.T + p.Seconds }

// Rate is the resources confirmed per second in it.
func (p Point) Rate() float64 {
	if p.Seconds <= 0 {
		return 0
	}
	return float64(p.Written+p.Unchanged+p.Failed) / p.Seconds
}

// Retries counts the requests sent again, by what made them fail.
type Retries struct {
	Network  int `json:"network"`   // no answer: refused, reset, timed out
	Timeout  int `json:"status408"` // 408
	Throttle int `json:"status429"` // 429
	Server   int `json:"status5xx"` // 500, 502, 503, 504
	Conflict int `json:"conflict"`  // 409, or entries that lost a race
	Other    int `json:"other"`
}

// Total is the sum of the retries.
func (r Retries) Total() int {
	return r.Network + r.Timeout + r.Throttle + r.Server + r.Conflict + r.Other
}

func (r *Retries) add(o Retries) {
	r.Network += o.Network
	r.Timeout += o.Timeout
	r.Throttle += o.Throttle
	r.Server += o.Server
	r.Conflict += o.Conflict
	r.Other += o.Other
}

// NodePoint is one node's share of a point.
type NodePoint struct {
	Requests  int `json:"requests"`
	Errors    int `json:"errors"`
	Resources int `json:"resources"`
}

// Totals are the resources confirmed over the whole series.
func (s *Series) Totals() (written, unchanged, failed int) {
	for _, p := range s.Points {
		written += p.Written
		unchanged += p.Unchanged
		failed += p.Failed
	}
	return
}

// merge returns a and b (b right after a) as one point.
func merge(a, b Point) Point {
	m := Point{
		T: a.T, Seconds: b.End() - a.T,
		Written: a.Written + b.Written, Unchanged: a.Unchanged + b.Unchanged, Failed: a.Failed + b.Failed,
		Requests: a.Requests + b.Requests,
		Limit:    max(a.Limit, b.Limit),
		Max:      math.Max(a.Max, b.Max),
		Retries:  a.Retries,
		RSS:      max(a.RSS, b.RSS),
	}
	if m.Seconds > 0 {
		m.InFlight = (a.InFlight*a.Seconds + b.InFlight*b.Seconds) / m.Seconds
		m.CPU = (a.CPU*a.Seconds + b.CPU*b.Seconds) / m.Seconds
	}
	m.Retries.add(b.Retries)
	m.Hist = addHist(slices.Clone(a.Hist), b.Hist)
	m.P50, m.P95 = percentile(m.Hist, 0.5, m.Max), percentile(m.Hist, 0.95, m.Max)
	if len(a.Nodes) > 0 || len(b.Nodes) > 0 {
		m.Nodes = make([]NodePoint, max(len(a.Nodes), len(b.Nodes)))
		for i := range m.Nodes {
			for _, src := range [][]NodePoint{a.Nodes, b.Nodes} {
				if i < len(src) {
					m.Nodes[i].Requests += src[i].Requests
					m.Nodes[i].Errors += src[i].Errors
					m.Nodes[i].Resources += src[i].Resources
				}
			}
		}
	}
	return m
}

// coarsen merges neighbouring points, pairwise, and doubles the interval,
// until the series holds at most limit points. Points of different runs
// are not merged across a resume.
func (s *Series) coarsen(limit int) {
	for len(s.Points) > limit {
		out := s.Points[:0]
		for i := 0; i < len(s.Points); i++ {
			if i+1 < len(s.Points) && !s.runStartsAt(s.Points[i+1].T) {
				out = append(out, merge(s.Points[i], s.Points[i+1]))
				i++
				continue
			}
			out = append(out, s.Points[i])
		}
		if len(out) == len(s.Points) {
			break // every point starts a run: nothing to merge
		}
		s.Points = out
		s.Interval *= 2
	}
}

// runStartsAt reports whether a run after the first starts at t.
func (s *Series) runStartsAt(t float64) bool {
	for _, r := range s.Runs[min(1, len(s.Runs)):] {
		if r.T == t {
			return true
		}
	}
	return false
}
