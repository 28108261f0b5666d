package transfer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/pipeline"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
)

// batch is one Bundle on its way, with where each entry came from.
type batch struct {
	id       string // its name in the checkpoint
	label    string // for progress: the file, or the wave
	step     int
	index    int // 1-based within its label
	of       int // batches under the label, 0 when unknown
	kind     fhir.Kind
	bundle   *fhir.Builder // the Bundle being built: its entries' bytes
	entries  []entry
	refs     int       // the entries' references
	rejected []Failure // lines of this batch's span that were never sent
	// superseded are the types of the lines of its span not sent because
	// a later line holds the same Type/id.
	superseded []string
	typ        string // the type rejected lines count under
	// done is set for a batch an earlier run confirmed: it is not sent,
	// and counts as it did then.
	done *ckptRecord
}

type entry struct {
	file    string
	line    int
	typ, id string
	cycle   uint32 // the transaction group, for a cycle
	refs    int    // its references (countRefs)
}

// outcome is what comes back to the collector, on one channel so that it
// sees them in the order they happened: an answer or a fileNote.
type outcome interface{ isOutcome() }

// answer is a batch with what became of it: the server's results, or
// the error that failed it whole.
type answer struct {
	batch    *batch
	results  []fhir.EntryResult
	err      error // the whole batch failed
	retries  int
	duration time.Duration
	notSent  bool // the upload stopped before the batch was sent
}

// fileNote is a file that could not be read (further), or with warnOnly
// a warning about one.
type fileNote struct {
	problem  FileProblem
	warnOnly bool // a warning, not a failed file
}

func (answer) isOutcome()   {}
func (fileNote) isOutcome() {}

// feed is where a producer puts its batches (job: to the senders) and
// what it finds while reading (emit: straight to the collector).
type feed struct {
	job  func(*batch) error
	emit func(outcome)
}

// producer makes the batches of a stage.
type producer func(ctx context.Context, fd feed) error

// runStage sends what produce makes (package pipeline): Concurrency
// senders post the batches, and this goroutine collects the results: it
// alone touches the summary and the journal (failure log, checkpoint). It
// returns when every batch has its answer. A sender's error (refused
// credentials, a server gone) or the collector's (a failure log that
// cannot be written) stops reading and retrying; requests already on the
// wire still get their answer.
func (u *Uploader) runStage(ctx context.Context, r *run, produce producer) error {
	var collectErr error
	err := pipeline.Stage[*batch, outcome]{
		Workers: u.opts.Concurrency,
		Produce: func(ctx context.Context, job func(*batch) error, emit func(outcome)) error {
			return produce(ctx, feed{job: job, emit: emit})
		},
		Work: func(ctx context.Context, b *batch) (outcome, error) {
			o := u.send(ctx, b)
			return o, u.judge(ctx, r, o)
		},
		Collect: func(o outcome) error {
			switch o := o.(type) {
			case fileNote:
				u.note(r, o)
			case answer:
				err := u.collect(r, o)
				if o.batch.bundle != nil {
					builders.Put(o.batch.bundle) // nothing refers to its bytes any more
					o.batch.bundle = nil
				}
				if err != nil && collectErr == nil {
					collectErr = err
				}
				return err
			}
			return nil
		},
	}.Run(ctx)
	if cerr := r.journal.commit(); cerr != nil && collectErr == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if r.unconfirmed > 0 {
		return fmt.Errorf("%w: %s got no answer after every retry, the last: %v", ErrIncomplete, plural(r.unconfirmed, "batch", "batches"), r.lastUnanswered)
	}
	return nil
}

// judge decides at once, in the sender, whether an answer stops the
// stage, so that a refused credential or a server that keeps failing
// stops the other senders before their next request: failedInRow counts
// whole batches failed in a row, over the whole run.
func (u *Uploader) judge(ctx context.Context, r *run, o answer) error {
	switch {
	case o.err == nil:
		r.failedInRow.Store(0)
	case ctx.Err() != nil:
	case u.authRefused(o.err):
		return wrapAuth(o.err)
	default:
		if n := r.failedInRow.Add(1); int(n) >= u.opts.MaxFailedBatches {
			return fmt.Errorf("%w: %d batches in a row failed, the last with: %v", ErrServerGone, n, o.err)
		}
	}
	return nil
}

