package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// produceFiles reads the step's files in order. Lines that pass the
// checks and may go now are batched; lines that must wait for a later
// wave are spilled; rejected lines ride with the batch of their span.
func (u *Uploader) produceFiles(ctx context.Context, step int, st plan.Step, sp *spill, ck *checkpoint, out chan<- *batch, outcomes chan<- outcome) error {
	for _, f := range st.Files {
		if ctx.Err() != nil {
			return nil
		}
		if err := u.produceFile(ctx, step, f, sp, ck, out, outcomes); err != nil {
			return err
		}
	}
	return nil
}

// batcher fills batches and hands them on.
type batcher struct {
	u       *Uploader
	ck      *checkpoint
	out     chan<- *batch
	step    int
	label   string
	idBase  string
	of      int
	kind    fhir.Kind
	typ     string // the type rejected lines count under
	index   int
	cur     *batch
	stopped bool
	order   bool // entries may reference each other: put targets first
}

func (bt *batcher) current() *batch {
	if bt.cur == nil {
		bl := builders.Get().(*fhir.Builder)
		bl.ResetAs(bt.kind)
		bt.cur = &batch{step: bt.step, label: bt.label, kind: bt.kind, b: bl, typ: bt.typ,
			entries: make([]entry, 0, bt.u.opts.BatchSize)}
	}
	return bt.cur
}

// builders keeps the Bundle buffers of collected batches for new ones: a
// buffer grows once to the size of a batch and is then reused.
var builders = sync.Pool{New: func() any { return fhir.NewBuilder(fhir.Batch) }}

func (bt *batcher) add(e entry, raw []byte) {
	b := bt.current()
	e.refs = countRefs(raw)
	b.b.Add(e.typ, e.id, raw)
	b.entries = append(b.entries, e)
	b.refs += e.refs
}

// put adds a resource, first handing on the current batch when the
// resource would take it over its bytes or references: a resource larger
// than the limits goes in a batch of its own. It reports false once the
// stage is stopping.
func (bt *batcher) put(ctx context.Context, outcomes chan<- outcome, e entry, raw []byte) bool {
	if !bt.room(1, countRefs(raw), len(raw)) && !bt.flush(ctx, outcomes) {
		return false
	}
	bt.add(e, raw)
	return !bt.full() || bt.flush(ctx, outcomes)
}

// room reports whether n more resources of refs references and size bytes
// fit in the current batch. An empty batch takes anything.
func (bt *batcher) room(n, refs, size int) bool {
	b := bt.cur
	if b == nil || len(b.entries) == 0 {
		return true
	}
	o := bt.u.opts
	return len(b.entries)+n <= o.BatchSize && b.b.Size()+size <= o.BatchBytes && b.refs+refs <= o.BatchRefs
}

func (bt *batcher) reject(f Failure) {
	b := bt.current()
	b.rejected = append(b.rejected, f)
}

// flush hands the current batch on; it reports false once the stage is
// stopping (the batch then goes to the collector as not sent).
func (bt *batcher) flush(ctx context.Context, outcomes chan<- outcome) bool {
	b := bt.cur
	if b == nil {
		return !bt.stopped
	}
	bt.cur = nil
	if bt.order {
		orderEntries(b)
	}
	if len(b.entries) > 0 {
		bt.index++
		b.index, b.of = bt.index, bt.of
		if bt.of > 0 {
			b.of = max(bt.of, bt.index)
		}
		b.id = fmt.Sprintf("%s#%d", bt.idBase, bt.index)
	} else {
		b.id = fmt.Sprintf("%s#%d+rejected", bt.idBase, bt.index)
	}
	b.done = bt.ck.lookup(b.id)
	if bt.stopped {
		outcomes <- outcome{batch: b, err: fmt.Errorf("not sent: %w", context.Cause(ctx)), notSent: true}
		return false
	}
	select {
	case bt.out <- b:
		return true
	case <-ctx.Done():
		bt.stopped = true
		outcomes <- outcome{batch: b, err: fmt.Errorf("not sent: %w", context.Cause(ctx)), notSent: true}
		return false
	}
}

func (bt *batcher) full() bool {
	b, o := bt.cur, bt.u.opts
	return b != nil && (len(b.entries) >= o.BatchSize || b.b.Size() >= o.BatchBytes || b.refs >= o.BatchRefs)
}

