package transfer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
)

// A Bundle that gets no answer in time is not sent again whole. The
// server may still be writing it: HAPI does not stop when the client
// hangs up. So the uploader first watches what lands (searches by _id,
// a few bytes per resource) until the abandoned try is done: every entry
// landed, or nothing more landed for four times as long as the resource
// the server works on would be allowed on its own. Only then does it send what did not land, in
// halves, down to single resources; a single resource is given more time
// on each try. No two tries of the same resources are in flight at once
// (unless the server stays silent longer than its allowance).

// Versioner is a Sender that can say which resources are on the server,
// and since when. *fhir.Client is one.
type Versioner interface {
	Versions(ctx context.Context, typ string, ids []string) (map[string]fhir.Version, time.Time, error)
}

// quietFactor times a request's wait (or the allowance of what the
// server works on, when longer) is how long an abandoned try may show no
// progress before the uploader takes it for dead and sends its resources
// again. A busy server can be far slower than its usual pace (on the
// shared, overloaded test bed one Provenance of 2,500 targets took 15-46 s
// instead of 2): taking a live try for dead piles a new one onto it,
// which is worse than waiting.
const quietFactor = 4

// maxScale bounds the longer waits given to a single resource that timed
// out: 2 and then 4 times its allowance (capped at TimeoutMax).
const maxScale = 4

// post sends entries idx of b (all of them when idx is nil) as one Bundle
// of the given kind, with retries, and returns their results in idx's
// order and the number of requests beyond the first.
func (u *Uploader) post(ctx context.Context, b *batch, kind fhir.Kind, idx []int) ([]fhir.EntryResult, int, error) {
	return u.deliver(ctx, b, kind, idx, 1)
}

func (u *Uploader) deliver(ctx context.Context, b *batch, kind fhir.Kind, idx []int, scale int) ([]fhir.EntryResult, int, error) {
	bl := b.bundle
	if idx == nil {
		idx = make([]int, len(b.entries))
		for i := range idx {
			idx[i] = i
		}
	} else {
		bl = fhir.NewBuilder(kind)
		for _, i := range idx {
			bl.Add(b.entries[i].typ, b.entries[i].id, b.bundle.Resource(i))
		}
	}
	refs := 0
	for _, i := range idx {
		refs += b.entries[i].refs
	}
	wait := u.timeoutFor(len(idx), refs, bl.Size(), scale)
	res, retries, start, err := u.tries(ctx, b, bl, wait)
	if !timedOut(err) || ctx.Err() != nil {
		return res, retries, err
	}
	u.opts.Reporter.Warn(fmt.Sprintf("%s batch %d: no answer for %d resources in %s; the server may still be writing them: watching what lands before sending the rest again", b.label, b.index, len(idx), wait.Round(time.Millisecond)))
	landed, serr := u.settle(ctx, b, kind, idx, start, wait)
	if serr != nil {
		return nil, retries, err // interrupted: no answer
	}
	out := make([]fhir.EntryResult, len(idx))
	var rest []int // positions in idx
	for k, i := range idx {
		v, ok := landed[i]
		switch {
		case !ok:
			rest = append(rest, k)
		case v.ID == "1":
			out[k] = fhir.EntryResult{Result: fhir.Created, Status: 201}
		default:
			out[k] = fhir.EntryResult{Result: fhir.Updated, Status: 200}
		}
	}
	if len(rest) == 0 {
		return out, retries, nil
	}
	restIdx := make([]int, len(rest))
	for k, p := range rest {
		restIdx[k] = idx[p]
	}
	parts, next := halves(b, kind, restIdx), 1
	if len(parts) == 1 {
		if scale >= maxScale {
			return nil, retries, err
		}
		next = scale * 2
	}
	got := make(map[int]fhir.EntryResult, len(restIdx))
	for _, part := range parts {
		res, n, perr := u.deliver(ctx, b, kind, part, next)
		retries += n + 1
		if perr != nil {
			if !finalAnswer(perr, u.authRefused) {
				return nil, retries, perr // no answer: the batch is not confirmed
			}
			res = failedAll(len(part), perr)
		}
		for k, i := range part {
			got[i] = res[k]
		}
	}
	for _, p := range rest {
		out[p] = got[idx[p]]
	}
	return out, retries, nil
}

// failedAll is n failed results with the server's refusal err.
func failedAll(n int, err error) []fhir.EntryResult {
	res := make([]fhir.EntryResult, n)
	for i := range res {
		res[i] = fhir.EntryResult{Result: fhir.Failed, Status: statusOf(err), Outcome: err.Error()}
	}
	return res
}

// halves splits entries idx of b in two, or returns them as one part when
// they cannot be split: a single resource, or a transaction of a single
// reference cycle (a transaction splits between cycles only).
func halves(b *batch, kind fhir.Kind, idx []int) [][]int {
	if len(idx) < 2 {
		return [][]int{idx}
	}
	if kind != fhir.Transaction {
		h := len(idx) / 2
		return [][]int{idx[:h], idx[h:]}
	}
	var cuts []int // where a cycle starts
	for k := 1; k < len(idx); k++ {
		if b.entries[idx[k]].cycle != b.entries[idx[k-1]].cycle {
			cuts = append(cuts, k)
		}
	}
	if len(cuts) == 0 {
		return [][]int{idx}
	}
	h := cuts[len(cuts)/2]
	return [][]int{idx[:h], idx[h:]}
}

