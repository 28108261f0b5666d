package transfer

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
)

// runStep sends one step: a producer reads the files and makes batches,
// Concurrency senders post them, and this goroutine collects the results:
// it alone touches the summary and the failure log.
func (u *Uploader) runStep(ctx context.Context, step int, st plan.Step, sum *Summary, flog *failureLog) error {
	// stop ends reading and retrying (interrupt or fatal error); requests
	// already on the wire still get their answer.
	stopCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	batches := make(chan *batch, u.opts.Concurrency)
	outcomes := make(chan outcome, u.opts.Concurrency*2)
	var g errgroup.Group
	g.Go(func() error {
		defer close(batches)
		u.produce(stopCtx, step, st, batches, outcomes)
		return nil
	})
	// The senders judge each answer at once, so that a refused credential
	// or a server that keeps failing stops the others before their next
	// request: failedInRow counts whole batches failed in a row.
	var failedInRow atomic.Int32
	for range u.opts.Concurrency {
		g.Go(func() error {
			for b := range batches {
				o := u.send(stopCtx, b)
				switch {
				case o.err == nil:
					failedInRow.Store(0)
				case stopCtx.Err() != nil:
				case u.fatal(o.err):
					stop(wrapFatal(o.err))
				default:
					if n := failedInRow.Add(1); int(n) >= u.opts.MaxFailedBatches {
						stop(fmt.Errorf("%w: %d batches in a row failed, the last with: %v", ErrServerGone, n, o.err))
					}
				}
				outcomes <- o
			}
			return nil
		})
	}
	go func() {
		g.Wait()
		close(outcomes)
	}()

	var logErr error
	for o := range outcomes {
		if err := u.collect(o, sum, flog); err != nil && logErr == nil {
			logErr = err
			stop(err)
		}
	}
	if cause := context.Cause(stopCtx); cause != nil && ctx.Err() == nil {
		return cause
	}
	return ctx.Err()
}

// send posts a batch with retries. Once the upload is stopping, a batch
// not yet sent is not sent: its resources go to the failure log.
func (u *Uploader) send(ctx context.Context, b *batch) outcome {
	o := outcome{batch: b}
	if err := ctx.Err(); err != nil {
		o.err = fmt.Errorf("not sent: %w", context.Cause(ctx))
		return o
	}
	start := time.Now()
	body := b.b.Bytes()
	// The request itself is not cancelled by an interrupt: a batch on the
	// wire gets its answer, so that we know what landed.
	postCtx := context.WithoutCancel(ctx)
	o.err = u.opts.Retry.Do(ctx, func(context.Context) error {
		res, err := u.sender.Post(postCtx, body, b.b.Len())
		o.results = res
		return err
	}, func(attempt int, err error, wait time.Duration) {
		o.retries++
		u.opts.Reporter.Retrying(b.file, b.index, attempt, err, wait)
	})
	o.duration = time.Since(start)
	return o
}

// collect accounts for one outcome.
func (u *Uploader) collect(o outcome, sum *Summary, flog *failureLog) error {
	if o.problem != nil {
		if !o.warnOnly {
			sum.FileProblems = append(sum.FileProblems, *o.problem)
		}
		where := o.problem.File
		if o.problem.Line > 0 {
			where = fmt.Sprintf("%s: line %d", where, o.problem.Line)
		}
		u.opts.Reporter.Warn(fmt.Sprintf("%s: %s", where, o.problem.Err))
	}
	for _, rec := range o.rejected {
		sum.addType(o.typ, Counts{Read: 1, Failed: 1})
		u.opts.Reporter.Warn(fmt.Sprintf("%s: line %d: %s", rec.File, rec.Line, rec.Error))
		if err := flog.write(rec); err != nil {
			return err
		}
	}
	b := o.batch
	if b == nil {
		return nil
	}
	sum.Batches++
	sum.Retries += o.retries
	ev := progress.Batch{Step: b.step, File: b.file, Index: b.index, Of: b.of, Resources: len(b.entries), Retries: o.retries, Duration: o.duration, Err: o.err}
	for i, e := range b.entries {
		c := Counts{Read: 1}
		var rec *Failure
		switch {
		case o.err != nil:
			rec = &Failure{Error: o.err.Error()}
		default:
			r := o.results[i]
			switch r.Result {
			case fhir.Created:
				c.Created, ev.Created = 1, ev.Created+1
			case fhir.Updated:
				c.Updated, ev.Updated = 1, ev.Updated+1
			case fhir.Unchanged:
				c.Unchanged, ev.Unchanged = 1, ev.Unchanged+1
			default:
				rec = &Failure{Status: r.Status, Error: r.Outcome}
			}
		}
		if rec != nil {
			c.Failed, ev.Failed = 1, ev.Failed+1
			rec.File, rec.Line, rec.ResourceType, rec.ID = b.file, e.line, e.typ, e.id
			rec.Resource = b.b.Resource(i)
			if err := flog.write(*rec); err != nil {
				return err
			}
		}
		sum.addType(e.typ, c)
	}
	u.opts.Reporter.BatchDone(ev)
	return nil
}
