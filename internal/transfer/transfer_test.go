package transfer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/auth"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// fakeSender records the bundles it gets and answers with a script.
type fakeSender struct {
	mu      sync.Mutex
	bundles [][]string // "Type/id" of each entry, per call
	kinds   []string   // the Bundle type, per call
	// last holds the resource last sent for each Type/id.
	last map[string]string
	// answer decides the result of call n (0-based) for its entries; nil
	// answers 201 for all.
	answer func(n int, urls []string) ([]fhir.EntryResult, error)
	calls  int
}

func (f *fakeSender) Post(ctx context.Context, body []byte, n int) ([]fhir.EntryResult, error) {
	var b struct {
		Type  string `json:"type"`
		Entry []struct {
			Request struct {
				Method, URL string
			} `json:"request"`
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, fmt.Errorf("fake: bad bundle: %v", err)
	}
	if b.Type != "batch" && b.Type != "transaction" || len(b.Entry) != n {
		return nil, fmt.Errorf("fake: type %q with %d entries for n=%d", b.Type, len(b.Entry), n)
	}
	urls := make([]string, n)
	for i, e := range b.Entry {
		if e.Request.Method != "PUT" {
			return nil, fmt.Errorf("fake: method %s", e.Request.Method)
		}
		urls[i] = e.Request.URL
	}
	f.mu.Lock()
	if f.last == nil {
		f.last = map[string]string{}
	}
	for i, e := range b.Entry {
		f.last[urls[i]] = string(e.Resource)
	}
	call := f.calls
	f.calls++
	f.bundles = append(f.bundles, urls)
	f.kinds = append(f.kinds, b.Type)
	f.mu.Unlock()
	if f.answer != nil {
		return f.answer(call, urls)
	}
	return allStatus(n, fhir.Created, 201), nil
}

func allStatus(n int, r fhir.Result, code int) []fhir.EntryResult {
	out := make([]fhir.EntryResult, n)
	for i := range out {
		out[i] = fhir.EntryResult{Result: r, Status: code}
	}
	return out
}

// writeFiles makes a folder of NDJSON files from name -> lines.
func writeFiles(t *testing.T, files map[string][]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, lines := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func resources(typ string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"resourceType":%q,"id":"%s-%d","value":1.50}`, typ, strings.ToLower(typ), i)
	}
	return out
}

func buildPlan(t *testing.T, dir string) *plan.Plan {
	t.Helper()
	return buildPlanOrder(t, dir, plan.OrderStatic)
}

func buildPlanOrder(t *testing.T, dir, order string) *plan.Plan {
	t.Helper()
	files, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := plan.Build(context.Background(), files, plan.Options{Order: order})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func readFailures(t *testing.T, path string) []Failure {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Failure
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec Failure
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("failure log line %q: %v", sc.Text(), err)
		}
		out = append(out, rec)
	}
	return out
}

// checkAccount asserts the promise: every resource read is on the server
// or in the failure log.
func checkAccount(t *testing.T, sum *Summary, fails []Failure) {
	t.Helper()
	if sum.Read != sum.Landed()+sum.Failed+sum.DuplicatesSkipped {
		t.Errorf("read %d, landed %d + failed %d + duplicates skipped %d", sum.Read, sum.Landed(), sum.Failed, sum.DuplicatesSkipped)
	}
	if len(fails) != sum.Failed {
		t.Errorf("failure log has %d records, summary says %d failed", len(fails), sum.Failed)
	}
}

var fastRetry = retry.Policy{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }}

func TestRunOrderAndBatches(t *testing.T) {
	dir := writeFiles(t, map[string][]string{
		"Observation.ndjson":  resources("Observation", 250),
		"Patient.ndjson":      resources("Patient", 120),
		"Organization.ndjson": resources("Organization", 3),
		"Encounter.ndjson":    resources("Encounter", 101),
	})
	s := &fakeSender{}
	log := filepath.Join(t.TempDir(), "failures.log")
	sum, err := New(s, Options{BatchSize: 100, Concurrency: 4, FailureLog: log, Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sum.Created, 474; got != want {
		t.Errorf("created: got %d, want %d", got, want)
	}
	if got, want := sum.Batches, 1+2+2+3; got != want {
		t.Errorf("batches: got %d, want %d", got, want)
	}
	// Every bundle of a type comes after all bundles of the types before it.
	rank := map[string]int{"Organization": 0, "Patient": 1, "Encounter": 2, "Observation": 3}
	last := 0
	for _, b := range s.bundles {
		typ, _, _ := strings.Cut(b[0], "/")
		if rank[typ] < last {
			t.Fatalf("a %s bundle came after a later type's bundle", typ)
		}
		last = rank[typ]
		if len(b) > 100 {
			t.Errorf("bundle of %d entries, batch size 100", len(b))
		}
	}
	if _, err := os.Stat(log); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failure log exists after a clean run: %v", err)
	}
	checkAccount(t, sum, nil)
}

func TestRunRecordsFailures(t *testing.T) {
	lines := resources("Patient", 5)
	lines = append(lines,
		`{"resourceType":"Patient","id":"bad id"}`,
		`{"resourceType":"Patient"`,
		`["not","an","object"]`,
		`{"resourceType":"Nonsense","id":"x"}`,
		``,
		`{"resourceType":"Patient","id":"last"}`)
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": lines})
	s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		res := allStatus(len(urls), fhir.Created, 201)
		for i, u := range urls {
			if u == "Patient/patient-3" {
				res[i] = fhir.EntryResult{Result: fhir.Failed, Status: 400, Outcome: "HAPI-1094: Resource Organization/x not found"}
			}
		}
		return res, nil
	}}
	logPath := filepath.Join(t.TempDir(), "failures.log")
	sum, err := New(s, Options{BatchSize: 2, FailureLog: logPath, Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	fails := readFailures(t, logPath)
	checkAccount(t, sum, fails)
	want := map[int]string{4: "HAPI-1094", 6: "invalid id", 7: "not valid JSON", 8: "not a JSON object", 9: "not a FHIR R4 resource type"}
	if len(fails) != len(want) {
		t.Fatalf("got %d failures, want %d: %+v", len(fails), len(want), fails)
	}
	for _, f := range fails {
		w, ok := want[f.Line]
		if !ok || !strings.Contains(f.Error, w) {
			t.Errorf("line %d: got error %q, want it to contain %q", f.Line, f.Error, w)
		}
		if f.File != "Patient.ndjson" {
			t.Errorf("line %d: file %q", f.Line, f.File)
		}
	}
	for _, f := range fails {
		if f.Line == 4 && (f.Status != 400 || f.ID != "patient-3" || !strings.Contains(string(f.Resource), `"value":1.50`)) {
			t.Errorf("server-rejected record incomplete: %+v", f)
		}
		if f.Line == 7 && f.Raw != `{"resourceType":"Patient"` {
			t.Errorf("invalid JSON line not kept raw: %+v", f)
		}
	}
	if sum.Created != 5 {
		t.Errorf("created: got %d, want 5", sum.Created)
	}
}

func TestRunRetriesThenSucceeds(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 3)})
	s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		if n < 2 {
			return nil, &fhir.StatusError{Code: 503}
		}
		return allStatus(len(urls), fhir.Updated, 200), nil
	}}
	sum, err := New(s, Options{Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Retries != 2 || sum.Updated != 3 || sum.Failed != 0 {
		t.Errorf("got retries %d updated %d failed %d, want 2 3 0", sum.Retries, sum.Updated, sum.Failed)
	}
}

func TestRunStopsWhenServerGone(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 50)})
	s := &fakeSender{answer: func(int, []string) ([]fhir.EntryResult, error) {
		return nil, &fhir.StatusError{Code: 500}
	}}
	logPath := filepath.Join(t.TempDir(), "f.log")
	sum, err := New(s, Options{BatchSize: 1, Concurrency: 1, FailureLog: logPath, Retry: fastRetry, MaxFailedBatches: 3}).Run(context.Background(), buildPlan(t, dir))
	if !errors.Is(err, ErrServerGone) {
		t.Fatalf("got %v, want ErrServerGone", err)
	}
	if s.calls > 3*3+3 { // 3 batches x 3 tries, and at most the in-flight ones
		t.Errorf("kept sending after the server was gone: %d calls", s.calls)
	}
	checkAccount(t, sum, readFailures(t, logPath))
}

func TestRunStopsOnAuth(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 10)})
	s := &fakeSender{answer: func(int, []string) ([]fhir.EntryResult, error) {
		return nil, &fhir.StatusError{Code: 401}
	}}
	logPath := filepath.Join(t.TempDir(), "f.log")
	sum, err := New(s, Options{BatchSize: 1, Concurrency: 1, FailureLog: logPath, Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if !errors.Is(err, ErrAuth) {
		t.Fatalf("got %v, want ErrAuth", err)
	}
	if s.calls > 2 {
		t.Errorf("401 was retried or sending went on: %d calls", s.calls)
	}
	checkAccount(t, sum, readFailures(t, logPath))
}

func TestRunInterruptedAccountsForEverything(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 500)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		if n == 2 {
			cancel()
		}
		return allStatus(len(urls), fhir.Created, 201), nil
	}}
	logPath := filepath.Join(t.TempDir(), "f.log")
	sum, err := New(s, Options{BatchSize: 10, Concurrency: 2, FailureLog: logPath, Retry: fastRetry}).Run(ctx, buildPlan(t, dir))
	if !errors.Is(err, context.Canceled) || !sum.Interrupted {
		t.Fatalf("got %v (interrupted %v), want context.Canceled", err, sum.Interrupted)
	}
	if sum.Read >= 500 {
		t.Errorf("read all %d lines despite the interrupt", sum.Read)
	}
	checkAccount(t, sum, readFailures(t, logPath))
}

func TestRunFileProblems(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 2)})
	// A truncated gzip file: reading stops with an error after the header.
	if err := os.WriteFile(filepath.Join(dir, "Encounter.ndjson.gz"), []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}, 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := New(&fakeSender{}, Options{Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.FileProblems) != 1 || sum.FileProblems[0].File != "Encounter.ndjson.gz" {
		t.Errorf("got file problems %+v, want one for Encounter.ndjson.gz", sum.FileProblems)
	}
	if sum.Created != 2 {
		t.Errorf("created %d, want 2", sum.Created)
	}
}

func TestRunStopsOnTokenError(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 10)})
	s := &fakeSender{answer: func(int, []string) ([]fhir.EntryResult, error) {
		return nil, &auth.TokenError{Endpoint: "https://as.example.org/token", Code: "invalid_client"}
	}}
	logPath := filepath.Join(t.TempDir(), "f.log")
	sum, err := New(s, Options{BatchSize: 1, Concurrency: 1, FailureLog: logPath, Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if !errors.Is(err, auth.ErrToken) || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("got %v, want auth.ErrToken naming invalid_client", err)
	}
	if s.calls > 2 {
		t.Errorf("the token error was retried or sending went on: %d calls", s.calls)
	}
	checkAccount(t, sum, readFailures(t, logPath))
}
