package series

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// clock is a settable clock for a Recorder.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func fixedProc() (time.Duration, int64) { return 0, 64 << 20 }

func newTestRecorder(c *clock, path, job string, resume bool) *Recorder {
	return New(Options{Job: job, Path: path, Resume: resume, Now: c.now, Interval: 5 * time.Second,
		Sources: Sources{Proc: fixedProc}})
}

func TestSampleCounts(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	load := 0.0
	r := newTestRecorder(c, "", "job", false)
	r.SetGate(func() (float64, int, int) { return load, 3, 4 })
	r.Confirmed(150, 40, 10)
	for _, ms := range []int{100, 100, 100, 200, 900} {
		r.Request(time.Duration(ms) * time.Millisecond)
	}
	r.Retried(&fhir.StatusError{Code: 503})
	r.Retried(&fhir.StatusError{Code: 429})
	r.Retried(&net.OpError{Op: "dial", Err: errors.New("refused")})
	r.RetriedEntries(2)
	c.advance(5 * time.Second)
	load = 15 // 3 in flight over 5 s
	r.Sample()
	s := r.Snapshot()
	if len(s.Points) != 1 {
		t.Fatalf("got %d points, want 1", len(s.Points))
	}
	p := s.Points[0]
	if p.Written != 150 || p.Unchanged != 40 || p.Failed != 10 || p.Rate() != 40 {
		t.Errorf("got %d/%d/%d at %v/s, want 150/40/10 at 40/s", p.Written, p.Unchanged, p.Failed, p.Rate())
	}
	if p.InFlight != 3 || p.Limit != 4 {
		t.Errorf("got in flight %v, limit %d; want 3, 4", p.InFlight, p.Limit)
	}
	if p.Requests != 5 || p.Max != 900 || p.P50 < 100 || p.P50 > 120 || p.P95 != 900 {
		t.Errorf("got %d requests, p50 %v, p95 %v, max %v; want 5, about 100, 900, 900", p.Requests, p.P50, p.P95, p.Max)
	}
	want := Retries{Network: 1, Throttle: 1, Server: 1, Conflict: 2}
	if p.Retries != want {
		t.Errorf("got retries %+v, want %+v", p.Retries, want)
	}
	if p.RSS != 64<<20 {
		t.Errorf("got rss %d, want %d", p.RSS, 64<<20)
	}
}

// TestWeekStaysSmall records a week of points: the series stays within
// MaxPoints, contiguous, with every resource counted.
func TestWeekStaysSmall(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	r := newTestRecorder(c, "", "job", false)
	const week = 7 * 24 * time.Hour
	n := 0
	for elapsed := time.Duration(0); elapsed < week; elapsed += 5 * time.Second {
		r.Confirmed(1000, 0, 1)
		r.Request(time.Second)
		n++
		c.advance(5 * time.Second)
		r.Sample()
	}
	s := r.Snapshot()
	if len(s.Points) > MaxPoints || len(s.Points) < MaxPoints/2 {
		t.Errorf("got %d points, want %d..%d", len(s.Points), MaxPoints/2, MaxPoints)
	}
	w, _, f := s.Totals()
	if w != 1000*n || f != n {
		t.Errorf("got %d written, %d failed; want %d, %d", w, f, 1000*n, n)
	}
	for i := 1; i < len(s.Points); i++ {
		if got, want := s.Points[i].T, s.Points[i-1].End(); got-want > 0.01 || want-got > 0.01 {
			t.Fatalf("point %d starts at %v, want %v (the end of the one before)", i, got, want)
		}
	}
	if end := s.Points[len(s.Points)-1].End(); end < week.Seconds()-1 {
		t.Errorf("got the series ending at %v s, want %v", end, week.Seconds())
	}
	if s.Interval < 5*float64(n)/MaxPoints {
		t.Errorf("got interval %v, want at least %v", s.Interval, 5*float64(n)/MaxPoints)
	}
	if p := s.Points[len(s.Points)/2]; p.P50 < 1000 || p.P50 > 1200 {
		t.Errorf("got p50 %v after merging, want about 1000", p.P50)
	}
}

func TestResume(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.series.json")
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	first := newTestRecorder(c, path, "job-a", false)
	for range 4 {
		first.Confirmed(10, 0, 0)
		first.Refused(422, "Patient/p1", `HAPI-0450: bad "x"`)
		c.advance(5 * time.Second)
		first.Flush()
	}
	// A kill: no Close, the file holds what the last Flush wrote.
	c.advance(time.Minute)
	tests := []struct {
		name       string
		job        string
		resume     bool
		wantRuns   int
		wantPoints int
	}{
		{"same job resumed", "job-a", true, 2, 4},
		{"same job, not resumed", "job-a", false, 1, 0},
		{"another job", "job-b", true, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newTestRecorder(c, path+"", tt.job, tt.resume)
			s := r.Snapshot()
			if len(s.Runs) != tt.wantRuns || len(s.Points) != tt.wantPoints {
				t.Fatalf("got %d runs, %d points; want %d, %d", len(s.Runs), len(s.Points), tt.wantRuns, tt.wantPoints)
			}
			if tt.wantRuns == 2 {
				if got, want := s.Runs[1].T, 80.0; got != want || !s.Runs[1].Resumed {
					t.Errorf("got the resume at %v (resumed %v), want %v", got, s.Runs[1].Resumed, want)
				}
				if len(s.Refusals) != 1 || s.Refusals[0].Count != 4 {
					t.Errorf("got refusals %+v, want one group of 4", s.Refusals)
				}
			}
		})
	}
}