// errTimedOut ends the tries of a request that got no answer in time.
var errTimedOut = errors.New("no answer in time")

// timedOutError is a try that got no answer in time; it is not retried
// as it is.
type timedOutError struct{ err error }

func (e *timedOutError) Error() string   { return e.err.Error() }
func (e *timedOutError) Unwrap() error   { return e.err }
func (e *timedOutError) Retryable() bool { return false }

// timedOut reports whether err is a request that got no answer in time.
func timedOut(err error) bool {
	var te *timedOutError
	return errors.As(err, &te)
}

// isTimeout reports whether err says the wait for an answer ran out.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// tries sends one Bundle with retries, each try waiting up to wait for its
// answer, through the gate. It stops at the first try that times out
// (timedOut(err)), returning when that try started.
func (u *Uploader) tries(ctx context.Context, b *batch, bl *fhir.Builder, wait time.Duration) ([]fhir.EntryResult, int, time.Time, error) {
	body := bl.Bytes()
	// The request itself is not cancelled by an interrupt: a batch on the
	// wire gets its answer, so that we know what landed.
	postCtx := fhir.WithTimeout(context.WithoutCancel(ctx), wait)
	var results []fhir.EntryResult
	var start time.Time
	retries := 0
	err := u.opts.Retry.Do(ctx, func(ctx context.Context) error {
		permit, err := u.gate.Acquire(ctx)
		if err != nil {
			return err
		}
		start = time.Now()
		res, err := u.sender.Post(postCtx, body, bl.Len())
		over, pause := overloaded(err)
		if over && pause == 0 {
			pause = u.opts.Retry.Backoff(retries+1, err)
		}
		permit.Release(over, pause, answered(err, bl.Len()))
		u.opts.Observer.Request(time.Since(start))
		results = res
		if err != nil && isTimeout(err) {
			return &timedOutError{err: fmt.Errorf("%w (%s): %w", errTimedOut, wait.Round(time.Millisecond), err)}
		}
		return err
	}, func(attempt int, err error, wait time.Duration) {
		retries++
		u.opts.Observer.Retried(err)
		u.opts.Reporter.Retrying(b.label, b.index, attempt, err, wait)
	})
	return results, retries, start, err
}

// settle waits until the try of entries idx that started at start (and
// was given wait) is done on the server: every entry landed, or none
// landed for quiet (see quiet). It returns the entries that landed
// (written since the try started) with their versions. A sender that
// cannot tell what landed is given quiet.
func (u *Uploader) settle(ctx context.Context, b *batch, kind fhir.Kind, idx []int, start time.Time, wait time.Duration) (map[int]fhir.Version, error) {
	v, ok := u.sender.(Versioner)
	landed := map[int]fhir.Version{}
	var since time.Time // the try's start on the server's clock
	last := time.Now()
	for {
		if ok {
			got, err := landedSince(ctx, v, b, idx, start, &since)
			if err == nil && len(got) > len(landed) {
				landed, last = got, time.Now()
			}
			if len(landed) == len(idx) {
				return landed, nil
			}
		}
		quiet := u.quiet(b, kind, idx, landed, wait)
		if time.Since(last) >= quiet {
			return landed, nil
		}
		if err := retry.Sleep(ctx, min(max(quiet/16, 10*time.Millisecond), 5*time.Second)); err != nil {
			return landed, err
		}
	}
}

// quiet is how long an abandoned try may show no progress before it is
// taken for dead: quietFactor times the longer of its wait and the
// allowance, not capped, of what the server works on now. A batch is
// written entry by entry, in order, so that is the first entry not
// landed; a transaction shows nothing until it commits, so that is every
// entry not landed.
func (u *Uploader) quiet(b *batch, kind fhir.Kind, idx []int, landed map[int]fhir.Version, wait time.Duration) time.Duration {
	var n, refs, size int
	for _, i := range idx {
		if _, ok := landed[i]; ok {
			continue
		}
		n, refs, size = n+1, refs+b.entries[i].refs, size+len(b.bundle.Resource(i))
		if kind != fhir.Transaction {
			break
		}
	}
	return quietFactor * max(wait, allowance(n, refs, size))
}

// landedSince asks the server which of entries idx were written since the
// try that started at start (client clock). The first answer fixes since,
// the start on the server's clock: the server's time of that answer less
// the time since start.
func landedSince(ctx context.Context, v Versioner, b *batch, idx []int, start time.Time, since *time.Time) (map[int]fhir.Version, error) {
	byType := map[string][]string{}
	for _, i := range idx {
		e := b.entries[i]
		byType[e.typ] = append(byType[e.typ], e.id)
	}
	found := map[string]fhir.Version{}
	for typ, ids := range byType {
		got, now, err := v.Versions(ctx, typ, ids)
		if err != nil {
			return nil, err
		}
		if since.IsZero() {
			*since = start
			if !now.IsZero() {
				*since = now.Add(-time.Since(start))
			}
		}
		for id, ver := range got {
			found[typ+"/"+id] = ver
		}
	}
	out := map[int]fhir.Version{}
	for _, i := range idx {
		e := b.entries[i]
		if ver, ok := found[e.typ+"/"+e.id]; ok && !ver.LastUpdated.Before(*since) {
			out[i] = ver
		}
	}
	return out, nil
}
