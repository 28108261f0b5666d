package transfer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

// obs makes an Observation line with hasMember / derivedFrom references.
func obs(id string, hasMember, derivedFrom []string) string {
	ref := func(ids []string) string {
		var parts []string
		for _, r := range ids {
			parts = append(parts, fmt.Sprintf(`{"reference":"Observation/%s"}`, r))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return fmt.Sprintf(`{"resourceType":"Observation","id":%q,"status":"final","code":{"text":"x"},"hasMember":%s,"derivedFrom":%s}`, id, ref(hasMember), ref(derivedFrom))
}

// sentOrder returns, for each Type/id, the call that sent it (the first).
func sentOrder(s *fakeSender) map[string]int {
	at := map[string]int{}
	for i, b := range s.bundles {
		for _, u := range b {
			if _, ok := at[u]; !ok {
				at[u] = i
			}
		}
	}
	return at
}

func TestRunDataOrderWavesAndCycles(t *testing.T) {
	dir := writeFiles(t, map[string][]string{
		// a chain against line order: c -> b -> a, and two cycles.
		"MimicObservationLabevents.ndjson": {obs("c", []string{"b"}, nil), obs("b", []string{"a"}, nil), obs("a", nil, nil)},
		"MimicObservationMicroTest.ndjson": {obs("t1", []string{"o1"}, nil), obs("t2", []string{"o2"}, nil)},
		"MimicObservationMicroOrg.ndjson":  {obs("o1", nil, []string{"t1"}), obs("o2", nil, []string{"t2"})},
		"MimicObservationMicroSusc.ndjson": {obs("s1", nil, []string{"o1"})},
	})
	s := &fakeSender{}
	sum, err := New(s, Options{BatchSize: 100, Concurrency: 3, Retry: fastRetry}).Run(context.Background(), buildPlanOrder(t, dir, plan.OrderData))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 8 || sum.Failed != 0 {
		t.Fatalf("created %d failed %d, want 8 and 0", sum.Created, sum.Failed)
	}
	at := sentOrder(s)
	for _, edge := range [][2]string{{"c", "b"}, {"b", "a"}, {"s1", "o1"}} {
		if at["Observation/"+edge[0]] <= at["Observation/"+edge[1]] {
			t.Errorf("Observation/%s was sent in call %d, not after Observation/%s (call %d)", edge[0], at["Observation/"+edge[0]], edge[1], at["Observation/"+edge[1]])
		}
	}
	// Each cycle's members travel in one transaction.
	for _, pair := range [][2]string{{"t1", "o1"}, {"t2", "o2"}} {
		i, j := at["Observation/"+pair[0]], at["Observation/"+pair[1]]
		if i != j || s.kinds[i] != "transaction" {
			t.Errorf("cycle %v: sent in calls %d and %d (%s), want one transaction", pair, i, j, s.kinds[i])
		}
	}
	for i, k := range s.kinds {
		if k == "transaction" && slices.Contains(s.bundles[i], "Observation/a") {
			t.Errorf("a resource outside any cycle went in a transaction")
		}
	}
}

func TestRunSplitsFailedTransaction(t *testing.T) {
	dir := writeFiles(t, map[string][]string{
		"Observation.ndjson": {obs("t1", []string{"o1"}, nil), obs("o1", nil, []string{"t1"}), obs("t2", []string{"o2"}, nil), obs("o2", nil, []string{"t2"})},
	})
	s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		if slices.Contains(urls, "Observation/t2") {
			return nil, &fhir.StatusError{Code: 400, Outcome: &fhir.Outcome{Issues: []fhir.Issue{{Severity: "error", Diagnostics: "HAPI-9999: bad t2"}}}}
		}
		return allStatus(len(urls), fhir.Created, 201), nil
	}}
	logPath := filepath.Join(t.TempDir(), "f.log")
	sum, err := New(s, Options{Retry: fastRetry, FailureLog: logPath}).Run(context.Background(), buildPlanOrder(t, dir, plan.OrderData))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 2 || sum.Failed != 2 {
		t.Errorf("created %d failed %d, want 2 and 2 (the good cycle lands, the bad one fails)", sum.Created, sum.Failed)
	}
	fails := readFailures(t, logPath)
	checkAccount(t, sum, fails)
	for _, f := range fails {
		if !strings.Contains(f.Error, "HAPI-9999") || (f.ID != "t2" && f.ID != "o2") {
			t.Errorf("failure %+v", f)
		}
	}
}

