package transfer

import "time"

// Observer watches an upload as it goes: series.Recorder is one, which
// keeps its time series. Request and Retried come from the senders,
// several at once; Confirmed and Refused from the collector. It must be
// safe for concurrent use and quick: it is called for every request.
type Observer interface {
	// Request is a request that got an answer (or an error) after d.
	Request(d time.Duration)
	// Retried is a request sent again because of err.
	Retried(err error)
	// RetriedEntries is n entries sent again in a batch of their own
	// after they failed for a passing reason (a conflict).
	RetriedEntries(n int)
	// Confirmed is the outcome of a batch's resources.
	Confirmed(written, unchanged, failed int)
	// Refused is a resource that failed, with the server's status (0 when
	// it was not sent) and words.
	Refused(status int, resource, reason string)
}

// nopObserver observes nothing.
type nopObserver struct{}

func (nopObserver) Request(time.Duration)       {}
func (nopObserver) Retried(error)               {}
func (nopObserver) RetriedEntries(int)          {}
func (nopObserver) Confirmed(int, int, int)     {}
func (nopObserver) Refused(int, string, string) {}

// Load says how many request-seconds the Bundles took so far, how many
// are in flight now and the limit on them (limit.Gate.Load): for an
// Observer's samples.
func (u *Uploader) Load() (load float64, inFlight, limit int) { return u.gate.Load() }