func TestCoarsenKeepsRunsApart(t *testing.T) {
	s := Series{Interval: 5, Runs: []Run{{T: 0}, {T: 10, Resumed: true}}}
	for i := range 4 {
		s.Points = append(s.Points, Point{T: float64(i * 5), Seconds: 5, Written: 1})
	}
	s.coarsen(3)
	var starts []float64
	for _, p := range s.Points {
		starts = append(starts, p.T)
	}
	if fmt.Sprint(starts) != "[0 10]" {
		t.Errorf("got points at %v, want [0 10]", starts)
	}
}

func TestETA(t *testing.T) {
	pts := func(n int, rate int) []Point {
		var out []Point
		for i := range n {
			out = append(out, Point{T: float64(i * 5), Seconds: 5, Written: rate * 5})
		}
		return out
	}
	tests := []struct {
		name   string
		s      Series
		left   int
		want   time.Duration
		wantOK bool
	}{
		{"too early", Series{Runs: []Run{{}}, Points: pts(5, 100)}, 1000, 0, false},
		{"steady", Series{Runs: []Run{{}}, Points: pts(12, 100)}, 6000, time.Minute, true},
		{"nothing left", Series{Runs: []Run{{}}, Points: pts(12, 100)}, 0, 0, false},
		{"nothing confirmed", Series{Runs: []Run{{}}, Points: pts(12, 0)}, 100, 0, false},
		{"only this run counts", Series{Runs: []Run{{}, {T: 50, Resumed: true}}, Points: pts(12, 100)}, 6000, 0, false},
		{"recent rate", Series{Runs: []Run{{}}, Points: append(pts(60, 10), Point{T: 300, Seconds: 120, Written: 120 * 50})}, 3000, time.Minute, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.s.ETA(tt.left)
			if ok != tt.wantOK || got.Round(time.Second) != tt.want {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestReason(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"ids", "HAPI-1094: Resource Patient/abc-1 not found, specified in path: Encounter.subject",
			"HAPI-1094: Resource Patient/… not found, specified in path: Encounter.subject"},
		{"quoted and numbers", `HAPI-0450: Failed to parse request body as JSON resource. Error was: HAPI-1861: Failed to parse JSON encoded FHIR content: Unexpected character ('x' (code 120)) at line 3`,
			`HAPI-0450: Failed to parse request body as JSON resource. Error was: HAPI-1861: Failed to parse JSON encoded FHIR content: Unexpected character ("…" (code N)) at line N`},
		{"spaces", "a \n  b", "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.in); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRefusalsBounded(t *testing.T) {
	var r refusals
	for i := range 200 {
		for range 5 {
			r.add(400, "Patient/x", fmt.Sprintf("reason %c%c", 'a'+i%26, 'a'+i/26))
		}
	}
	got := r.list()
	if len(got) != maxReasons+1 {
		t.Fatalf("got %d groups, want %d", len(got), maxReasons+1)
	}
	if got[0].Reason != otherReason || got[0].Count != 150*5 || len(got[0].Examples) != maxExamples {
		t.Errorf("got first group %q of %d with %d examples, want %q of %d with %d", got[0].Reason, got[0].Count, len(got[0].Examples), otherReason, 750, maxExamples)
	}
}

func TestCauseOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Cause
	}{
		{"408", &fhir.StatusError{Code: 408}, CauseTimeout},
		{"409", &fhir.StatusError{Code: 409}, CauseConflict},
		{"429", &fhir.StatusError{Code: 429}, CauseThrottle},
		{"502", fmt.Errorf("post: %w", &fhir.StatusError{Code: 502}), CauseServer},
		{"network", &net.OpError{Op: "read", Err: errors.New("reset")}, CauseNetwork},
		{"other", errors.New("x"), CauseOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CauseOf(tt.err); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// TestNodes: with several nodes, each point holds what each node did in
// it (the growth of the cumulative figures); with one, nothing.
func TestNodes(t *testing.T) {
	tests := []struct {
		name  string
		nodes []string
		want  string
	}{
		{"two nodes", []string{"http://a/fhir", "http://b/fhir"}, "[[{1 0 10} {1 1 5}] [{2 0 20} {0 0 0}]]"},
		{"one node", []string{"http://a/fhir"}, "[[] []]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &clock{t: time.Unix(1_700_000_000, 0)}
			cum := []NodePoint{{}, {}}
			r := New(Options{Job: "j", Now: c.now, Nodes: tt.nodes, Sources: Sources{Proc: fixedProc,
				Nodes: func() []NodePoint { return append([]NodePoint(nil), cum...) }}})
			cum[0], cum[1] = NodePoint{Requests: 1, Resources: 10}, NodePoint{Requests: 1, Errors: 1, Resources: 5}
			c.advance(5 * time.Second)
			r.Sample()
			cum[0] = NodePoint{Requests: 3, Resources: 30}
			c.advance(5 * time.Second)
			r.Sample()
			var got []string
			for _, p := range r.Snapshot().Points {
				got = append(got, fmt.Sprint(p.Nodes))
			}
			if fmt.Sprint(got) != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