func TestRunResumesFromCheckpoint(t *testing.T) {
	lines := resources("Patient", 95)
	lines = append(lines, `{"resourceType":"Patient","id":"bad id"}`)
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": lines, "Organization.ndjson": resources("Organization", 20)})
	tmp := t.TempDir()
	opts := Options{BatchSize: 10, Concurrency: 1, Retry: fastRetry, FailureLog: filepath.Join(tmp, "f.log"), Checkpoint: filepath.Join(tmp, "ck", "job.ckpt")}

	// First run: interrupted after the 5th call.
	ctx, cancel := context.WithCancel(context.Background())
	first := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		if n == 4 {
			cancel()
		}
		return allStatus(len(urls), fhir.Created, 201), nil
	}}
	sum1, err := New(first, opts).Run(ctx, buildPlan(t, dir))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first run: got %v, want context.Canceled", err)
	}
	checkAccount(t, sum1, readFailures(t, opts.FailureLog))

	// Second run: sends only what the first did not confirm.
	second := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		return allStatus(len(urls), fhir.Created, 201), nil
	}}
	sum2, err := New(second, opts).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if !sum2.Resumed || sum2.Skipped != 50 {
		t.Errorf("resumed %v skipped %d, want true and 50 (5 confirmed batches of 10)", sum2.Resumed, sum2.Skipped)
	}
	sent := map[string]int{}
	for _, b := range append(first.bundles, second.bundles...) {
		for _, u := range b {
			sent[u]++
		}
	}
	if len(sent) != 115 {
		t.Errorf("%d distinct resources sent over both runs, want 115", len(sent))
	}
	for _, b := range second.bundles {
		for _, u := range b {
			if sent[u] > 1 && slices.ContainsFunc(first.bundles[:5], func(fb []string) bool { return slices.Contains(fb, u) }) {
				t.Errorf("%s was confirmed by the first run and sent again", u)
			}
		}
	}
	// The whole job is counted, and the failure log holds the bad line once.
	if sum2.Read != 116 || sum2.Created != 115 || sum2.Failed != 1 {
		t.Errorf("second run: read %d created %d failed %d, want 116, 115, 1", sum2.Read, sum2.Created, sum2.Failed)
	}
	checkAccount(t, sum2, readFailures(t, opts.FailureLog))
	if _, err := openCheckpoint(opts.Checkpoint); err != nil {
		t.Fatal(err)
	}
	if ck, _ := openCheckpoint(opts.Checkpoint); ck.resumed() {
		t.Errorf("the checkpoint of a finished job is still there")
	}
}

func TestRunRetriesConflictedEntries(t *testing.T) {
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": resources("Patient", 4)})
	conflicts := 0
	s := &fakeSender{answer: func(n int, urls []string) ([]fhir.EntryResult, error) {
		res := allStatus(len(urls), fhir.Created, 201)
		for i, u := range urls {
			if u == "Patient/patient-2" && conflicts < 1 {
				conflicts++
				res[i] = fhir.EntryResult{Result: fhir.Failed, Status: 409, Outcome: "HAPI-0550: conflict"}
			}
		}
		return res, nil
	}}
	sum, err := New(s, Options{Retry: fastRetry}).Run(context.Background(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Created != 4 || sum.Failed != 0 || len(s.bundles) != 2 || len(s.bundles[1]) != 1 {
		t.Errorf("created %d failed %d, bundles %v: want the conflicted entry sent again alone and landed", sum.Created, sum.Failed, s.bundles)
	}
}

// TestRunSkipsSupersededDuplicates: an id given more than once is sent
// once, as its last occurrence in input order (files by name, then
// lines); the others count as duplicates skipped.
func TestRunSkipsSupersededDuplicates(t *testing.T) {
	org := func(id, v string) string {
		return fmt.Sprintf(`{"resourceType":"Organization","id":%q,"name":%q}`, id, v)
	}
	dir := writeFiles(t, map[string][]string{
		"Organization.1690000.ndjson": {org("a", "old"), org("b", "only"), org("c", "first")},
		"Organization.ndjson":         {org("a", "new"), org("c", "second"), org("d", "x"), org("c", "third")},
	})
	s := &fakeSender{}
	sum, err := New(s, Options{BatchSize: 2, Concurrency: 2, Retry: fastRetry}).Run(context.Background(), buildPlanOrder(t, dir, plan.OrderData))
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, b := range s.bundles {
		for _, u := range b {
			sent[u]++
		}
	}
	for _, id := range []string{"a", "b", "c", "d"} {
		if n := sent["Organization/"+id]; n != 1 {
			t.Errorf("Organization/%s sent %d times, want once", id, n)
		}
	}
	for id, want := range map[string]string{"a": "new", "b": "only", "c": "third"} {
		if got := s.last["Organization/"+id]; !strings.Contains(got, `"name":"`+want+`"`) {
			t.Errorf("Organization/%s: sent %s, want the version %q", id, got, want)
		}
	}
	if sum.Read != 7 || sum.Created != 4 || sum.DuplicatesSkipped != 3 || sum.Failed != 0 {
		t.Errorf("read %d created %d duplicates skipped %d failed %d, want 7, 4, 3, 0", sum.Read, sum.Created, sum.DuplicatesSkipped, sum.Failed)
	}
	if sum.Duplicates == nil || sum.Duplicates.IDs != 2 || sum.Duplicates.Differing != 2 {
		t.Errorf("summary's duplicates: got %+v, want 2 ids, 2 differing", sum.Duplicates)
	}
	checkAccount(t, sum, nil)
}
