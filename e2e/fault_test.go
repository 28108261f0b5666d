//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// The fault tests put a fault proxy between the tool and the test bed's
// HAPI and check, for each fault, that the upload either completes with
// every resource on the server, or stops with a clear error and a rerun
// completes it; and that the server then holds exactly the input, every
// resource at version 1. Each dataset is small (165 resources) and each
// run bounded by few retries and short timeouts.

// faultPatients sizes the datasets: n Patients make 4n+n/10+1 resources.
const faultPatients = 40

// faultArgs are the flags of every faulted run: small batches, so that
// there are many of them, and retries and timeouts that keep it short.
var faultArgs = []string{"-s", "10", "-c", "2", "--retries", "5", "--timeout", "10s"}

func TestFaultReset(t *testing.T) {
	bed := testbed.Default(t)
	tests := []struct {
		name   string
		faults []fp.Fault
	}{
		// HAPI gets a torn request: in the body, then in the head.
		{"mid-request", []fp.Fault{{Kind: fp.ResetRequest, After: 300, InBody: true}, {Kind: fp.ResetRequest, After: 10, InBody: true}, {Kind: fp.ResetRequest, After: 1}}},
		// HAPI has stored the batch; the answer is cut in its head, then
		// in its (gzipped) body: the retry finds every resource unchanged.
		{"mid-response", []fp.Fault{{Kind: fp.ResetResponse, After: 100}, {Kind: fp.ResetResponse, After: 50, InBody: true}, {Kind: fp.ResetResponse, After: 150, InBody: true}}},
		{"connection dropped", []fp.Fault{{Kind: fp.Drop}, {Kind: fp.Drop}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFaultRun(t, bed, makeDataset(t, faultPatients, true), faultArgs...)
			f.proxy.Queue(batches(), tc.faults...)
			sum := f.mustComplete(f.upload())
			if f.proxy.Pending() != 0 || f.proxy.Count(tc.faults[0].Kind) != len(tc.faults) {
				t.Errorf("%d of %d faults done, %d never used", f.proxy.Count(tc.faults[0].Kind), len(tc.faults), f.proxy.Pending())
			}
			if sum.Retries < len(tc.faults) {
				t.Errorf("%d retries, want at least %d (one per fault)", sum.Retries, len(tc.faults))
			}
			checkLanded(t, bed.FHIRBaseURL, f.data)
		})
	}
}

func TestFaultSlow(t *testing.T) {
	bed := testbed.Default(t)
	tests := []struct {
		name  string
		fault fp.Fault
	}{
		{"latency", fp.Fault{Delay: 400 * time.Millisecond}},
		// About 3 KB/s: a batch-response of ten entries takes 1-2 s.
		{"trickle", fp.Fault{Trickle: 64, TrickleEvery: 20 * time.Millisecond}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFaultRun(t, bed, makeDataset(t, faultPatients, false), faultArgs...)
			f.proxy.Always(batches(), tc.fault)
			sum := f.mustComplete(f.upload())
			if sum.Retries != 0 {
				t.Errorf("%d retries: a slow but steady server needs none", sum.Retries)
			}
			checkLanded(t, bed.FHIRBaseURL, f.data)
		})
	}
}

// TestFaultNoAnswer: answers that never come end in the client's timeout.
func TestFaultNoAnswer(t *testing.T) {
	bed := testbed.Default(t)
	t.Run("batches", func(t *testing.T) {
		// HAPI stores the batch; its answer is swallowed. The tool gives up
		// waiting after --timeout and sends again.
		f := newFaultRun(t, bed, makeDataset(t, faultPatients, false), "-s", "10", "-c", "2", "--retries", "4", "--timeout", "3s")
		f.proxy.Queue(batches(), fp.Fault{Kind: fp.Blackhole}, fp.Fault{Kind: fp.Blackhole})
		start := time.Now()
		f.mustComplete(f.upload())
		if d := time.Since(start); d < 3*time.Second {
			t.Errorf("done in %v: the timeout cannot have run out", d)
		}
		if f.proxy.Count(fp.Blackhole) != 2 {
			t.Errorf("%d black holes used, want 2", f.proxy.Count(fp.Blackhole))
		}
		checkLanded(t, bed.FHIRBaseURL, f.data)
	})
	t.Run("server check", func(t *testing.T) {
		f := newFaultRun(t, bed, makeDataset(t, 2, false), "--retries", "2", "--timeout", "2s")
		f.proxy.Always(fp.Any, fp.Fault{Kind: fp.Blackhole})
		r := f.upload()
		// It gives up (the run returned) after a bounded number of tries
		// of the server check, and sends no Bundle.
		checks, posts := 0, 0
		for _, e := range f.proxy.Events() {
			switch {
			case e.Method == "GET" && strings.HasSuffix(e.Path, "/metadata"):
				checks++
			case e.Method == "POST":
				posts++
			}
		}
		if checks < 1 || checks > 3 || posts != 0 {
			t.Errorf("%d server checks and %d POSTs to a server that never answers, want 1 to 3 checks (--retries 2) and no POST", checks, posts)
		}
		if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "timed out") || !strings.Contains(r.stderr, "hint:") {
			t.Errorf("exit %d, want 1 with a message that the server timed out and a hint:\n%s", r.code, r.stderr)
		}
		f.finish(r)
	})
}

