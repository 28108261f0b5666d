package transfer

import (
	"bytes"
	"time"
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
