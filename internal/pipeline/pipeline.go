// Package pipeline runs the read -> work concurrently -> collect shape
// that upload and verify share: one producer reads the input and makes
// jobs, a few workers do them (a Bundle posted, a search made), and the
// caller's goroutine collects every outcome, alone, in the order they
// arrive, so that what it counts needs no lock.
//
//	Produce ──jobs──> Workers × Work ──outcomes──> Collect
//	   └──────────── outcomes (what the reading found) ──┘
//
// Stopping: an error from Produce, Work or Collect stops the pipeline
// with that error as its cause. The producer then stops reading; the
// workers go on taking the jobs already made and call Work with a context
// that is done, so that each job still has its outcome (a Bundle "not
// sent"); Collect sees every outcome until the end.
package pipeline

import (
	"context"
	"sync"
)

// Stage is one run of the pipeline: jobs of type J, outcomes of type O.
type Stage[J, O any] struct {
	// Workers is the number of jobs done at once (at least 1).
	Workers int
	// Produce makes the jobs with job, which returns the stop cause once
	// the pipeline stops, and may send outcomes of its own (a line that
	// cannot be read) with emit, which always delivers.
	Produce func(ctx context.Context, job func(J) error, emit func(O)) error
	// Work does one job. Its outcome is collected even when it returns an
	// error, which stops the pipeline.
	Work func(ctx context.Context, j J) (O, error)
	// Collect takes each outcome in the caller's goroutine. Its first
	// error stops the pipeline; it is still called for the outcomes left.
	Collect func(O) error
}

// Run runs the stage until every job has its outcome collected. It
// returns the first error of Collect, else of Produce, else ctx's, else
// the first error of Work.
func (s Stage[J, O]) Run(ctx context.Context) error {
	stopCtx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	workers := max(s.Workers, 1)
	jobs := make(chan J, workers)
	outcomes := make(chan O, 2*workers)
	var wg sync.WaitGroup
	var prodErr error
	wg.Go(func() {
		defer close(jobs)
		err := s.Produce(stopCtx, func(j J) error {
			select {
			case jobs <- j:
				return nil
			case <-stopCtx.Done():
				return context.Cause(stopCtx)
			}
		}, func(o O) {
			outcomes <- o // the collector drains until the end
		})
		if err != nil && stopCtx.Err() == nil {
			prodErr = err
			stop(err)
		}
	})
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				o, err := s.Work(stopCtx, j)
				if err != nil {
					stop(err)
				}
				outcomes <- o
			}
		})
	}
	go func() {
		wg.Wait()
		close(outcomes)
	}()
	var collectErr error
	for o := range outcomes {
		if err := s.Collect(o); err != nil && collectErr == nil {
			collectErr = err
			stop(err)
		}
	}
	switch {
	case collectErr != nil:
		return collectErr
	case prodErr != nil:
		return prodErr
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return context.Cause(stopCtx)
}
