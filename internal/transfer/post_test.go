package transfer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// withRefs makes n resources of typ with refs references each.
func withRefs(typ string, n, refs int) []string {
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for k := range refs {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"reference":"Patient/p%d"}`, k)
		}
		out[i] = fmt.Sprintf(`{"resourceType":%q,"id":"%s-%d","target":[%s]}`, typ, strings.ToLower(typ), i, b.String())
	}
	return out
}

func TestBatchLimits(t *testing.T) {
	big := fmt.Sprintf(`{"resourceType":"Basic","id":"big","code":{"text":%q}}`, strings.Repeat("x", 3000))
	tests := []struct {
		name  string
		lines []string
		opts  Options
		sizes []int // entries per bundle, in order
	}{
		{"count", resources("Basic", 5), Options{BatchSize: 2}, []int{2, 2, 1}},
		{"references", withRefs("Basic", 5, 4), Options{BatchRefs: 10}, []int{2, 2, 1}},
		// A resource over the limit goes alone; the others fill up around it.
		{"one over the references", append(append(withRefs("Basic", 2, 1), withRefs("Provenance", 1, 50)...), withRefs("Condition", 2, 1)...),
			Options{BatchRefs: 10}, []int{2, 1, 2}},
		{"bytes", append(append(resources("Basic", 2), big), resources("Condition", 2)...), Options{BatchBytes: 2000}, []int{2, 1, 2}},
		{"no limit reached", withRefs("Basic", 5, 4), Options{}, []int{5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeFiles(t, map[string][]string{"Basic.ndjson": tt.lines})
			s := &fakeSender{}
			tt.opts.Retry, tt.opts.Concurrency = fastRetry, 1
			sum, err := New(s, tt.opts).Run(context.Background(), buildPlan(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, b := range s.bundles {
				got = append(got, len(b))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.sizes) {
				t.Errorf("bundle sizes: got %v, want %v", got, tt.sizes)
			}
			if sum.Created != len(tt.lines) {
				t.Errorf("created: got %d, want %d", sum.Created, len(tt.lines))
			}
		})
	}
}

func TestTimeoutFor(t *testing.T) {
	u := New(&fakeSender{}, Options{Timeout: time.Minute, TimeoutMax: 20 * time.Minute})
	tests := []struct {
		name             string
		n, refs, size, k int
		want             time.Duration
	}{
		{"a usual batch waits the floor", 100, 500, 200 << 10, 1, time.Minute},
		{"34,660 references", 1, 34660, 2300 << 10, 1, 20*time.Millisecond + 34660*10*time.Millisecond + 2300*time.Second/1024},
		{"scaled after a timeout", 1, 10000, 0, 2, 2 * (20*time.Millisecond + 100*time.Second)},
		{"capped", 1, 1_000_000, 0, 1, 20 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := u.timeoutFor(tt.n, tt.refs, tt.size, tt.k); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// slowServer is a FHIR server of batch Bundles and _id searches whose
// handling of each Bundle is scripted per request: it may take longer
// than the client waits, store entries one by one, or drop the request.
// Like HAPI, it goes on working when the client hangs up. It records
// every Bundle and whether two requests ever held the same resource.
type slowServer struct {
	t       *testing.T
	mu      sync.Mutex
	stored  map[string]time.Time // Type/id -> when written
	version map[string]int
	busy    map[string]bool // Type/id in a request being worked on
	overlap []string
	sizes   []int
	// plan says, for request n (0-based), how long each entry takes, or
	// that the request is lost: never worked on, never answered.
	plan func(n int) (perEntry time.Duration, drop bool)
	wg   sync.WaitGroup
}

func newSlowServer(t *testing.T, plan func(n int) (time.Duration, bool)) (*slowServer, *fhir.Client) {
	s := &slowServer{t: t, stored: map[string]time.Time{}, version: map[string]int{}, busy: map[string]bool{}, plan: plan}
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.wg.Wait(); srv.Close() })
	c, err := fhir.New(fhir.Config{BaseURL: srv.URL, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func (s *slowServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.wg.Add(1)
	defer s.wg.Done()
	if strings.HasSuffix(r.URL.Path, "/_search") {
		s.search(w, r)
		return
	}
	var b struct {
		Entry []struct {
			Request struct{ URL string } `json:"request"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	n := len(s.sizes)
	s.sizes = append(s.sizes, len(b.Entry))
	per, drop := s.plan(n)
	if drop {
		// Lost on the way: the server never works on it, and the client
		// waits until it gives up.
		s.mu.Unlock()
		<-r.Context().Done()
		return
	}
	for _, e := range b.Entry {
		if s.busy[e.Request.URL] {
			s.overlap = append(s.overlap, e.Request.URL)
		}
		s.busy[e.Request.URL] = true
	}
	s.mu.Unlock()
	var out []string
	for _, e := range b.Entry {
		time.Sleep(per) // whether the client still waits or not
		s.mu.Lock()
		delete(s.busy, e.Request.URL)
		s.version[e.Request.URL]++
		s.stored[e.Request.URL] = time.Now()
		st := "201 Created"
		if s.version[e.Request.URL] > 1 {
			st = "200 OK"
		}
		out = append(out, fmt.Sprintf(`{"response":{"status":%q}}`, st))
		s.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/fhir+json")
	fmt.Fprintf(w, `{"resourceType":"Bundle","type":"batch-response","entry":[%s]}`, strings.Join(out, ","))
}

func (s *slowServer) search(w http.ResponseWriter, r *http.Request) {
	typ := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/_search")
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	s.mu.Lock()
	var entries []string
	for _, id := range strings.Split(r.PostForm.Get("_id"), ",") {
		if at, ok := s.stored[typ+"/"+id]; ok {
			entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":%q,"id":%q,"meta":{"versionId":"%d","lastUpdated":%q}}}`,
				typ, id, s.version[typ+"/"+id], at.Format(time.RFC3339Nano)))
		}
	}
	s.mu.Unlock()
	fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","meta":{"lastUpdated":%q},"entry":[%s]}`,
		time.Now().Format(time.RFC3339Nano), strings.Join(entries, ","))
}