func TestFaultStatus(t *testing.T) {
	bed := testbed.Default(t)
	t.Run("5xx burst", func(t *testing.T) {
		f := newFaultRun(t, bed, makeDataset(t, faultPatients, false), faultArgs...)
		// Four errors in a row: one batch may get them all, and still has
		// a fifth try.
		var burst []fp.Fault
		for _, c := range []int{500, 502, 503, 504} {
			burst = append(burst, fp.Fault{Kind: fp.Status, Code: c})
		}
		f.proxy.Queue(batches(), burst...)
		sum := f.mustComplete(f.upload())
		if sum.Retries < len(burst) {
			t.Errorf("%d retries, want at least %d", sum.Retries, len(burst))
		}
		checkLanded(t, bed.FHIRBaseURL, f.data)
	})
	t.Run("429 Retry-After", func(t *testing.T) {
		// One sender, so that the request after a 429 is its retry.
		f := newFaultRun(t, bed, makeDataset(t, 10, false), "-s", "10", "-c", "1", "--retries", "4", "--timeout", "10s")
		f.proxy.Queue(batches(), fp.Fault{Kind: fp.Status, Code: 429, RetryAfter: "3"}, fp.Fault{Kind: fp.Status, Code: 429, RetryAfter: "2"})
		sum := f.mustComplete(f.upload())
		if sum.Retries < 2 {
			t.Errorf("%d retries, want 2", sum.Retries)
		}
		// Both 429s were sent, each to a batch that was then sent again,
		// and the wait before that retry was at least what Retry-After
		// asked (a lower bound: a busy machine only makes it longer).
		var posts []fp.Event
		for _, e := range f.proxy.Events() {
			if e.Method == "POST" && e.Path == "/fhir" {
				posts = append(posts, e)
			}
		}
		honoured := map[string]bool{}
		for i, e := range posts {
			if e.Status != 429 {
				continue
			}
			if i+1 == len(posts) {
				t.Errorf("no request after the 429 with Retry-After: %s", e.Fault.RetryAfter)
				continue
			}
			want := map[string]time.Duration{"3": 3 * time.Second, "2": 2 * time.Second}[e.Fault.RetryAfter]
			if gap := posts[i+1].Time.Sub(e.Time); gap < want {
				t.Errorf("the next batch came %v after a 429 with Retry-After: %s", gap.Round(time.Millisecond), e.Fault.RetryAfter)
				continue
			}
			honoured[e.Fault.RetryAfter] = true
		}
		if f.proxy.Pending() != 0 || f.proxy.Count(fp.Status) != 2 || !honoured["3"] || !honoured["2"] {
			t.Errorf("%d 429s sent (%d faults never used), Retry-After honoured: %v; want both 429s sent and both waits honoured",
				f.proxy.Count(fp.Status), f.proxy.Pending(), honoured)
		}
		checkLanded(t, bed.FHIRBaseURL, f.data)
	})
	t.Run("outage longer than the retries", func(t *testing.T) {
		f := newFaultRun(t, bed, makeDataset(t, faultPatients, false), "-s", "10", "-c", "2", "--retries", "2", "--timeout", "10s")
		// The first batches land, then the server fails every batch.
		var ok []fp.Fault
		for range 4 {
			ok = append(ok, fp.Fault{})
		}
		f.proxy.Queue(batches(), ok...)
		f.proxy.Always(batches(), fp.Fault{Kind: fp.Status, Code: 503})
		r := f.upload()
		f.mustStopClearly(r, "503")
		if r.code == cli.ExitFatal && !strings.Contains(r.stderr, "run the same command again") {
			t.Errorf("the error does not say that a rerun finishes the job:\n%s", r.stderr)
		}
		f.finish(r)
	})
}
