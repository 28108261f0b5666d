package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// A Cluster is what the uploader sends through, and it can say what
// landed after a timeout, as a single client can.
var (
	_ transfer.Sender    = (*Cluster)(nil)
	_ transfer.Versioner = (*Cluster)(nil)
	_ Node               = (*fhir.Client)(nil)
)

// fakeNode is an httptest FHIR server that answers every batch entry with
// 201 after delay, or with status when it is set.
type fakeNode struct {
	srv    *httptest.Server
	posts  atomic.Int64
	delay  time.Duration
	status atomic.Int64 // when non-zero, every POST is answered with it
}

func newFakeNode(t *testing.T, delay time.Duration) *fakeNode {
	t.Helper()
	f := &fakeNode{delay: delay}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s := f.status.Load(); s != 0 && r.Method == "GET" {
			w.WriteHeader(int(s))
			return
		}
		if r.Method == "GET" {
			w.Header().Set("Content-Type", "application/fhir+json")
			fmt.Fprint(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","software":{"name":"HAPI FHIR Server","version":"8.8.0"}}`)
			return
		}
		f.posts.Add(1)
		time.Sleep(f.delay)
		if s := f.status.Load(); s != 0 {
			w.WriteHeader(int(s))
			return
		}
		var sb strings.Builder
		sb.WriteString(`{"resourceType":"Bundle","type":"batch-response","entry":[`)
		sb.WriteString(`{"response":{"status":"201 Created"}}`)
		sb.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprint(w, sb.String())
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func client(t *testing.T, url string) *fhir.Client {
	t.Helper()
	c, err := fhir.New(fhir.Config{BaseURL: url, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// oneEntry is a batch Bundle of one PUT.
func oneEntry() []byte {
	b := fhir.NewBuilder(fhir.Batch)
	b.Add("Patient", "p1", []byte(`{"resourceType":"Patient","id":"p1"}`))
	return b.Bytes()
}

func TestPostSpreadsOverNodes(t *testing.T) {
	a, b := newFakeNode(t, 20*time.Millisecond), newFakeNode(t, 20*time.Millisecond)
	c := New([]Node{client(t, a.srv.URL), client(t, b.srv.URL)})
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if _, err := c.Post(t.Context(), oneEntry(), 1); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	st := c.Stats()
	for i, s := range st {
		if s.Requests < 10 || s.Errors != 0 || s.Resources != s.Requests || !s.Up || s.Seconds <= 0 {
			t.Errorf("node %d: got %+v, want a fair share of 40 requests without errors", i, s)
		}
	}
	if got := a.posts.Load() + b.posts.Load(); got != 40 {
		t.Errorf("got %d posts, want 40", got)
	}
}

// TestPostPrefersTheFasterNode runs four senders of 15 Bundles each
// against a node that answers in 2 ms and one that answers in 60 ms, on
// a simulated clock (see simNodes): the fast node gets at least three
// times as many Bundles. The clock makes the outcome the same on a busy
// machine as on an idle one.
func TestPostPrefersTheFasterNode(t *testing.T) {
	sim := newSimNodes(4, 60*time.Millisecond, 2*time.Millisecond)
	slow, fast := sim.nodes[0], sim.nodes[1]
	c := New([]Node{slow, fast})
	c.now = sim.clock
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			defer sim.finished()
			for range 15 {
				if _, err := c.Post(t.Context(), oneEntry(), 1); err != nil {
					t.Error(err)
				}
			}
		})
	}
	sim.run()
	wg.Wait()
	if f, s := fast.posts, slow.posts; f+s != 60 || f < 3*s {
		t.Errorf("fast node got %d requests, slow node %d: want 60 in all, the fast one at least 3 times as many", f, s)
	}
}

// simNodes are fake nodes on a simulated clock: a Post blocks until run
// releases it, at the simulated time it would be answered (its start plus
// its node's delay). run releases one Post at a time, the one due first,
// and only once every sender is blocked in a Post or finished, so that
// each answer is measured at its simulated time.
type simNodes struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	active  int // senders not finished
	waiting []*simCall
	nodes   []*simNode
}

type simCall struct {
	due     time.Time
	release chan struct{}
}

// simNode is one node of simNodes; posts counts the Bundles it got.
type simNode struct {
	sim   *simNodes
	name  string
	delay time.Duration
	posts int
}

func newSimNodes(senders int, delays ...time.Duration) *simNodes {
	s := &simNodes{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), active: senders}
	s.cond = sync.NewCond(&s.mu)
	for i, d := range delays {
		s.nodes = append(s.nodes, &simNode{sim: s, name: fmt.Sprintf("http://node%d/fhir", i), delay: d})
	}
	return s
}

func (s *simNodes) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now
}

// finished says that a sender sends no more.
func (s *simNodes) finished() {
	s.mu.Lock()
	s.active--
	s.cond.Broadcast()
	s.mu.Unlock()
}

