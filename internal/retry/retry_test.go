package retry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// flaky is an error that says whether a retry may help.
type flaky bool

func (f flaky) Error() string   { return fmt.Sprintf("flaky(%v)", bool(f)) }
func (f flaky) Retryable() bool { return bool(f) }

func TestTemporary(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("x"), false},
		{"EOF", io.ErrUnexpectedEOF, false},
		{"retryable", flaky(true), true},
		{"not retryable", flaky(false), false},
		{"wrapped retryable", fmt.Errorf("post: %w", flaky(true)), true},
		{"503", &fhir.StatusError{Code: 503}, true},
		{"400", &fhir.StatusError{Code: 400}, false},
		{"wrapped 400", fmt.Errorf("batch 3: %w", &fhir.StatusError{Code: 400}), false},
		{"net error", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"dns error", &net.DNSError{Name: "h", Err: "no such host"}, true},
		{"fhir.NetError", &fhir.NetError{Err: io.ErrUnexpectedEOF}, true},
		{"canceled", context.Canceled, false},
		{"wrapped canceled", fmt.Errorf("post: %w", context.Canceled), false},
		{"canceled in a retryable error", &fhir.NetError{Err: fmt.Errorf("x: %w", context.Canceled)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Temporary(tt.err); got != tt.want {
				t.Errorf("Temporary(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

// recorder is an injected Sleep that records its waits and returns at once.
type recorder struct{ waits []time.Duration }

func (r *recorder) sleep(ctx context.Context, d time.Duration) error {
	r.waits = append(r.waits, d)
	return ctx.Err()
}

// script returns an op that returns errs one by one, then nil, and counts
// its calls.
func script(calls *int, errs ...error) func(context.Context) error {
	return func(context.Context) error {
		*calls++
		if *calls <= len(errs) {
			return errs[*calls-1]
		}
		return nil
	}
}

func TestDo(t *testing.T) {
	temp := flaky(true)
	bad := &fhir.StatusError{Code: 400}
	tests := []struct {
		name      string
		attempts  int
		errs      []error // what op returns, call by call, then nil
		wantErr   error
		wantCalls int
		wantWaits int
	}{
		{name: "success", attempts: 3, wantCalls: 1},
		{name: "success after retries", attempts: 3, errs: []error{temp, temp}, wantCalls: 3, wantWaits: 2},
		{name: "attempts run out", attempts: 4, errs: []error{temp, temp, temp, temp, temp}, wantErr: temp, wantCalls: 4, wantWaits: 3},
		{name: "default attempts", errs: []error{temp, temp, temp, temp, temp, temp, temp}, wantErr: temp, wantCalls: 6, wantWaits: 5},
		{name: "one attempt", attempts: 1, errs: []error{temp}, wantErr: temp, wantCalls: 1},
		{name: "HTTP 400 not retried", attempts: 5, errs: []error{bad}, wantErr: bad, wantCalls: 1},
		{name: "not retryable after a retry", attempts: 5, errs: []error{temp, bad}, wantErr: bad, wantCalls: 2, wantWaits: 1},
		{name: "canceled not retried", attempts: 5, errs: []error{context.Canceled}, wantErr: context.Canceled, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p := Policy{Attempts: tt.attempts, Base: time.Millisecond, Sleep: rec.sleep, Jitter: func() float64 { return 0 }}
			calls := 0
			var notified []int
			err := p.Do(context.Background(), script(&calls, tt.errs...), func(attempt int, err error, wait time.Duration) {
				notified = append(notified, attempt)
				if !errors.Is(err, tt.errs[attempt-1]) {
					t.Errorf("notify(%d): got %v, want %v", attempt, err, tt.errs[attempt-1])
				}
				if wait != p.Backoff(attempt, err) {
					t.Errorf("notify(%d): wait %v, want %v", attempt, wait, p.Backoff(attempt, err))
				}
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
			if calls != tt.wantCalls {
				t.Errorf("calls: got %d, want %d", calls, tt.wantCalls)
			}
			if len(rec.waits) != tt.wantWaits {
				t.Errorf("waits: got %d, want %d", len(rec.waits), tt.wantWaits)
			}
			var wantNotified []int
			for i := 1; i <= tt.wantWaits; i++ {
				wantNotified = append(wantNotified, i)
			}
			if diff := cmp.Diff(wantNotified, notified); diff != "" {
				t.Errorf("notified attempts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDoWaits(t *testing.T) {
	tests := []struct {
		name string
		cap  time.Duration
		err  error
		want []time.Duration
	}{
		{
			name: "exponential backoff",
			cap:  time.Second,
			err:  flaky(true),
			want: []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond},
		},
		{
			name: "Retry-After longer than the backoff",
			cap:  30 * time.Second,
			err:  &fhir.StatusError{Code: 503, RetryAfter: 7 * time.Second},
			want: []time.Duration{7 * time.Second, 7 * time.Second, 7 * time.Second, 7 * time.Second},
		},
		{
			name: "Retry-After shorter than the backoff",
			cap:  time.Second,
			err:  &fhir.StatusError{Code: 429, RetryAfter: 120 * time.Millisecond},
			want: []time.Duration{120 * time.Millisecond, 120 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond},
		},
		{
			name: "Retry-After capped at four times the cap",
			cap:  time.Second,
			err:  &fhir.StatusError{Code: 503, RetryAfter: time.Hour},
			want: []time.Duration{4 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			p := Policy{Attempts: 5, Base: 100 * time.Millisecond, Cap: tt.cap, Sleep: rec.sleep, Jitter: func() float64 { return 0 }}
			calls := 0
			err := p.Do(context.Background(), func(context.Context) error { calls++; return tt.err }, nil)
			if !errors.Is(err, tt.err) {
				t.Errorf("got %v, want %v", err, tt.err)
			}
			if diff := cmp.Diff(tt.want, rec.waits); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		p      Policy
		jitter float64
		want   []time.Duration // for attempts 1, 2, ...
	}{
		{
			name: "no jitter: half of base·2^(n-1), capped",
			p:    Policy{Base: 100 * ms, Cap: time.Second},
			want: []time.Duration{50 * ms, 100 * ms, 200 * ms, 400 * ms, 500 * ms, 500 * ms},
		},
		{
			name:   "half jitter",
			p:      Policy{Base: 100 * ms, Cap: time.Second},
			jitter: 0.5,
			want:   []time.Duration{75 * ms, 150 * ms, 300 * ms, 600 * ms, 750 * ms, 750 * ms},
		},
		{
			name:   "cap not a power of two of base",
			p:      Policy{Base: 100 * ms, Cap: 300 * ms},
			jitter: 0.5,
			want:   []time.Duration{75 * ms, 150 * ms, 225 * ms, 225 * ms},
		},
		{
			name: "defaults",
			p:    Policy{},
			want: []time.Duration{250 * ms, 500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 15 * time.Second, 15 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.Jitter = func() float64 { return tt.jitter }
			var got []time.Duration
			for attempt := 1; attempt <= len(tt.want); attempt++ {
				got = append(got, p.Backoff(attempt, errors.New("x")))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBackoffLimits(t *testing.T) {
	p := Policy{Base: time.Second, Cap: time.Minute, Jitter: func() float64 { return 0.999 }}
	for _, attempt := range []int{1, 10, 64, 1000, 1 << 30} {
		if got := p.Backoff(attempt, nil); got <= 0 || got > time.Minute {
			t.Errorf("Backoff(%d) = %v, want in (0, 1m]", attempt, got)
		}
	}
	// The default jitter stays within "equal jitter" bounds.
	p = Policy{Base: 100 * time.Millisecond, Cap: time.Second}
	for i := 0; i < 200; i++ {
		if got := p.Backoff(2, nil); got < 100*time.Millisecond || got >= 200*time.Millisecond {
			t.Fatalf("Backoff(2) = %v, want in [100ms, 200ms)", got)
		}
	}
}

// TestDoCanceledDuringSleep cancels the context while Do waits: Do must
// return at once with op's error, without another try.
func TestDoCanceledDuringSleep(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sleeping := make(chan struct{})
	p := Policy{
		Attempts: 5,
		Sleep: func(ctx context.Context, d time.Duration) error {
			close(sleeping)
			<-ctx.Done()
			return ctx.Err()
		},
	}
	go func() {
		<-sleeping
		cancel()
	}()
	calls := 0
	done := make(chan error, 1)
	go func() {
		done <- p.Do(ctx, func(context.Context) error { calls++; return flaky(true) }, nil)
	}()
	select {
	case err := <-done:
		if !errors.Is(err, flaky(true)) {
			t.Errorf("got %v, want %v", err, flaky(true))
		}
		if calls != 1 {
			t.Errorf("calls: got %d, want 1", calls)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Do did not return after the context was cancelled")
	}
}

// TestDoStopsWhenContextDone: op fails because ctx ended; Do does not
// sleep or retry.
func TestDoStopsWhenContextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := &recorder{}
	p := Policy{Attempts: 5, Sleep: rec.sleep}
	calls := 0
	err := p.Do(ctx, func(context.Context) error {
		calls++
		cancel()
		return flaky(true) // e.g. a reset connection seen as the run stops
	}, nil)
	if !errors.Is(err, flaky(true)) || calls != 1 || len(rec.waits) != 0 {
		t.Errorf("got %v after %d calls and %d waits, want %v after 1 call and no wait", err, calls, len(rec.waits), flaky(true))
	}
}

func TestDoDefaultSleep(t *testing.T) {
	// No Sleep injected: the real timer runs, with waits of about 1ms.
	p := Policy{Attempts: 3, Base: time.Millisecond, Cap: 2 * time.Millisecond}
	calls := 0
	err := p.Do(context.Background(), script(&calls, flaky(true), flaky(true)), nil)
	if err != nil || calls != 3 {
		t.Errorf("got %v after %d calls, want nil after 3", err, calls)
	}
}

func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Errorf("Sleep(1ms) = %v, want nil", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a cancelled context = %v, want %v", err, context.Canceled)
	}

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(5*time.Millisecond, cancel)
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep cancelled midway = %v, want %v", err, context.Canceled)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Sleep took %v after cancellation, want it to return at once", d)
	}
}
