//go:build e2e

package e2e

import (
	"testing"
	"time"

	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestAdaptiveConcurrencyPausesOn503: with the defaults (adaptive
// concurrency, up to 8 senders), a 503 with Retry-After in the middle of
// the upload holds every sender back for that long, not only the one that
// got it; then the upload completes.
func TestAdaptiveConcurrencyPausesOn503(t *testing.T) {
	bed := testbed.Default(t)
	f := newFaultRun(t, bed, makeDataset(t, faultPatients, false), "-s", "5", "--retries", "5", "--timeout", "10s")
	var faults []fp.Fault
	for range 12 {
		faults = append(faults, fp.Fault{}) // the limit climbs first
	}
	faults = append(faults, fp.Fault{Kind: fp.Status, Code: 503, RetryAfter: "3"})
	f.proxy.Queue(batches(), faults...)
	sum := f.mustComplete(f.upload())
	if c := sum.Concurrency; !c.Adaptive || c.Max != 8 || c.Highest < 2 {
		t.Errorf("concurrency %+v, want adaptive 1..8 that climbed", c)
	}
	if sum.Retries < 1 {
		t.Errorf("%d retries, want at least 1", sum.Retries)
	}
	var at time.Time
	var posts []fp.Event
	for _, e := range f.proxy.Events() {
		if e.Method != "POST" || e.Path != "/fhir" {
			continue
		}
		posts = append(posts, e)
		if e.Status == 503 {
			at = e.Time
		}
	}
	if at.IsZero() {
		t.Fatal("the 503 was not sent")
	}
	// Requests already admitted when the 503 was answered may still come
	// in just after it; nothing else before Retry-After is over.
	for _, e := range posts {
		if d := e.Time.Sub(at); d > 500*time.Millisecond && d < 3*time.Second-100*time.Millisecond {
			t.Errorf("a batch came %v after the 503 with Retry-After: 3", d.Round(time.Millisecond))
		}
	}
	checkLanded(t, bed.FHIRBaseURL, f.data)
}