// run releases the Posts in the order they are due until every sender
// has finished.
func (s *simNodes) run() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		for len(s.waiting) < s.active {
			s.cond.Wait()
		}
		if s.active == 0 {
			return
		}
		first := 0
		for i, c := range s.waiting {
			if c.due.Before(s.waiting[first].due) {
				first = i
			}
		}
		c := s.waiting[first]
		s.waiting = append(s.waiting[:first], s.waiting[first+1:]...)
		s.now = c.due
		close(c.release)
	}
}

func (n *simNode) Post(ctx context.Context, body []byte, k int) ([]fhir.EntryResult, error) {
	s := n.sim
	s.mu.Lock()
	n.posts++
	c := &simCall{due: s.now.Add(n.delay), release: make(chan struct{})}
	s.waiting = append(s.waiting, c)
	s.cond.Broadcast()
	s.mu.Unlock()
	<-c.release
	res := make([]fhir.EntryResult, k)
	for i := range res {
		res[i] = fhir.EntryResult{Result: fhir.Created, Status: 201}
	}
	return res, nil
}

func (n *simNode) Versions(context.Context, string, []string) (map[string]fhir.Version, time.Time, error) {
	return nil, time.Time{}, errors.New("not simulated")
}

func (n *simNode) Existing(context.Context, string, []string) (map[string]bool, error) {
	return nil, errors.New("not simulated")
}

func (n *simNode) CheckServer(context.Context) (fhir.ServerInfo, error) {
	return fhir.ServerInfo{}, errors.New("not simulated")
}

func (n *simNode) BaseURL() string { return n.name }

// TestPostGoesOnWhenANodeIsGone: a node that refuses connections is
// drained at once and the Bundle lands on the other, in the same call.
func TestPostGoesOnWhenANodeIsGone(t *testing.T) {
	dead, live := newFakeNode(t, 0), newFakeNode(t, 0)
	dead.srv.Close()
	c := New([]Node{client(t, dead.srv.URL), client(t, live.srv.URL)})
	for range 5 {
		res, err := c.Post(t.Context(), oneEntry(), 1)
		if err != nil {
			t.Fatalf("got %v, want the live node to take it", err)
		}
		if len(res) != 1 || res[0].Status != 201 {
			t.Fatalf("got %+v", res)
		}
	}
	st := c.Stats()
	if st[0].Up || st[0].Errors != 1 || st[0].Drained != 1 || st[0].Requests != 1 {
		t.Errorf("dead node: got %+v, want one failed request, drained, down", st[0])
	}
	if !st[1].Up || st[1].Requests != 5 || st[1].Resources != 5 {
		t.Errorf("live node: got %+v, want all 5", st[1])
	}
}

func TestPostFailsWhenEveryNodeIsGone(t *testing.T) {
	a, b := newFakeNode(t, 0), newFakeNode(t, 0)
	a.srv.Close()
	b.srv.Close()
	c := New([]Node{client(t, a.srv.URL), client(t, b.srv.URL)})
	_, err := c.Post(t.Context(), oneEntry(), 1)
	if err == nil || !Dropped(err) {
		t.Fatalf("got %v, want a connection error", err)
	}
	// Both drained: the next call still tries one (and fails fast).
	if _, err := c.Post(t.Context(), oneEntry(), 1); err == nil {
		t.Fatal("got no error from two dead nodes")
	}
}

// TestRepeated5xxDrains: failedLimit 5xx answers in a row take a node
// out; the Bundles are not moved (the caller retries them), and later
// ones go to the other node. After the backoff a probe brings it back.
func TestRepeated5xxDrains(t *testing.T) {
	bad, good := newFakeNode(t, 0), newFakeNode(t, 0)
	bad.status.Store(500)
	c := New([]Node{client(t, bad.srv.URL), client(t, good.srv.URL)})
	now := time.Now()
	var mu sync.Mutex
	c.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c.Drain(1) // force every request onto the bad node first
	for i := range failedLimit {
		_, err := c.Post(t.Context(), oneEntry(), 1)
		var se *fhir.StatusError
		if !errors.As(err, &se) || se.Code != 500 {
			t.Fatalf("try %d: got %v, want the 500 back", i+1, err)
		}
	}
	if st := c.Stats(); st[0].Up || st[0].Errors != failedLimit {
		t.Fatalf("bad node: got %+v, want drained after %d errors", st[0], failedLimit)
	}
	mu.Lock()
	now = now.Add(probeBase) // the good node's probe is due: it answers
	mu.Unlock()
	if _, err := c.Post(t.Context(), oneEntry(), 1); err != nil {
		t.Fatalf("got %v, want the probed node to take it", err)
	}
	if good.posts.Load() != 1 {
		t.Errorf("good node got %d posts, want 1", good.posts.Load())
	}
	bad.status.Store(0)
	mu.Lock()
	now = now.Add(probeCap)
	mu.Unlock()
	c.Post(t.Context(), oneEntry(), 1) //nolint:errcheck // probes the bad node
	if st := c.Stats(); !st[0].Up {
		t.Errorf("bad node: got %+v, want up again after its probe answered", st[0])
	}
}

