package verify

import (
	"context"
	"strings"
	"sync"
	"time"
)

// maxResolutions bounds the conditional references whose answer is kept:
// an export has few distinct ones (its providers), but memory must not
// grow with the input.
const maxResolutions = 100000

// resolver confirms that the server resolved conditional references to
// the resource their search matches, asking each distinct query once
// (workers that need a query being asked wait for its answer).
type resolver struct {
	s    Searcher
	opts Options

	mu      sync.Mutex
	cache   map[string]*resolution
	retries int
}

// resolution is the answer to one query, valid once done is closed.
type resolution struct {
	done  chan struct{}
	match string // the one Type/id the query matches; "" for none, "*" for several
	err   error
}

// confirm turns the conditional references of d into a normalisation
// when their search matches exactly the stored resource, and into the
// difference otherwise.
func (r *resolver) confirm(ctx context.Context, d *Diff) error {
	if len(d.Conditional) == 0 {
		return nil
	}
	for _, c := range d.Conditional {
		got, err := r.resolve(ctx, c.Query)
		if err != nil {
			return err
		}
		if got == c.Target {
			continue
		}
		if d.Same() {
			now := "matches " + got + " now"
			switch got {
			case "":
				now = "matches no resource now"
			case "*":
				now = "matches several resources now"
			}
			d.Path, d.Input, d.Server = c.Path, render(c.Query), render(c.Target)+" (the query "+now+")"
		}
		return nil
	}
	d.Norms |= NormConditional
	return nil
}

func (r *resolver) resolve(ctx context.Context, query string) (string, error) {
	r.mu.Lock()
	res, ok := r.cache[query]
	if !ok {
		res = &resolution{done: make(chan struct{})}
		if len(r.cache) < maxResolutions {
			r.cache[query] = res
		}
	}
	r.mu.Unlock()
	if ok {
		select {
		case <-res.done:
			return res.match, res.err
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	}
	defer close(res.done)
	typ, _, _ := strings.Cut(query, "?")
	var ids []string
	res.err = r.opts.Retry.Do(ctx, func(ctx context.Context) error {
		var err error
		ids, err = r.s.Resolve(ctx, query)
		return err
	}, func(attempt int, err error, wait time.Duration) {
		r.mu.Lock()
		r.retries++
		r.mu.Unlock()
		if r.opts.OnRetry != nil {
			r.opts.OnRetry(typ, attempt, err, wait)
		}
	})
	switch {
	case len(ids) == 1:
		res.match = typ + "/" + ids[0]
	case len(ids) > 1:
		res.match = "*"
	}
	return res.match, res.err
}

// takeRetries returns the retries of resolutions since the last call.
func (r *resolver) takeRetries() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.retries
	r.retries = 0
	return n
}
