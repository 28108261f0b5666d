package series

import (
	"context"
	"sync"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// Sources are what the recorder reads at each point's end, besides the
// events it is told of. Any may be nil.
type Sources struct {
	// Gate says how many request-seconds the Bundles in flight took so
	// far (the integral of the number in flight over time), how many are
	// in flight now and the limit.
	Gate func() (load float64, inFlight, limit int)
	// Nodes says each node's requests, errors and resources so far, in
	// the order of Series.Nodes.
	Nodes func() []NodePoint
	// Proc says the CPU time the process used so far and its resident
	// memory (ProcStats by default).
	Proc func() (cpu time.Duration, rss int64)
}

// Recorder keeps the series of a load. Its methods are safe for
// concurrent use: the senders report requests and retries, the collector
// confirmed resources and refusals, and a ticker (Run) closes a point
// each interval and writes the file.
type Recorder struct {
	mu     sync.Mutex
	s      Series
	cur    Point     // the open point
	curAt  time.Time // when it opened
	src    Sources
	now    func() time.Time
	path   string // "" keeps no file
	limit  int    // MaxPoints
	refuse refusals

	tot totals // of this process, for WritePrometheus

	lastLoad  float64
	lastCPU   time.Duration
	lastNodes []NodePoint
	writeErr  error
}

// Options set up a Recorder.
type Options struct {
	Job   string   // the job's name (a resumed load has the same)
	Nodes []string // the nodes' URLs, when several
	// Interval is the first length of a point; default defaults.SeriesInterval.
	Interval time.Duration
	// Resume continues the series at Path when it is of the same job.
	Resume  bool
	Path    string // where the series is written; "" writes none
	Sources Sources
	Now     func() time.Time // default time.Now
	// MaxPoints bounds the series; default MaxPoints.
	MaxPoints int
}

// New starts a Recorder: a fresh series, or with Resume the one at Path
// if it is of the same job (a file that cannot be read starts afresh).
func New(o Options) *Recorder {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval <= 0 {
		o.Interval = defaults.SeriesInterval
	}
	if o.MaxPoints <= 0 {
		o.MaxPoints = MaxPoints
	}
	if o.Sources.Proc == nil {
		o.Sources.Proc = ProcStats
	}
	now := o.Now()
	r := &Recorder{src: o.Sources, now: o.Now, path: o.Path, limit: o.MaxPoints}
	if o.Resume && o.Path != "" {
		if old, err := Read(o.Path); err == nil && old.Job == o.Job && old.Job != "" {
			r.s = *old
		}
	}
	if r.s.Job == "" {
		r.s = Series{Job: o.Job, Start: unix(now), Interval: o.Interval.Seconds(), Runs: []Run{}, Points: []Point{}}
	}
	if len(o.Nodes) > 1 {
		r.s.Nodes = o.Nodes
	}
	t := unix(now) - r.s.Start
	if n := len(r.s.Points); n > 0 {
		t = max(t, r.s.Points[n-1].End()) // a clock set back
	}
	r.s.Runs = append(r.s.Runs, Run{T: round3(t), Resumed: len(r.s.Runs) > 0})
	r.refuse.load(r.s.Refusals)
	r.cur, r.curAt = Point{T: round3(t)}, now
	r.lastLoad, r.lastCPU, r.lastNodes = r.readSources()
	return r
}

func unix(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func round3(v float64) float64 { return float64(int64(v*1000+0.5)) / 1000 }

// readSources reads the cumulative figures of the sources.
func (r *Recorder) readSources() (load float64, cpu time.Duration, nodes []NodePoint) {
	if r.src.Gate != nil {
		load, _, _ = r.src.Gate()
	}
	cpu, _ = r.src.Proc()
	if r.src.Nodes != nil {
		nodes = r.src.Nodes()
	}
	return load, cpu, nodes
}

// SetGate sets the source of the Bundles in flight (Sources.Gate); call
// it before Run.
func (r *Recorder) SetGate(gate func() (load float64, inFlight, limit int)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.src.Gate = gate
	r.lastLoad, _, _ = gate()
}

// Request counts a request that got an answer or an error after d.
func (r *Recorder) Request(d time.Duration) {
	ms := float64(d.Microseconds()) / 1000
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur.Requests++
	b := bucketOf(ms)
	for len(r.cur.Hist) <= b {
		r.cur.Hist = append(r.cur.Hist, 0)
	}
	r.cur.Hist[b]++
	r.tot.requests++
	r.tot.latencySum += d.Seconds()
	for len(r.tot.hist) <= b {
		r.tot.hist = append(r.tot.hist, 0)
	}
	r.tot.hist[b]++
	if ms > r.cur.Max {
		r.cur.Max = ms
	}
}

// Retried counts a request sent again because of err.
func (r *Recorder) Retried(err error) {
	c := CauseOf(err)
	r.mu.Lock()
	defer r.mu.Unlock()
	c.count(&r.cur.Retries, 1)
	c.count(&r.tot.retries, 1)
}

// RetriedEntries counts n entries sent again after a conflict.
func (r *Recorder) RetriedEntries(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur.Retries.Conflict += n
	r.tot.retries.Conflict += n
}

// Confirmed counts resources whose outcome is known.
func (r *Recorder) Confirmed(written, unchanged, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cur.Written += written
	r.cur.Unchanged += unchanged
	r.cur.Failed += failed
	r.tot.written += written
	r.tot.unchanged += unchanged
	r.tot.failed += failed
}

// Refused groups a refused resource by the server's reason.
func (r *Recorder) Refused(status int, resource, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refuse.add(status, resource, reason)
}

// Sample closes the open point now and opens the next, coarsening the
// series if it grew too long.
func (r *Recorder) Sample() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sampleLocked()
}

func (r *Recorder) sampleLocked() {
	now := r.now()
	secs := now.Sub(r.curAt).Seconds()
	if secs <= 0 {
		return
	}
	p := r.cur
	p.Seconds = round3(secs)
	load, cpu, nodes := r.readSources()
	if r.src.Gate != nil {
		_, _, p.Limit = r.src.Gate()
		p.InFlight = round3((load - r.lastLoad) / secs)
	}
	p.CPU = round3((cpu - r.lastCPU).Seconds() / secs)
	_, p.RSS = r.src.Proc()
	if len(nodes) > 0 && len(r.s.Nodes) > 1 {
		p.Nodes = make([]NodePoint, len(nodes))
		for i, n := range nodes {
			if i < len(r.lastNodes) {
				n.Requests -= r.lastNodes[i].Requests
				n.Errors -= r.lastNodes[i].Errors
				n.Resources -= r.lastNodes[i].Resources
			}
			p.Nodes[i] = n
		}
	}
	p.P50, p.P95 = percentile(p.Hist, 0.5, p.Max), percentile(p.Hist, 0.95, p.Max)
	r.lastLoad, r.lastCPU, r.lastNodes = load, cpu, nodes
	r.s.Points = append(r.s.Points, p)
	r.s.coarsen(r.limit)
	r.cur, r.curAt = Point{T: round3(p.End())}, now
}

// Snapshot returns a copy of the series as of the last point, with the
// refusals so far.
func (r *Recorder) Snapshot() Series {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.snapshotLocked()
}

func (r *Recorder) snapshotLocked() Series {
	s := r.s
	s.Nodes = append([]string(nil), r.s.Nodes...)
	s.Runs = append([]Run(nil), r.s.Runs...)
	s.Points = make([]Point, len(r.s.Points))
	for i, p := range r.s.Points {
		p.Hist = append([]int(nil), p.Hist...)
		p.Nodes = append([]NodePoint(nil), p.Nodes...)
		s.Points[i] = p
	}
	s.Refusals = r.refuse.list()
	return s
}

// Run closes a point every interval and writes the file, until ctx is
// done; then it closes the last point and writes the file once more.
// After is called with each new snapshot (nil for none).
func (r *Recorder) Run(ctx context.Context, after func(Series)) {
	for {
		r.mu.Lock()
		wait := time.Duration(r.s.Interval*float64(time.Second)) - r.now().Sub(r.curAt)
		r.mu.Unlock()
		t := time.NewTimer(max(wait, 10*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			s := r.Flush()
			if after != nil {
				after(s)
			}
			return
		case <-t.C:
		}
		s := r.Flush()
		if after != nil {
			after(s)
		}
	}
}

// Flush closes the open point, writes the file and returns the series.
func (r *Recorder) Flush() Series {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sampleLocked()
	s := r.snapshotLocked()
	if r.path != "" {
		if err := Write(r.path, &s); err != nil && r.writeErr == nil {
			r.writeErr = err
		}
	}
	return s
}

// Err is the first error writing the file, if any.
func (r *Recorder) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.writeErr
}

// Path is where the series is written.
func (r *Recorder) Path() string { return r.path }
