//go:build e2e

package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestFaultInterruptWhileThrottled: the server answers 429 with a long
// Retry-After, so every sender waits; the user presses Ctrl-C. The run
// ends as interrupted, and the same command run again must send every
// batch that did not land, including the ones that were waiting.
func TestFaultInterruptWhileThrottled(t *testing.T) {
	bed := testbed.Default(t)
	f := newFaultRun(t, bed, makeDataset(t, 10, false), "-s", "2", "-c", "2", "--retries", "4", "--timeout", "10s")
	// The Organizations' batch passes; the first Patient batch is told to
	// wait 5 s, which holds the other sender back too.
	f.proxy.Queue(batches(), fp.Fault{}, fp.Fault{Kind: fp.Status, Code: 429, RetryAfter: "5"})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	go func() {
		defer cancel()
		for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if f.proxy.Count(fp.Status) > 0 {
				time.Sleep(1500 * time.Millisecond) // the other sender is now at the gate
				return
			}
		}
	}()
	r := f.uploadCtx(ctx)
	if r.code != cli.ExitInterrupted || !strings.Contains(r.stdout, "Interrupted: run the same command again") {
		t.Fatalf("exit %d, want %d and a word on resuming\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitInterrupted, r.stdout, r.stderr)
	}
	r = f.upload()
	if r.code != 0 {
		t.Fatalf("rerun after Ctrl-C: exit %d, want 0: a batch that was waiting to be sent when the run was interrupted must be sent by the rerun\nstdout:\n%s\nstderr:\n%s\nfailure log:\n%s", r.code, r.stdout, r.stderr, f.failures())
	}
	checkLanded(t, bed.FHIRBaseURL, f.data)
}

// TestFaultOutageAfterFailedBatch: one Patient batch fails whole (503 on
// every try), the upload goes on, the Encounters that reference those
// Patients are refused by HAPI (referential integrity), and then the
// server fails for good. A rerun must complete the upload.
func TestFaultOutageAfterFailedBatch(t *testing.T) {
	bed := testbed.Default(t)
	f := newFaultRun(t, bed, makeDataset(t, faultPatients, false), "-s", "10", "-c", "1", "--retries", "2", "--timeout", "10s")
	pass, unavailable := fp.Fault{}, fp.Fault{Kind: fp.Status, Code: 503}
	// Organizations, Patients 1-3 pass; Patient batch 4 gets 503 twice;
	// then the Encounters reach HAPI; after that every batch gets 503.
	f.proxy.Queue(batches(), pass, pass, pass, pass, unavailable, unavailable, pass, pass, pass, pass)
	f.proxy.Always(batches(), unavailable)
	r := f.upload()
	f.mustStopClearly(r, "")
	f.finish(r)
}
