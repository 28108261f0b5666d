package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"testing"
	"time"
)

// TestStage runs stages of 50 jobs whose producer, workers or collector
// fail at a given point, and checks the error returned and that every
// job made still has its outcome collected.
func TestStage(t *testing.T) {
	errProduce, errWork, errCollect := errors.New("produce"), errors.New("work"), errors.New("collect")
	tests := []struct {
		name        string
		produceFail int // fail after making this many jobs; 0: never
		workFail    int // the job whose Work fails; 0: none
		collectFail int // the job whose outcome Collect refuses; 0: none
		cancel      int // cancel the caller's context after this job's outcome
		want        error
		wantAll     bool // every one of the 50 jobs made
	}{
		{name: "all", wantAll: true},
		{name: "producer fails", produceFail: 10, want: errProduce},
		{name: "worker fails", workFail: 7, want: errWork},
		{name: "collector fails", collectFail: 5, want: errCollect},
		{name: "collector before worker", workFail: 9, collectFail: 3, want: errCollect},
		{name: "caller cancels", cancel: 4, want: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			made, notes := 0, 0
			var collected []int
			var late atomic.Int32 // calls of Work after the stop
			err := Stage[int, string]{
				Workers: 3,
				Produce: func(ctx context.Context, job func(int) error, emit func(string)) error {
					for i := 1; i <= 50; i++ {
						if i == tc.produceFail {
							return errProduce
						}
						if i%10 == 0 {
							emit("note")
						}
						if err := job(i); err != nil {
							return err
						}
						made++
					}
					return nil
				},
				Work: func(ctx context.Context, j int) (string, error) {
					if ctx.Err() != nil {
						late.Add(1)
						return fmt.Sprintf("%d not sent", j), nil
					}
					if j == tc.workFail {
						return fmt.Sprintf("%d failed", j), errWork
					}
					return fmt.Sprintf("%d done", j), nil
				},
				Collect: func(o string) error {
					if o == "note" {
						notes++
						return nil
					}
					var j int
					if _, err := fmt.Sscanf(o, "%d", &j); err != nil {
						t.Errorf("outcome %q: %v", o, err)
					}
					collected = append(collected, j)
					if j == tc.cancel {
						cancel()
					}
					if j == tc.collectFail {
						return errCollect
					}
					return nil
				},
			}.Run(ctx)
			if !errors.Is(err, tc.want) {
				t.Errorf("Run = %v, want %v", err, tc.want)
			}
			if tc.wantAll && (made != 50 || notes != 5) {
				t.Errorf("made %d jobs and %d notes, want 50 and 5", made, notes)
			}
			// The jobs handed on are the ones whose job() call succeeded,
			// plus possibly one in the channel when the stop came: every
			// one of them has its outcome, none twice.
			sort.Ints(collected)
			for i, j := range collected {
				if j != i+1 {
					t.Fatalf("collected %v: want 1..n, each once", collected)
				}
			}
			if len(collected) < made {
				t.Errorf("collected %d outcomes of %d jobs made", len(collected), made)
			}
			if tc.want == nil && late.Load() != 0 {
				t.Errorf("%d jobs worked on after a stop that did not happen", late.Load())
			}
		})
	}
}

// TestStageWorkersRunAtOnce checks that Workers jobs are in Work at the
// same time (not one after another).
func TestStageWorkersRunAtOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const workers = 4
	arrived := make(chan struct{}, workers)
	release := make(chan struct{})
	go func() {
		for range workers {
			<-arrived
		}
		close(release)
	}()
	err := Stage[int, int]{
		Workers: workers,
		Produce: func(ctx context.Context, job func(int) error, emit func(int)) error {
			for i := range workers {
				if err := job(i); err != nil {
					return err
				}
			}
			return nil
		},
		Work: func(ctx context.Context, j int) (int, error) {
			arrived <- struct{}{}
			select {
			case <-release:
				return j, nil
			case <-ctx.Done():
				return j, ctx.Err()
			}
		},
		Collect: func(int) error { return nil },
	}.Run(ctx)
	if err != nil {
		t.Fatalf("Run = %v: the %d workers did not all work at once", err, workers)
	}
}