// TestTimedOutBundle: a Bundle that gets no answer in time is never sent
// again while the server may still work on it; what landed is not sent
// again; what did not land is sent in halves, a single resource with a
// longer wait. Every resource ends created once.
func TestTimedOutBundle(t *testing.T) {
	const floor = 200 * time.Millisecond // the client's shortest wait
	tests := []struct {
		name  string
		n     int
		plan  func(n int) (time.Duration, bool)
		sizes []int
	}{
		// Slower than the wait, then stored whole: the client waits for
		// it, sees every entry land, and sends nothing again.
		{"slow, lands", 6, func(n int) (time.Duration, bool) { return 80 * time.Millisecond, false }, []int{6}},
		// One resource, answered after the client gave up: it landed, and
		// is not sent again.
		{"single, slow, lands", 1, func(n int) (time.Duration, bool) { return floor * 3 / 2, false }, []int{1}},
		// Lost (the server drops it after the client gave up), then fast:
		// sent again in halves.
		{"lost, then fast", 6, func(n int) (time.Duration, bool) {
			return 0, n == 0
		}, []int{6, 3, 3}},
		// A single resource, lost once: sent alone again, waited longer.
		{"single, lost once", 1, func(n int) (time.Duration, bool) {
			return floor, n == 0 // then slower than the floor, within twice it
		}, []int{1, 1}},
		// The halves are lost too, down to single resources.
		{"lost down to singles", 4, func(n int) (time.Duration, bool) {
			return 0, n < 3
		}, []int{4, 2, 1, 1, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, client := newSlowServer(t, tt.plan)
			dir := writeFiles(t, map[string][]string{"Basic.ndjson": resources("Basic", tt.n)})
			u := New(client, Options{Timeout: floor, TimeoutMax: 10 * floor, Concurrency: 1, Retry: fastRetry})
			start := time.Now()
			sum, err := u.Run(context.Background(), buildPlan(t, dir))
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			srv.wg.Wait()
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if fmt.Sprint(srv.sizes) != fmt.Sprint(tt.sizes) {
				t.Errorf("bundles of %v entries, want %v", srv.sizes, tt.sizes)
			}
			if len(srv.overlap) > 0 {
				t.Errorf("sent while the server still worked on them: %v", srv.overlap)
			}
			for id, v := range srv.version {
				if v != 1 {
					t.Errorf("%s written %d times", id, v)
				}
			}
			if sum.Created != tt.n || sum.Failed != 0 || len(srv.version) != tt.n {
				t.Errorf("created %d, failed %d, stored %d; want %d created", sum.Created, sum.Failed, len(srv.version), tt.n)
			}
		})
	}
}

func TestHalves(t *testing.T) {
	b := &batch{entries: []entry{{cycle: 1}, {cycle: 1}, {cycle: 2}, {cycle: 3}, {cycle: 3}, {cycle: 3}}}
	tests := []struct {
		name string
		kind fhir.Kind
		idx  []int
		want string
	}{
		{"batch", fhir.Batch, []int{0, 1, 2, 3, 4}, "[[0 1] [2 3 4]]"},
		{"single", fhir.Batch, []int{4}, "[[4]]"},
		{"transaction, between cycles", fhir.Transaction, []int{0, 1, 2, 3, 4, 5}, "[[0 1 2] [3 4 5]]"},
		{"transaction of two cycles", fhir.Transaction, []int{0, 1, 2}, "[[0 1] [2]]"},
		{"one cycle is not split", fhir.Transaction, []int{3, 4, 5}, "[[3 4 5]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fmt.Sprint(halves(b, tt.kind, tt.idx)); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestEveryR4TypeIsSent: Parameters, OperationOutcome and Bundles go to the
// server (HAPI stores the first two, and says itself which Bundles it
// refuses); only a name that is no R4 type is refused here, in those words.
func TestEveryR4TypeIsSent(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Basic.ndjson": {
		`{"resourceType":"Parameters","id":"p"}`,
		`{"resourceType":"OperationOutcome","id":"o","issue":[]}`,
		`{"resourceType":"Bundle","id":"b","type":"transaction"}`,
		`{"resourceType":"Patientt","id":"x"}`,
	}})
	s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		out := allStatus(len(urls), fhir.Created, 201)
		for i, u := range urls {
			if strings.HasPrefix(u, "Bundle/") {
				out[i] = fhir.EntryResult{Result: fhir.Failed, Status: 422, Outcome: "HAPI-0522: Unable to store a Bundle resource on this server with a Bundle.type value of: transaction."}
			}
		}
		return out, nil
	}}
	log := filepath.Join(t.TempDir(), "failures.log")
	sum, err := New(s, Options{FailureLog: log, Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.bundles) != 1 || fmt.Sprint(s.bundles[0]) != "[Parameters/p OperationOutcome/o Bundle/b]" {
		t.Errorf("sent %v, want Parameters/p, OperationOutcome/o and Bundle/b", s.bundles)
	}
	fails := readFailures(t, log)
	checkAccount(t, sum, fails)
	got := map[string]string{}
	for _, f := range fails {
		got[f.ID] = f.Error
	}
	if len(fails) != 2 || !strings.Contains(got["x"], `"Patientt" is not a FHIR R4 resource type`) || !strings.Contains(got["b"], "HAPI-0522") {
		t.Errorf("failures %v, want Patientt as no R4 type and the Bundle with HAPI's HAPI-0522", got)
	}
}
