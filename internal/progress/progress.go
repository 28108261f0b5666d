// Package progress shows an upload's progress: plain lines for logs and
// pipes, a redrawn status line on a terminal, or nothing.
package progress

import (
	"time"
)

// Step is the start of a step of the plan.
type Step struct {
	Index, Of int      // 1-based
	Types     []string // the types written in this step
	Files     int
	Lines     int // resources in the step; -1 when not counted
}

// Batch is one batch that got its answer (or gave up).
type Batch struct {
	Step      int
	File      string
	Index, Of int // 1-based batch number in the file; Of is 0 when unknown
	Resources int
	Created   int
	Updated   int
	Unchanged int
	Failed    int
	Retries   int
	Duration  time.Duration
	Err       error // set when the whole batch failed
	// Resumed says an earlier run confirmed this batch; it was not sent.
	Resumed bool
}

// Reporter receives the events of an upload. StepStarted and BatchDone
// come from the goroutine that runs the upload (transfer's collector);
// Retrying comes from the senders, and Warn from both (a sender warns of
// a Bundle whose answer did not come in time). Several senders call at
// once, and at the same time as the collector: an implementation must be
// safe for concurrent use.
type Reporter interface {
	StepStarted(Step)
	BatchDone(Batch)
	// Warn shows a problem with the input or the server that does not
	// stop the upload.
	Warn(msg string)
	// Retrying says a batch is being sent again.
	Retrying(file string, batch, attempt int, err error, wait time.Duration)
	// Close ends the output (clears a status line); called once.
	Close()
}

// Nop reports nothing.
type Nop struct{}

// StepStarted does nothing.
func (Nop) StepStarted(Step) {}

// BatchDone does nothing.
func (Nop) BatchDone(Batch) {}

// Warn does nothing.
func (Nop) Warn(string) {}

// Retrying does nothing.
func (Nop) Retrying(string, int, int, error, time.Duration) {}

// Close does nothing.
func (Nop) Close() {}
