// Package retry decides when a failed request is worth sending again and
// waits between tries: exponential backoff with jitter and a cap, the
// server's Retry-After honoured, and cancellation obeyed at once.
package retry

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// Policy says how often and how long to retry. The zero value is usable.
type Policy struct {
	Attempts int           // tries in all, the first included; 0 means 6
	Base     time.Duration // first wait; 0 means 500ms
	Cap      time.Duration // longest wait; 0 means 30s
	// Sleep waits for d or until ctx is done; nil uses a timer. Tests
	// inject one that does not sleep.
	Sleep func(ctx context.Context, d time.Duration) error
	// Jitter returns a number in [0, 1); nil uses math/rand.
	Jitter func() float64
}

// Retryable is implemented by errors that know whether a retry may help.
type Retryable interface{ Retryable() bool }

// Waiter is implemented by errors that carry the server's Retry-After.
type Waiter interface{ Wait() time.Duration }

// Temporary reports whether err is worth retrying: an error that says so,
// or a network error. Cancellation never is.
func Temporary(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var r Retryable
	if errors.As(err, &r) {
		return r.Retryable()
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// Do calls op until it succeeds, fails with an error that is not
// Temporary, the attempts run out, or ctx is done. Before each retry it
// calls notify (if not nil) with the try that failed, its error and the
// wait. It returns op's last error.
func (p Policy) Do(ctx context.Context, op func(ctx context.Context) error, notify func(attempt int, err error, wait time.Duration)) error {
	attempts := p.Attempts
	if attempts <= 0 {
		attempts = defaults.Retries
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = op(ctx)
		if err == nil || !Temporary(err) || attempt >= attempts || ctx.Err() != nil {
			return err
		}
		wait := p.Backoff(attempt, err)
		if notify != nil {
			notify(attempt, err, wait)
		}
		if serr := p.sleep(ctx, wait); serr != nil {
			return err
		}
	}
}

// Backoff is the wait after the given failed try: Base·2^(attempt-1),
// capped, with "equal jitter" (half fixed, half random), or the server's
// Retry-After when that is longer (also capped, at four times Cap).
func (p Policy) Backoff(attempt int, err error) time.Duration {
	base, limit := p.Base, p.Cap
	if base <= 0 {
		base = 500 * time.Millisecond
	}
	if limit <= 0 {
		limit = 30 * time.Second
	}
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	jitter := p.Jitter
	if jitter == nil {
		jitter = rand.Float64
	}
	d = d/2 + time.Duration(jitter()*float64(d/2))
	var w Waiter
	if errors.As(err, &w) && w.Wait() > d {
		d = min(w.Wait(), 4*limit)
	}
	return d
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	return Sleep(ctx, d)
}

// Sleep waits for d or until ctx is done, and then returns ctx.Err().
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Pause waits for d with the policy's Sleep (so tests need not wait).
func (p Policy) Pause(ctx context.Context, d time.Duration) error { return p.sleep(ctx, d) }
