//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// headerTap is a reverse proxy in front of the real HAPI that notes the
// X-Transaction-Semantics header of every batch POST.
type headerTap struct {
	srv     *httptest.Server
	mu      sync.Mutex
	headers []string
}

func newHeaderTap(t *testing.T, base string) *headerTap {
	t.Helper()
	u, err := url.Parse(base)
	must(t, err)
	u.Path = ""
	proxy := httputil.NewSingleHostReverseProxy(u)
	h := &headerTap{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.TrimSuffix(r.URL.Path, "/") == "/fhir" {
			h.mu.Lock()
			h.headers = append(h.headers, r.Header.Get(fhir.TxSemanticsHeader))
			h.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *headerTap) url() string { return h.srv.URL + "/fhir" }

// check asserts that there were batch POSTs and that each carried the
// header (want) or none did.
func (h *headerTap) check(t *testing.T, want bool) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.headers) == 0 {
		t.Fatal("no batch request went through the tap")
	}
	for i, v := range h.headers {
		if got := v == fhir.TxSemanticsValue; got != want || (v != "" && !got) {
			t.Fatalf("request %d of %d: %s %q, want it sent: %v", i+1, len(h.headers), fhir.TxSemanticsHeader, v, want)
		}
	}
}

// TestDefaultsTransactionFirstMIMIC: with no flags, on the real HAPI 8.8,
// batches go transaction first with an adaptive concurrency, and
// MIMIC-shaped data lands whole with referential integrity on.
func TestDefaultsTransactionFirstMIMIC(t *testing.T) {
	bed := testbed.Default(t)
	tap := newHeaderTap(t, bed.FHIRBaseURL)
	dir, m := mimicData(t, 10)
	report := filepath.Join(t.TempDir(), "report.json")
	r := run(t, fhirSettings(tap.url()), "upload", "-i", dir,
		"--failure-log", filepath.Join(t.TempDir(), "f.log"), "--checkpoint-dir", t.TempDir(), "--report", report)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sum := readReport(t, report)
	if sum.Read != m.Resources || sum.Created != m.Resources || sum.Failed != 0 {
		t.Errorf("read %d created %d failed %d, want %d, %d, 0", sum.Read, sum.Created, sum.Failed, m.Resources, m.Resources)
	}
	if tx := sum.TransactionFirst; !tx.On || tx.Mode != "auto" || !strings.Contains(tx.Why, "HAPI FHIR") {
		t.Errorf("transaction first: %+v, want on (auto, HAPI)", tx)
	}
	if c := sum.Concurrency; !c.Adaptive || c.Min != 1 || c.Max != 8 || c.Settled < 1 || c.Highest > 8 {
		t.Errorf("concurrency: %+v, want adaptive within 1..8", c)
	}
	for _, want := range []string{"Transaction first: on (HAPI FHIR Server 8.", "Concurrency: adaptive 1..8, settled at "} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r.stdout)
		}
	}
	tap.check(t, true)
	checkAllLanded(t, server{base: bed.FHIRBaseURL}, dir, m)
}

// TestTransactionFirstBadEntryKeepsOutcomes: a Bundle with one entry that
// fails (a reference to a patient that exists nowhere) fails as a
// transaction; HAPI falls back to batch, and every entry gets its own
// outcome: one failure, the rest created. The Bundle's entries reference
// later entries of the same Bundle (--order static sends the file as it
// is): put before them, the fallback batch resolves them too.
func TestTransactionFirstBadEntryKeepsOutcomes(t *testing.T) {
	bed := testbed.Default(t)
	tap := newHeaderTap(t, bed.FHIRBaseURL)
	id := randomID(t)
	obs := func(oid, extra string) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":"%s-%s","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s-p"}%s}`, id, oid, id, extra)
	}
	member := func(oid string) string { return fmt.Sprintf(`{"reference":"Observation/%s-%s"}`, id, oid) }
	dir := t.TempDir()
	write := func(name string, lines ...string) {
		must(t, os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	}
	write("Patient.ndjson", fmt.Sprintf(`{"resourceType":"Patient","id":"%s-p"}`, id))
	write("Observation.ndjson",
		obs("panel", `,"hasMember":[`+member("m1")+`,`+member("m2")+`]`),
		obs("m1", `,"derivedFrom":[`+member("m2")+`]`),
		obs("m2", ""),
		fmt.Sprintf(`{"resourceType":"Observation","id":"%s-bad","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s-nobody"}}`, id, id),
		obs("after", ""),
	)
	report := filepath.Join(t.TempDir(), "report.json")
	flog := filepath.Join(t.TempDir(), "f.log")
	r := run(t, fhirSettings(tap.url()), "upload", "-i", dir, "--order", "static", "-s", "10",
		"--failure-log", flog, "--checkpoint-dir", t.TempDir(), "--report", report)
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	sum := readReport(t, report)
	if sum.Read != 6 || sum.Created != 5 || sum.Failed != 1 || sum.Batches != 2 {
		t.Errorf("read %d created %d failed %d in %d batches, want 6, 5, 1 in 2", sum.Read, sum.Created, sum.Failed, sum.Batches)
	}
	if !sum.TransactionFirst.On {
		t.Errorf("transaction first: %+v, want on", sum.TransactionFirst)
	}
	tap.check(t, true)
	log, err := os.ReadFile(flog)
	must(t, err)
	if !strings.Contains(string(log), id+"-bad") || !strings.Contains(string(log), "HAPI-1094") || strings.Count(string(log), "\n") != 1 {
		t.Errorf("failure log, want one record of %s-bad with HAPI-1094:\n%s", id, log)
	}
	s := server{base: bed.FHIRBaseURL}
	got := s.versions(t, "Observation", []string{id + "-panel", id + "-m1", id + "-m2", id + "-after", id + "-bad"})
	if len(got) != 4 || got[id+"-bad"] != "" {
		t.Errorf("on the server: %v, want the four good observations only", got)
	}
}

// TestTxSemanticsOffSendsPlainBatches: --tx-semantics=false sends plain
// batches (no header) even to HAPI 8.8, and says so.
func TestTxSemanticsOffSendsPlainBatches(t *testing.T) {
	bed := testbed.Default(t)
	tap := newHeaderTap(t, bed.FHIRBaseURL)
	dir, m := mimicData(t, 2)
	report := filepath.Join(t.TempDir(), "report.json")
	r := run(t, fhirSettings(tap.url()), "upload", "-i", dir, "--tx-semantics=false", "-c", "2",
		"--failure-log", filepath.Join(t.TempDir(), "f.log"), "--checkpoint-dir", t.TempDir(), "--report", report)
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	sum := readReport(t, report)
	if sum.Created != m.Resources || sum.Failed != 0 {
		t.Errorf("created %d failed %d, want %d and 0", sum.Created, sum.Failed, m.Resources)
	}
	want := transfer.TxFirst{Mode: "off", Why: "--tx-semantics=false"}
	if sum.TransactionFirst != want {
		t.Errorf("transaction first: %+v, want %+v", sum.TransactionFirst, want)
	}
	if c := sum.Concurrency; c.Adaptive || c.Max != 2 {
		t.Errorf("concurrency: %+v, want fixed at 2", c)
	}
	if !strings.Contains(r.stdout, "Transaction first: off (--tx-semantics=false)") || !strings.Contains(r.stdout, "Concurrency: fixed at 2") {
		t.Errorf("the report does not say so:\n%s", r.stdout)
	}
	tap.check(t, false)
}
