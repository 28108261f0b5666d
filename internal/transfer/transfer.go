// Package transfer runs an upload: it reads the files of a plan step by
// step, checks each line, sends batch Bundles with a few senders at once,
// and accounts for every resource: on the server, or in the failure log.
package transfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
)

// Sender posts a Bundle body of n entries and returns each entry's result.
// *fhir.Client is one.
type Sender interface {
	Post(ctx context.Context, body []byte, n int) ([]fhir.EntryResult, error)
}

// Options tune an upload. Zero values take the defaults.
type Options struct {
	BatchSize   int // resources per Bundle; default 100
	Concurrency int // Bundles in flight; default 2
	MaxLine     int // longest line accepted, in bytes; default ndjson.DefaultMaxLine
	Retry       retry.Policy
	// MaxFailedBatches stops the upload after this many batches in a row
	// failed whole (the server is gone); default 5.
	MaxFailedBatches int
	// FailureLog is the path of the failure log; "" keeps none.
	FailureLog string
	Reporter   progress.Reporter
	Logger     *slog.Logger
}

// ErrServerGone stops an upload whose batches keep failing whole.
var ErrServerGone = errors.New("the server keeps failing")

// ErrAuth stops an upload the server refuses to take from us (401/403).
var ErrAuth = errors.New("the server refused the credentials")

// Uploader sends planned files to a server.
type Uploader struct {
	sender Sender
	opts   Options
	now    func() time.Time
}

// New returns an Uploader with opts' defaults filled in.
func New(s Sender, opts Options) *Uploader {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 100
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if opts.MaxFailedBatches <= 0 {
		opts.MaxFailedBatches = 5
	}
	if opts.Reporter == nil {
		opts.Reporter = progress.Nop{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Uploader{sender: s, opts: opts, now: time.Now}
}

// Run uploads the plan, step after step: a step starts only when every
// batch of the steps before it has its answer. It returns the summary and,
// when the upload stopped early, why (ctx's error when interrupted).
func (u *Uploader) Run(ctx context.Context, p *plan.Plan) (*Summary, error) {
	start := u.now()
	sum := &Summary{Files: p.Files()}
	flog := &failureLog{path: u.opts.FailureLog}
	var runErr error
	for i, st := range p.Steps {
		if ctx.Err() != nil {
			break
		}
		u.opts.Reporter.StepStarted(progress.Step{Index: i + 1, Of: len(p.Steps), Types: st.Types, Files: len(st.Files), Lines: st.Lines()})
		if runErr = u.runStep(ctx, i+1, st, sum, flog); runErr != nil {
			break
		}
	}
	path, err := flog.close()
	sum.FailureLog = path
	sum.Duration = u.now().Sub(start)
	sum.Seconds = sum.Duration.Seconds()
	if ctx.Err() != nil {
		sum.Interrupted = true
		if runErr == nil || errors.Is(runErr, context.Canceled) {
			runErr = ctx.Err()
		}
	}
	if runErr == nil {
		runErr = err
	}
	return sum, runErr
}

// batch is one Bundle on its way, with where each entry came from.
type batch struct {
	step    int
	file    string
	index   int // 1-based in its file
	of      int // batches in the file, 0 when unknown
	b       *fhir.Builder
	entries []entry
}

type entry struct {
	line    int
	typ, id string
}

// outcome is what comes back to the collector: a sent batch, or lines
// rejected before sending, or a file that could not be read.
type outcome struct {
	batch    *batch
	results  []fhir.EntryResult
	err      error // the whole batch failed
	retries  int
	duration time.Duration
	rejected []Failure    // lines that were never sent
	problem  *FileProblem // a file that could not be read (further)
	warnOnly bool         // the problem is a warning, not a failed file
	typ      string       // for rejected lines: the type they count under
}

func (u *Uploader) fatal(err error) bool {
	var se *fhir.StatusError
	if errors.As(err, &se) && (se.Code == 401 || se.Code == 403) {
		return true
	}
	return false
}

func wrapFatal(err error) error {
	return fmt.Errorf("%w: %v", ErrAuth, err)
}