// send posts a batch with retries, through the gate that slows every
// sender down together when the server is overloaded. Once the upload is
// stopping, a batch not yet sent is not sent: its resources go to the
// failure log.
func (u *Uploader) send(ctx context.Context, b *batch) answer {
	o := answer{batch: b}
	if b.done != nil || len(b.entries) == 0 {
		return o
	}
	if err := ctx.Err(); err != nil {
		o.err, o.notSent = fmt.Errorf("not sent: %w", context.Cause(ctx)), true
		return o
	}
	start := time.Now()
	o.results, o.retries, o.err = u.post(ctx, b, b.kind, nil)
	if o.err != nil && b.kind == fhir.Transaction && !u.authRefused(o.err) && !timedOut(o.err) && ctx.Err() == nil {
		// A transaction is all or nothing: send each cycle on its own, so
		// that one bad cycle does not take the others down with it.
		o.results, o.err = u.splitTransaction(ctx, b, o.err, &o.retries)
	}
	if o.err == nil && b.kind == fhir.Batch {
		u.retryEntries(ctx, b, o.results, &o.retries)
	}
	o.duration = time.Since(start)
	return o
}

// entryRetries is how often entries that failed for a passing reason are
// sent again, with the policy's backoff (0.5 s, 1 s, 2 s, 4 s, 8 s by
// default): on a cluster two nodes writing one id at once keep losing
// races for a while.
const entryRetries = 5

// retryEntries sends again, in a batch of their own, the entries that
// failed for a reason that may pass: a conflict with a concurrent write of
// the same resource (409, as when a file repeats an id another batch in
// flight writes), or an overloaded server (429, 5xx). Their results
// replace the first ones.
func (u *Uploader) retryEntries(ctx context.Context, b *batch, results []fhir.EntryResult, retries *int) {
	for attempt := 1; attempt <= entryRetries; attempt++ {
		var again []int
		for i, r := range results {
			if r.Result == fhir.Failed && fhir.Transient(r.Status, r.Outcome) {
				again = append(again, i)
			}
		}
		if len(again) == 0 || ctx.Err() != nil {
			return
		}
		if u.opts.Retry.Pause(ctx, u.opts.Retry.Backoff(attempt, nil)) != nil {
			return
		}
		u.opts.Observer.RetriedEntries(len(again))
		res, n, err := u.post(ctx, b, fhir.Batch, again)
		*retries += n + 1
		if err != nil {
			return // the first answers stand
		}
		for k, i := range again {
			results[i] = res[k]
		}
	}
}

// answered is the number of resources a request's latency speaks for: n
// when it got an answer, 0 when it failed.
func answered(err error, n int) int {
	if err != nil {
		return 0
	}
	return n
}

// overloaded reports whether err says the server is overloaded, and for
// how long it asked us to wait.
func overloaded(err error) (bool, time.Duration) {
	var se *fhir.StatusError
	if errors.As(err, &se) {
		switch se.Code {
		case 429, 503, 504:
			return true, se.RetryAfter
		}
		return false, 0
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true, 0
	}
	return false, 0
}

// note reports a file's problem, and counts it unless it is a warning.
func (u *Uploader) note(r *run, n fileNote) {
	if !n.warnOnly {
		r.sum.FileProblems = append(r.sum.FileProblems, n.problem)
	}
	where := n.problem.File
	if n.problem.Line > 0 {
		where = fmt.Sprintf("%s: %s", where, origin.Pos(where, n.problem.Line))
	}
	u.opts.Reporter.Warn(fmt.Sprintf("%s: %s", where, n.problem.Err))
}

