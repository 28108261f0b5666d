package verify

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// fakeServer holds resources by type and id and answers searches as HAPI
// does: the asked ids it has, with meta added.
type fakeServer struct {
	mu       sync.Mutex
	res      map[string]map[string]string
	searches [][]string
	fail     int   // fail this many searches first
	failErr  error // with this error
	// matches answers Resolve: conditional reference -> ids.
	matches  map[string][]string
	resolved []string
}

func (f *fakeServer) Resolve(ctx context.Context, conditional string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved = append(f.resolved, conditional)
	return f.matches[conditional], nil
}

func (f *fakeServer) put(typ, id, raw string) {
	if f.res == nil {
		f.res = map[string]map[string]string{}
	}
	if f.res[typ] == nil {
		f.res[typ] = map[string]string{}
	}
	f.res[typ][id] = raw
}

func (f *fakeServer) SearchIDs(ctx context.Context, typ string, ids []string, fn func(json.RawMessage) error) error {
	f.mu.Lock()
	f.searches = append(f.searches, ids)
	if f.fail > 0 {
		f.fail--
		f.mu.Unlock()
		return f.failErr
	}
	var found []string
	for _, id := range ids {
		if raw, ok := f.res[typ][id]; ok {
			found = append(found, raw)
		}
	}
	f.mu.Unlock()
	for _, raw := range found {
		if err := fn(json.RawMessage(raw)); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeServer) CountType(ctx context.Context, typ string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.res[typ]), nil
}

func memFile(name, content string) source.File {
	return source.File{Name: name, Size: int64(len(content)), Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(content)), nil
	}}
}

func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