func TestCheckServerSaysWhichNodesFail(t *testing.T) {
	a, b := newFakeNode(t, 0), newFakeNode(t, 0)
	b.srv.Close()
	c := New([]Node{client(t, a.srv.URL), client(t, b.srv.URL)})
	checks, err := c.CheckServer(t.Context())
	if err != nil {
		t.Fatalf("got %v, want the cluster usable with one node", err)
	}
	if checks[0].Err != nil || checks[0].Info.Software != "HAPI FHIR Server 8.8.0" {
		t.Errorf("node 1: got %+v", checks[0])
	}
	if checks[1].Err == nil || !strings.Contains(checks[1].Err.Error(), b.srv.URL) {
		t.Errorf("node 2: got %v, want an error naming it", checks[1].Err)
	}
	if st := c.Stats(); st[1].Up || !st[0].Up {
		t.Errorf("got %+v, want node 2 drained", st)
	}

	a.srv.Close()
	c = New([]Node{client(t, a.srv.URL), client(t, b.srv.URL)})
	if _, err := c.CheckServer(t.Context()); err == nil || !errors.Is(err, fhir.ErrUnreachable) {
		t.Errorf("got %v, want ErrUnreachable when no node answers", err)
	}
}

func TestVersionsAsksALiveNode(t *testing.T) {
	dead := newFakeNode(t, 0)
	dead.srv.Close()
	var searched atomic.Int64
	live := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		searched.Add(1)
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprint(w, `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Patient","id":"p1","meta":{"versionId":"2","lastUpdated":"2026-01-01T00:00:00Z"}}}]}`)
	}))
	t.Cleanup(live.Close)
	c := New([]Node{client(t, dead.srv.URL), client(t, live.URL)})
	got, _, err := c.Versions(context.Background(), "Patient", []string{"p1"})
	if err != nil || got["p1"].ID != "2" {
		t.Fatalf("got %v, %v, want p1 at version 2", got, err)
	}
	if st := c.Stats(); st[0].Requests != 0 || st[1].Requests != 0 {
		t.Errorf("got %+v, want reads not counted as requests", st)
	}
}

// TestSlowOnceIsTriedAgain: a node whose first answers were slow is not
// starved: its estimate returns to the average while it gets no Bundles.
func TestSlowOnceIsTriedAgain(t *testing.T) {
	a, b := newFakeNode(t, 0), newFakeNode(t, 0)
	c := New([]Node{client(t, a.srv.URL), client(t, b.srv.URL)})
	now := time.Now()
	c.now = func() time.Time { return now }
	c.nodes[0].latency, c.nodes[0].answered = 1.0, now // slow
	c.nodes[1].latency, c.nodes[1].answered = 0.01, now
	c.nodes[1].inflight = 7
	if nd := c.pick(t.Context(), map[*node]bool{}); nd != c.nodes[1] {
		t.Fatalf("picked %s, want the fast node while the slow one's estimate is fresh", nd.name)
	}
	c.nodes[1].inflight = 7
	now = now.Add(6 * forget)
	if nd := c.pick(t.Context(), map[*node]bool{}); nd != c.nodes[0] {
		t.Fatalf("picked %s, want the slow node measured again once its estimate is old", nd.name)
	}
}

// TestRetryAfter5xxGoesElsewhere: after a node answers 500, the next
// request goes to the other node.
func TestRetryAfter5xxGoesElsewhere(t *testing.T) {
	bad, good := newFakeNode(t, 0), newFakeNode(t, 0)
	bad.status.Store(500)
	c := New([]Node{client(t, bad.srv.URL), client(t, good.srv.URL)})
	if _, err := c.Post(t.Context(), oneEntry(), 1); err == nil {
		t.Fatal("the first request, to the first node, did not fail")
	}
	for i := range 3 {
		if _, err := c.Post(t.Context(), oneEntry(), 1); err != nil {
			t.Fatalf("request %d: got %v, want the good node to take it", i+2, err)
		}
	}
	if got := bad.posts.Load(); got != 1 {
		t.Errorf("the failing node got %d requests, want 1", got)
	}
}

// TestPostMovesABundleTheNodeDropped: a node that closes the connection
// mid-request (as a killed JVM does) is drained, and the same Bundle
// lands on the other node in the same call.
func TestPostMovesABundleTheNodeDropped(t *testing.T) {
	var dropped atomic.Int64
	crash := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dropped.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		conn.Close()
	}))
	t.Cleanup(crash.Close)
	live := newFakeNode(t, 0)
	c := New([]Node{client(t, crash.URL), client(t, live.srv.URL)})
	res, err := c.Post(t.Context(), oneEntry(), 1)
	if err != nil || len(res) != 1 || res[0].Status != 201 {
		t.Fatalf("got %v, %v, want the Bundle landed on the live node", res, err)
	}
	if dropped.Load() != 1 || live.posts.Load() != 1 {
		t.Errorf("the dropping node got %d requests, the live one %d, want 1 and 1", dropped.Load(), live.posts.Load())
	}
	if st := c.Stats(); st[0].Up || st[0].Errors != 1 || st[0].Drained != 1 {
		t.Errorf("the dropping node: got %+v, want drained with one error", st[0])
	}
}