// collect accounts for one batch's answer: counts, failure log,
// checkpoint.
func (u *Uploader) collect(r *run, o answer) error {
	b := o.batch
	if b.done != nil {
		for typ, c := range b.done.ByType {
			r.sum.addType(typ, c)
		}
		r.sum.Retries += b.done.Retries
		r.sum.Skipped += len(b.entries)
		if len(b.entries) > 0 {
			u.opts.Reporter.BatchDone(progress.Batch{Step: b.step, File: b.label, Index: b.index, Of: b.of, Resources: len(b.entries), Resumed: true})
		}
		return nil
	}
	rec := ckptRecord{ID: b.id, ByType: map[string]Counts{}, Retries: o.retries}
	count := func(typ string, c Counts) {
		r.sum.addType(typ, c)
		tc := rec.ByType[typ]
		tc.add(c)
		rec.ByType[typ] = tc
	}
	for _, f := range b.rejected {
		f.Batch = b.id
		count(b.typ, Counts{Read: 1, Failed: 1})
		u.opts.Observer.Confirmed(0, 0, 1)
		u.opts.Observer.Refused(0, origin.At(f.File, f.Line), f.Error)
		u.opts.Reporter.Warn(fmt.Sprintf("%s: %s: %s", f.File, origin.Pos(f.File, f.Line), f.Error))
		if err := r.journal.fail(f); err != nil {
			return err
		}
	}
	for _, typ := range b.superseded {
		count(typ, Counts{Read: 1, DuplicatesSkipped: 1})
	}
	if len(b.entries) == 0 {
		return r.journal.confirm(rec)
	}
	r.sum.Batches++
	r.sum.Retries += o.retries
	ev := progress.Batch{Step: b.step, File: b.label, Index: b.index, Of: b.of, Resources: len(b.entries), Retries: o.retries, Duration: o.duration, Err: o.err}
	for i, e := range b.entries {
		c := Counts{Read: 1}
		var fail *Failure
		if o.err != nil {
			fail = &Failure{Error: o.err.Error()}
		} else {
			switch res := o.results[i]; res.Result {
			case fhir.Created:
				c.Created, ev.Created = 1, ev.Created+1
			case fhir.Updated:
				c.Updated, ev.Updated = 1, ev.Updated+1
			case fhir.Unchanged:
				c.Unchanged, ev.Unchanged = 1, ev.Unchanged+1
			default:
				fail = &Failure{Status: res.Status, Error: res.Outcome}
			}
		}
		if fail != nil {
			c.Failed, ev.Failed = 1, ev.Failed+1
			fail.File, fail.Line, fail.ResourceType, fail.ID, fail.Batch = e.file, e.line, e.typ, e.id, b.id
			fail.Resource = b.bundle.Resource(i)
			if err := r.journal.fail(*fail); err != nil {
				return err
			}
			u.opts.Observer.Refused(fail.Status, e.typ+"/"+e.id, fail.Error)
		}
		count(e.typ, c)
	}
	u.opts.Observer.Confirmed(ev.Created+ev.Updated, ev.Unchanged, ev.Failed)
	u.opts.Reporter.BatchDone(ev)
	if o.err != nil && !finalAnswer(o.err, u.authRefused) {
		// Not confirmed: a resumed run sends it again (and drops these
		// failure records). The step is incomplete: what comes after it
		// may reference these resources, so the run stops after the stage.
		r.unconfirmed++
		r.lastUnanswered = o.err
		return nil
	}
	return r.journal.confirm(rec)
}

// finalAnswer reports whether a batch's error is the server's last word on
// it (a refusal such as 400 or 422), as opposed to no answer: a network
// error, an overloaded server after every retry, a refused credential, an
// upload that stopped before the batch went.
func finalAnswer(err error, authRefused func(error) bool) bool {
	var se *fhir.StatusError
	if errors.As(err, &se) {
		return !se.Retryable() && !authRefused(err)
	}
	return false
}

// splitTransaction sends each cycle of a failed transaction on its own.
// A cycle that fails again has its entries failed with the server's
// reason; the others land. With a single cycle there is nothing to split
// and err stands.
func (u *Uploader) splitTransaction(ctx context.Context, b *batch, err error, retries *int) ([]fhir.EntryResult, error) {
	if len(b.entries) == 0 || b.entries[0].cycle == b.entries[len(b.entries)-1].cycle {
		return nil, err
	}
	results := make([]fhir.EntryResult, 0, len(b.entries))
	for start := 0; start < len(b.entries); {
		end := start + 1
		for end < len(b.entries) && b.entries[end].cycle == b.entries[start].cycle {
			end++
		}
		one := make([]int, 0, end-start)
		for i := start; i < end; i++ {
			one = append(one, i)
		}
		res, n, err := u.post(ctx, b, fhir.Transaction, one)
		*retries += n
		if err != nil {
			if u.authRefused(err) || retry.Temporary(err) {
				return nil, err
			}
			res = make([]fhir.EntryResult, end-start)
			for i := range res {
				res[i] = fhir.EntryResult{Result: fhir.Failed, Status: statusOf(err), Outcome: "in a transaction of a reference cycle: " + err.Error()}
			}
		}
		results = append(results, res...)
		start = end
	}
	return results, nil
}

// statusOf is the HTTP status of an error answer, or 0.
func statusOf(err error) int {
	var se *fhir.StatusError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