func TestRun(t *testing.T) {
	srv := &fakeServer{}
	srv.put("Patient", "a", `{"resourceType":"Patient","id":"a","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00Z"},"active":true}`)
	srv.put("Patient", "b", `{"resourceType":"Patient","id":"b","meta":{"versionId":"3"},"active":false}`)
	srv.put("Patient", "n", `{"resourceType":"Patient","id":"n","meta":{"versionId":"1"}}`)
	srv.put("Organization", "o", `{"resourceType":"Organization","id":"o","meta":{"versionId":"2"},"name":"new"}`)
	files := []source.File{
		// Listed out of order: Run reads them in name order.
		memFile("Patient.ndjson", lines(
			`{"resourceType":"Patient","id":"a","active":true}`,
			`{"resourceType":"Patient","id":"b","active":true}`,
			`{"resourceType":"Patient","id":"m","active":true}`,
			`not json`,
			``,
			`{"resourceType":"Patient","id":"n","name":[]}`,
			`{"resourceType":"Frobnication","id":"x"}`,
		)),
		memFile("Organization.ndjson", lines(
			`{"resourceType":"Organization","id":"o","name":"old"}`,
			`{"resourceType":"Organization","id":"o","name":"new"}`,
		)),
	}
	// The duplicate rule: the last occurrence of Organization/o is written.
	written := func(typ, id, file string, line int) bool { return !(typ == "Organization" && line == 1) }
	var progress []Progress
	rep, err := Run(context.Background(), srv, files, Options{BatchSize: 2, Concurrency: 3, Written: written, CountTypes: true,
		Progress: func(p Progress) { progress = append(progress, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Types) != 2 {
		t.Fatalf("got types %v, want Organization, Patient (a line of no R4 type counts under its file's)", rep.Types)
	}
	org, pat := rep.Types[0], rep.Types[1]
	want := TypeReport{Type: "Patient", Input: 4, Found: 3, Missing: 1, Differing: 1, Normalised: 1, LaterVersion: 1, MaxVersion: 3, Unreadable: 2, ServerTotal: 3}
	if pat != want {
		t.Errorf("Patient: got %+v\nwant %+v", pat, want)
	}
	want = TypeReport{Type: "Organization", Input: 1, Found: 1, LaterVersion: 1, MaxVersion: 2, Duplicates: 1, ServerTotal: 1}
	if org != want {
		t.Errorf("Organization: got %+v\nwant %+v", org, want)
	}
	if rep.Complete() {
		t.Error("got complete, want incomplete (missing, differing, unreadable)")
	}
	if len(rep.Missing) != 1 || rep.Missing[0] != (Example{Type: "Patient", ID: "m", File: "Patient.ndjson", Line: 3}) {
		t.Errorf("missing: got %+v", rep.Missing)
	}
	d := rep.Differing
	if len(d) != 1 || d[0].ID != "b" || d[0].Line != 2 || d[0].Path != "Patient.active" || d[0].Input != "true" || d[0].Server != "false" {
		t.Errorf("differing: got %+v", d)
	}
	if len(rep.Unreadable) != 2 || rep.Unreadable[0].Line != 4 || rep.Unreadable[1].Line != 7 || !strings.Contains(rep.Unreadable[1].Error, "Frobnication") {
		t.Errorf("unreadable: got %+v", rep.Unreadable)
	}
	if len(rep.Normalised) != 1 || rep.Normalised[0].Key != "empty-dropped" || rep.Normalised[0].Example.ID != "n" {
		t.Errorf("normalised: got %+v", rep.Normalised)
	}
	// Patient: a,b | m,n in searches of 2; Organization: o.
	if rep.Searches != 3 || len(srv.searches) != 3 {
		t.Errorf("got %d searches (%v), want 3", rep.Searches, srv.searches)
	}
	if rep.Total.ServerTotal != 4 {
		t.Errorf("got server total %d, want 4", rep.Total.ServerTotal)
	}
	if n := len(progress); n != 3 || progress[n-1].Compared != 5 || progress[n-1].Missing != 1 || progress[n-1].Differing != 1 {
		t.Errorf("progress: got %+v, want 3 reports ending at 5 compared, 1 missing, 1 differing", progress)
	}
}

func TestRunComplete(t *testing.T) {
	srv := &fakeServer{}
	var in []string
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		srv.put("Patient", id, `{"resourceType":"Patient","id":"`+id+`","meta":{"versionId":"1"}}`)
		in = append(in, `{"resourceType":"Patient","id":"`+id+`"}`)
	}
	rep, err := Run(context.Background(), srv, []source.File{memFile("p/Patient.ndjson", lines(in...))}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() || rep.Total.Found != 5 || rep.Total.LaterVersion != 0 || rep.Searches != 1 {
		t.Errorf("got complete %v, %d found, %d above version 1, %d searches; want true, 5, 0, 1", rep.Complete(), rep.Total.Found, rep.Total.LaterVersion, rep.Searches)
	}
}

// Examples are the first in input order, whatever order the searches end.
func TestRunExamplesInInputOrder(t *testing.T) {
	srv := &fakeServer{}
	var in []string
	for i := range 40 {
		in = append(in, `{"resourceType":"Patient","id":"p`+string(rune('a'+i%26))+string(rune('a'+i/26))+`"}`)
	}
	rep, err := Run(context.Background(), srv, []source.File{memFile("Patient.ndjson", lines(in...))},
		Options{BatchSize: 1, Concurrency: 8, MaxExamples: 5})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Missing != 40 || len(rep.Missing) != 5 {
		t.Fatalf("got %d missing, %d examples; want 40, 5", rep.Total.Missing, len(rep.Missing))
	}
	for i, e := range rep.Missing {
		if e.Line != i+1 {
			t.Errorf("example %d: got line %d, want %d", i, e.Line, i+1)
		}
	}
}

func TestRunRetriesAndGivesUp(t *testing.T) {
	noSleep := func(context.Context, time.Duration) error { return nil }
	file := memFile("Patient.ndjson", lines(`{"resourceType":"Patient","id":"a"}`))

	srv := &fakeServer{fail: 2, failErr: &fhir.StatusError{Code: 503}}
	srv.put("Patient", "a", `{"resourceType":"Patient","id":"a"}`)
	var retried []int
	rep, err := Run(context.Background(), srv, []source.File{file}, Options{
		Retry:   retry.Policy{Attempts: 3, Sleep: noSleep},
		OnRetry: func(typ string, attempt int, err error, wait time.Duration) { retried = append(retried, attempt) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Complete() || rep.Retries != 2 || len(retried) != 2 {
		t.Errorf("got complete %v, %d retries (%v); want true, 2", rep.Complete(), rep.Retries, retried)
	}

	srv = &fakeServer{fail: 5, failErr: &fhir.StatusError{Code: 503}}
	_, err = Run(context.Background(), srv, []source.File{file}, Options{Retry: retry.Policy{Attempts: 3, Sleep: noSleep}})
	var se *fhir.StatusError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "Patient.ndjson:1") {
		t.Errorf("got %v, want the server's error naming Patient.ndjson:1", err)
	}
	if len(srv.searches) != 3 {
		t.Errorf("got %d tries, want 3", len(srv.searches))
	}

	srv = &fakeServer{fail: 1, failErr: &fhir.StatusError{Code: 400}}
	if _, err = Run(context.Background(), srv, []source.File{file}, Options{Retry: retry.Policy{Sleep: noSleep}}); err == nil || len(srv.searches) != 1 {
		t.Errorf("got %v after %d tries, want an error after 1 (400 is not retried)", err, len(srv.searches))
	}
}

func TestRunFileProblems(t *testing.T) {
	broken := source.File{Name: "Patient.ndjson", Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(io.MultiReader(strings.NewReader(`{"resourceType":"Patient","id":"a"}`+"\n"), errReader{})), nil
	}}
	srv := &fakeServer{}
	srv.put("Patient", "a", `{"resourceType":"Patient","id":"a"}`)
	rep, err := Run(context.Background(), srv, []source.File{broken}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Complete() || len(rep.FileProblems) != 1 || rep.FileProblems[0].Line != 2 || rep.Total.Found != 1 {
		t.Errorf("got complete %v, problems %+v, %d found; want false, one at line 2, 1", rep.Complete(), rep.FileProblems, rep.Total.Found)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestRunConditionalReferences(t *testing.T) {
	const (
		npi1 = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1"
		npi2 = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|2"
		npi3 = "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|3"
	)
	srv := &fakeServer{matches: map[string][]string{npi1: {"p1"}, npi2: {"p2", "p2b"}, npi3: {"p3"}}}
	enc := func(id, ref string) string {
		return `{"resourceType":"Encounter","id":"` + id + `","participant":[{"individual":{"reference":"` + ref + `"}}]}`
	}
	srv.put("Encounter", "e1", enc("e1", "Practitioner/p1"))
	srv.put("Encounter", "e2", enc("e2", "Practitioner/p1")) // same query: asked once
	srv.put("Encounter", "e3", enc("e3", "Practitioner/p2")) // the query matches two now
	srv.put("Encounter", "e4", enc("e4", "Practitioner/p9")) // not what the query matches
	srv.put("Encounter", "e5", enc("e5", "Organization/p3")) // another type
	in := lines(enc("e1", npi1), enc("e2", npi1), enc("e3", npi2), enc("e4", npi3), enc("e5", npi3))
	rep, err := Run(context.Background(), srv, []source.File{memFile("Encounter.ndjson", in)}, Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e := rep.Total; e.Found != 5 || e.Normalised != 2 || e.Differing != 3 {
		t.Errorf("got %d found, %d normalised, %d differing; want 5, 2, 3", e.Found, e.Normalised, e.Differing)
	}
	if len(rep.Normalised) != 1 || rep.Normalised[0].Key != "conditional-reference-resolved" || rep.Normalised[0].Resources != 2 {
		t.Errorf("normalised: got %+v", rep.Normalised)
	}
	want := map[string]string{
		"e3": `"Practitioner/p2" (the query matches several resources now)`,
		"e4": `"Practitioner/p9" (the query matches Practitioner/p3 now)`,
		"e5": `"Organization/p3"`,
	}
	for _, d := range rep.Differing {
		if d.Path != "Encounter.participant[0].individual.reference" || d.Server != want[d.ID] {
			t.Errorf("%s: got %s: %s, want Encounter.participant[0].individual.reference: %s", d.ID, d.Path, d.Server, want[d.ID])
		}
	}
	if len(srv.resolved) != 3 {
		t.Errorf("got %d resolutions (%v), want 3: one per distinct query of the same type", len(srv.resolved), srv.resolved)
	}
}
