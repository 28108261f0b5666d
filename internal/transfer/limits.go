package transfer

import (
	"bytes"
	"time"
)

// Defaults of the Bundle limits and of the wait for an answer, from
// measurements against the test-bed HAPI (8.8, H2, referential integrity
// on; README "Huge resources"): HAPI spends about 0.75 ms per reference it
// checks, whatever the resource, about 4 ms per small resource and about
// 0.1 s per MiB of plain content.
const (
	// DefaultBatchSize is the resources per Bundle. On the benchmark grid
	// (README "The defaults against the grid", transaction first, H2 and
	// PostgreSQL) 200 is the best size for small resources (MIMIC-shaped,
	// 440 bytes each: 3-6% ahead of 100 in the run that chose it, 500
	// behind), and level with 50 and 100 for Synthea's (2,170 bytes on average).
	DefaultBatchSize = 200
	// DefaultBatchBytes bounds a Bundle's body and so what every Bundle in
	// flight holds in memory, here and on the server. Bytes cost HAPI the
	// same per MiB whatever the Bundle, so the cap is not about speed: at
	// 200 a Bundle, 1 MiB and 4 MiB were level side by side on Synthea,
	// whose ExplanationOfBenefits (9.6 KB) go about 110 a Bundle under it;
	// 200 resources of up to 5 KiB fit.
	DefaultBatchBytes = 1 << 20
	// DefaultBatchRefs bounds the references of a Bundle: 10,000 take HAPI
	// about 8 s here, far inside the timeout even on a slower server.
	DefaultBatchRefs = 10000
	// DefaultTimeout is the shortest wait for an answer.
	DefaultTimeout = 5 * time.Minute
	// DefaultTimeoutMax is the longest.
	DefaultTimeoutMax = 30 * time.Minute
)

// The allowance per entry, reference and MiB of a request: about ten
// times what the test-bed HAPI takes, for slower and busier servers.
const (
	allowPerEntry = 20 * time.Millisecond
	allowPerRef   = 10 * time.Millisecond
	allowPerMiB   = time.Second
)

// refKey is what each reference of a resource has: a "reference" member.
var refKey = []byte(`"reference"`)

// countRefs estimates the references of a resource: its "reference"
// members, which is what the server resolves and checks. It does not
// decode the JSON: a huge resource is counted at memory speed.
func countRefs(raw []byte) int { return bytes.Count(raw, refKey) }

// timeoutFor is the wait for the answer to a request of n entries, refs
// references and size bytes, scaled by scale (1 for a first try, more
// after a single resource timed out): the allowance for its size, at least
// Timeout, at most TimeoutMax.
func (u *Uploader) timeoutFor(n, refs, size int, scale int) time.Duration {
	d := max(u.opts.Timeout, allowance(n, refs, size)) * time.Duration(max(1, scale))
	return min(d, u.opts.TimeoutMax)
}

// allowance is the time a request of n entries, refs references and size
// bytes is allowed, before any floor or cap.
func allowance(n, refs, size int) time.Duration {
	return time.Duration(n)*allowPerEntry + time.Duration(refs)*allowPerRef + time.Duration(size)*allowPerMiB/(1<<20)
}