// produceFile returns an error only when the stage cannot go on (a spill
// file cannot be written); a file it cannot read is a problem reported to
// the collector.
func (u *Uploader) produceFile(ctx context.Context, step int, f plan.File, sp *spill, ck *checkpoint, out chan<- *batch, outcomes chan<- outcome) error {
	bt := &batcher{u: u, ck: ck, out: out, step: step, label: f.Name, idBase: fmt.Sprintf("s%d/%s", step, f.Name), kind: fhir.Batch, typ: f.Type}
	// A data-driven plan already keeps references out of a batch.
	bt.order = sp.a == nil || sp.a.Order != plan.OrderData
	if f.Lines > 0 {
		bt.of = (f.Lines + u.opts.BatchSize - 1) / u.opts.BatchSize
	}
	rc, err := source.OpenNDJSON(ctx, f.File)
	if err != nil {
		outcomes <- outcome{problem: &FileProblem{File: f.Name, Err: err.Error()}}
		return nil
	}
	defer rc.Close()
	// Whatever happens, lines read into a batch are accounted for.
	defer bt.flush(ctx, outcomes)
	r := ndjson.NewReader(rc, u.opts.MaxLine)
	warnedType := false
	for ctx.Err() == nil {
		line, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var tl *ndjson.LineTooLongError
			if errors.As(err, &tl) {
				bt.reject(Failure{File: f.Name, Line: tl.Line, Error: err.Error()})
				continue
			}
			// The rest of the file cannot be read (a truncated .gz, a
			// network error): send what was read, report the file.
			outcomes <- outcome{problem: &FileProblem{File: f.Name, Line: r.LineNum() + 1, Err: "reading stopped: " + err.Error()}}
			return nil
		}
		file := f.Name
		if f.Replay {
			// A failure-log record: send its resource again, under the
			// file and line it first came from.
			data, origin, num, ok := source.Unwrap(line.Data)
			switch {
			case !ok:
				bt.reject(Failure{File: f.Name, Line: line.Num, Error: "not a failure-log record", Resource: append([]byte(nil), line.Data...)})
				continue
			case data == nil:
				bt.reject(Failure{File: origin, Line: num, Error: "the line was not kept in the failure log (too long); send its file again"})
				continue
			}
			line.Data, line.Num, file = data, num, origin
		}
		m, err := ndjson.Inspect(line.Data)
		// Every R4 type goes to the server, Parameters and OperationOutcome
		// too (HAPI stores them); the server's refusals (a Bundle of a type
		// it does not store, HAPI-0522) come back in its own words.
		if err == nil && !fhirtype.Known(m.Type) {
			err = fmt.Errorf("%w: %q is not a FHIR R4 resource type", ndjson.ErrInvalidType, m.Type)
		}
		if err != nil {
			bt.reject(Failure{File: file, Line: line.Num, ResourceType: m.Type, ID: m.ID, Error: err.Error(), Resource: append([]byte(nil), line.Data...)})
			continue
		}
		if m.Type != f.Type && !warnedType && !f.Replay {
			warnedType = true
			msg := fmt.Sprintf("holds a %s in a file of %s resources; each line is sent as the type it says", m.Type, f.Type)
			outcomes <- outcome{problem: &FileProblem{File: f.Name, Line: line.Num, Err: msg}, warnOnly: true}
		}
		if !sp.a.Written(m.Type, m.ID, file, line.Num) {
			bt.current().superseded = append(bt.current().superseded, m.Type)
			continue
		}
		e := entry{file: file, line: line.Num, typ: m.Type, id: m.ID}
		if p := sp.a.Place(m.Type, m.ID); p.Wave > 0 || p.Cycle != 0 {
			if err := sp.add(p, e, line.Data); err != nil {
				return err
			}
			continue
		}
		if !bt.put(ctx, outcomes, e, line.Data) {
			return nil
		}
	}
	return nil
}

// produceWave sends wave k's spilled resources: the plain ones in batches,
// then the cycles in transactions, whole cycles only.
func (u *Uploader) produceWave(ctx context.Context, step, k int, sp *spill, ck *checkpoint, out chan<- *batch, outcomes chan<- outcome) error {
	plain := &batcher{u: u, ck: ck, out: out, step: step, kind: fhir.Batch,
		label: fmt.Sprintf("wave %d: resources that reference others of this step", k+1), idBase: fmt.Sprintf("s%d/w%d", step, k),
		of: (sp.waveOf[k].plain.n + u.opts.BatchSize - 1) / u.opts.BatchSize}
	err := sp.eachPlain(k, func(s spilled) error {
		if !plain.put(ctx, outcomes, s.e, s.raw) {
			return context.Cause(ctx)
		}
		return nil
	})
	if err != nil || !plain.flush(ctx, outcomes) {
		return stopErr(ctx, err)
	}
	tx := &batcher{u: u, ck: ck, out: out, step: step, kind: fhir.Transaction,
		label: fmt.Sprintf("wave %d: reference cycles, in transactions", k+1), idBase: fmt.Sprintf("s%d/c%d", step, k)}
	err = sp.eachCycle(k, func(members []spilled) error {
		refs, size := 0, 0
		for _, m := range members {
			refs, size = refs+countRefs(m.raw), size+len(m.raw)
		}
		if !tx.room(len(members), refs, size) && !tx.flush(ctx, outcomes) {
			return context.Cause(ctx)
		}
		for _, m := range members {
			tx.add(m.e, m.raw)
		}
		return nil
	})
	if err != nil || !tx.flush(ctx, outcomes) {
		return stopErr(ctx, err)
	}
	return nil
}

// stopErr returns err unless it only says the stage is stopping.
func stopErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
