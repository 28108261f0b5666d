package transfer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/auth"
	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/limit"
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
	BatchSize   int // resources per Bundle; default defaults.BatchSize
	BatchBytes  int // body bytes per Bundle; default defaults.BatchBytes
	BatchRefs   int // references per Bundle; default defaults.BatchRefs
	Concurrency int // Bundles in flight; default 2
	MaxLine     int // longest line accepted, in bytes; default ndjson.DefaultMaxLine
	Retry       retry.Policy

	// Timeout is the shortest wait for the answer to a Bundle, TimeoutMax
	// the longest; in between, the wait grows with the Bundle's size.
	// Defaults defaults.Timeout and defaults.TimeoutMax.
	Timeout, TimeoutMax time.Duration
	// MaxFailedBatches stops the upload after this many batches in a row
	// failed whole (the server is gone); default 5.
	MaxFailedBatches int
	// FailureLog is the path of the failure log; "" keeps none.
	FailureLog string
	// Checkpoint is the path of the resume checkpoint; "" keeps none. An
	// existing checkpoint is resumed: its confirmed batches are not sent
	// again, and count in the summary.
	Checkpoint string
	// TempDir holds the resources that wait for a later wave; "" is the
	// system's temporary folder.
	TempDir  string
	Reporter progress.Reporter
	Logger   *slog.Logger

	// Adaptive makes Concurrency the most Bundles in flight: the number
	// sent at once follows the server's latency (limit.Gradient).
	Adaptive bool

	// Observer watches the upload (its time series); nil: none.
	Observer Observer

	// TransactionFirst is how the senders were set up to send batches
	// (HAPI's X-Transaction-Semantics), for the summary.
	TransactionFirst TxFirst
}

// ErrServerGone stops an upload whose batches keep failing whole.
var ErrServerGone = errors.New("the server keeps failing")

// ErrAuth stops an upload the server refuses to take from us (401/403).
var ErrAuth = errors.New("the server refused the credentials")

// ErrIncomplete stops an upload after a stage in which batches got no
// answer: the resources of later stages may reference theirs.
var ErrIncomplete = errors.New("stopped before the next step")

// Uploader sends planned files to a server.
type Uploader struct {
	sender Sender
	opts   Options
	gate   *limit.Gate
	now    func() time.Time
}

// New returns an Uploader with opts' defaults filled in.
func New(s Sender, opts Options) *Uploader {
	if opts.BatchSize <= 0 {
		opts.BatchSize = defaults.BatchSize
	}
	if opts.BatchBytes <= 0 {
		opts.BatchBytes = defaults.BatchBytes
	}
	if opts.BatchRefs <= 0 {
		opts.BatchRefs = defaults.BatchRefs
	}
	if opts.Timeout <= 0 {
		opts.Timeout = defaults.Timeout
	}
	if opts.TimeoutMax <= 0 {
		opts.TimeoutMax = max(defaults.TimeoutMax, opts.Timeout)
	}
	opts.TimeoutMax = max(opts.TimeoutMax, opts.Timeout)
	if opts.Concurrency <= 0 {
		opts.Concurrency = defaults.Concurrency
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
	if opts.Observer == nil {
		opts.Observer = nopObserver{}
	}
	gate := limit.NewGate(opts.Concurrency)
	if opts.Adaptive {
		gate = limit.NewAdaptiveGate(limit.NewGradient(limit.GradientConfig{Max: opts.Concurrency}))
	}
	return &Uploader{sender: s, opts: opts, gate: gate, now: time.Now}
}

// run is the state of one Run.
type run struct {
	sum     *Summary
	journal *journal // the failure log and the checkpoint
	plan    *plan.Plan
	// unconfirmed counts batches of the current stage that got no answer.
	unconfirmed    int
	lastUnanswered error
	failedInRow    atomic.Int32
}

// Run uploads the plan, step after step: a step starts only when every
// batch of the steps before it has its answer, and so does each wave of a
// step. It returns the summary and, when the upload stopped early, why
// (ctx's error when interrupted). An interrupted or stopped run leaves
// its checkpoint, and at FailureLog the failure records written so far:
// the next run resumes from the checkpoint, keeps the records of the
// batches it confirmed and drops the others, whose batches it sends again.
func (u *Uploader) Run(ctx context.Context, p *plan.Plan) (*Summary, error) {
	start := u.now()
	r := &run{sum: &Summary{Files: p.Files(), TransactionFirst: u.opts.TransactionFirst}, plan: p}
	if a := p.Analysis; a != nil && a.Duplicates.IDs > 0 {
		r.sum.Duplicates = &a.Duplicates
	}
	j, err := openJournal(u.opts.Checkpoint, u.opts.FailureLog)
	if err != nil {
		return r.sum, err
	}
	r.journal = j
	r.sum.Resumed = j.resumed()
	var runErr error
	for i, st := range p.Steps {
		if ctx.Err() != nil {
			break
		}
		u.opts.Reporter.StepStarted(progress.Step{Index: i + 1, Of: len(p.Steps), Types: st.Types, Files: len(st.Files), Lines: st.Lines()})
		if runErr = u.runStep(ctx, r, i+1, st); runErr != nil {
			break
		}
	}
	for _, f := range p.Skipped {
		r.sum.FileProblems = append(r.sum.FileProblems, FileProblem{File: f.Name, Err: f.Err.Error()})
	}
	finished := runErr == nil && ctx.Err() == nil
	path, ferr := j.close(finished)
	r.sum.FailureLog = path
	r.sum.Concurrency = u.gate.Stats()
	r.sum.Duration = u.now().Sub(start)
	r.sum.Seconds = r.sum.Duration.Seconds()
	if ctx.Err() != nil {
		r.sum.Interrupted = true
		if runErr == nil || errors.Is(runErr, context.Canceled) {
			runErr = ctx.Err()
		}
	}
	if runErr == nil {
		runErr = ferr
	}
	return r.sum, runErr
}

// runStep sends a step's files, then the waves its files deferred.
func (u *Uploader) runStep(ctx context.Context, r *run, step int, st plan.Step) error {
	sp, err := newSpill(u.opts.TempDir, r.plan.Analysis)
	if err != nil {
		return err
	}
	defer sp.remove()
	prod := func(ctx context.Context, fd feed) error {
		return u.produceFiles(ctx, step, st, sp, r.journal, fd)
	}
	if err := u.runStage(ctx, r, prod); err != nil {
		return err
	}
	for wave := 0; wave < sp.waves(); wave++ {
		prod := func(ctx context.Context, fd feed) error {
			return u.produceWave(ctx, step, wave, sp, r.journal, fd)
		}
		if err := u.runStage(ctx, r, prod); err != nil {
			return err
		}
	}
	return nil
}

// authRefused reports whether err is the server refusing our credentials
// (401/403), or the token endpoint refusing us a token: the answers that
// stop the whole upload at once.
func (u *Uploader) authRefused(err error) bool {
	var se *fhir.StatusError
	return errors.As(err, &se) && (se.Code == 401 || se.Code == 403) || errors.Is(err, auth.ErrToken)
}

// wrapAuth is the error that stops an upload for a refused credential.
func wrapAuth(err error) error {
	if errors.Is(err, auth.ErrToken) {
		return err // it names the token endpoint and its error: no server refused anything
	}
	return fmt.Errorf("%w: %w", ErrAuth, err)
}

// removeIfExists removes path, ignoring that it does not exist.
func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
