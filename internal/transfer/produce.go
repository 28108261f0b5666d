package transfer

import (
	"bytes"
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
func (u *Uploader) produceFiles(ctx context.Context, step int, st plan.Step, sp *spill, jr *journal, fd feed) error {
	for _, f := range st.Files {
		if ctx.Err() != nil {
			return nil
		}
		if err := u.produceFile(ctx, step, f, sp, jr, fd); err != nil {
			return err
		}
	}
	return nil
}

// batcher fills batches and hands them on.
type batcher struct {
	u       *Uploader
	jr      *journal
	fd      feed
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
		bt.cur = &batch{step: bt.step, label: bt.label, kind: bt.kind, bundle: bl, typ: bt.typ,
			entries: make([]entry, 0, bt.u.opts.BatchSize)}
	}
	return bt.cur
}

// builders keeps the Bundle buffers of collected batches for new ones: a
// buffer grows once to the size of a batch and is then reused.
var builders = sync.Pool{New: func() any { return fhir.NewBuilder(fhir.Batch) }}

// add adds a resource whose references (countRefs) e.refs holds.
func (bt *batcher) add(e entry, raw []byte) {
	b := bt.current()
	b.bundle.Add(e.typ, e.id, raw)
	b.entries = append(b.entries, e)
	b.refs += e.refs
}

// put adds a resource, first handing on the current batch when the
// resource would take it over its bytes or references: a resource larger
// than the limits goes in a batch of its own. It reports false once the
// stage is stopping.
func (bt *batcher) put(ctx context.Context, e entry, raw []byte) bool {
	e.refs = countRefs(raw)
	if !bt.room(1, e.refs, len(raw)) && !bt.flush(ctx) {
		return false
	}
	bt.add(e, raw)
	return !bt.full() || bt.flush(ctx)
}

// room reports whether n more resources of refs references and size bytes
// fit in the current batch. An empty batch takes anything.
func (bt *batcher) room(n, refs, size int) bool {
	b := bt.cur
	if b == nil || len(b.entries) == 0 {
		return true
	}
	o := bt.u.opts
	return len(b.entries)+n <= o.BatchSize && b.bundle.Size()+size <= o.BatchBytes && b.refs+refs <= o.BatchRefs
}

func (bt *batcher) reject(f Failure) {
	b := bt.current()
	b.rejected = append(b.rejected, f)
}

// flush hands the current batch on; it reports false once the stage is
// stopping (the batch then goes to the collector as not sent).
func (bt *batcher) flush(ctx context.Context) bool {
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
		if bt.index > bt.of {
			// More Bundles than estimated (huge resources closed them
			// early): no total is better than a wrong one.
			b.of = 0
		}
		b.id = fmt.Sprintf("%s#%d", bt.idBase, bt.index)
	} else {
		b.id = fmt.Sprintf("%s#%d+rejected", bt.idBase, bt.index)
	}
	b.done = bt.jr.lookup(b.id)
	if !bt.stopped && bt.fd.job(b) == nil {
		return true
	}
	bt.stopped = true
	bt.fd.emit(answer{batch: b, err: fmt.Errorf("not sent: %w", context.Cause(ctx)), notSent: true})
	return false
}

func (bt *batcher) full() bool {
	b, o := bt.cur, bt.u.opts
	return b != nil && (len(b.entries) >= o.BatchSize || b.bundle.Size() >= o.BatchBytes || b.refs >= o.BatchRefs)
}

// produceFile returns an error only when the stage cannot go on (a spill
// file cannot be written); a file it cannot read is a problem reported to
// the collector.
func (u *Uploader) produceFile(ctx context.Context, step int, f plan.File, sp *spill, jr *journal, fd feed) error {
	bt := &batcher{u: u, jr: jr, fd: fd, step: step, label: f.Name, idBase: fmt.Sprintf("s%d/%s", step, f.Name), kind: fhir.Batch, typ: f.ResourceType}
	// A data-driven plan already keeps references between resources out
	// of a batch (later waves); a static one sends the files as they are.
	bt.order = sp.a == nil || sp.a.Order != plan.OrderData
	if f.Lines > 0 {
		// The Bundles a file fills: by its count or, for large resources,
		// by its bytes (a gzipped file's stored size says too little).
		bt.of = (f.Lines + u.opts.BatchSize - 1) / u.opts.BatchSize
		if !f.Gzipped() {
			bt.of = max(bt.of, int((f.Size+int64(u.opts.BatchBytes)-1)/int64(u.opts.BatchBytes)))
		}
	}
	lines, err := f.OpenLines(ctx, u.opts.MaxLine)
	if err != nil {
		fd.emit(fileNote{problem: FileProblem{File: f.Name, Err: err.Error()}})
		return nil
	}
	defer lines.Close()
	// Whatever happens, lines read into a batch are accounted for.
	defer bt.flush(ctx)
	warnedType := false
	for ctx.Err() == nil {
		// A replayed failure log's lines come named by the file and line
		// they first came from.
		line, err := lines.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var le *source.LineError
			if errors.As(err, &le) {
				bt.reject(Failure{File: le.File, Line: le.Num, Error: le.Error(), Resource: bytes.Clone(le.Data)})
				continue
			}
			// The rest of the file cannot be read (a truncated .gz, a
			// network error): send what was read, report the file.
			fd.emit(fileNote{problem: FileProblem{File: f.Name, Line: lines.Stored() + 1, Err: "reading stopped: " + err.Error()}})
			return nil
		}
		file := line.File
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
		// A file whose type the source gave (a failure log's) has no name
		// for its lines to contradict.
		if m.Type != f.ResourceType && !warnedType && f.KnownType == "" {
			warnedType = true
			msg := fmt.Sprintf("holds a %s in a file of %s resources; each line is sent as the type it says", m.Type, f.ResourceType)
			fd.emit(fileNote{problem: FileProblem{File: f.Name, Line: line.Num, Err: msg}, warnOnly: true})
		}
		if !sp.a.Written(m.Type, m.ID, file, line.Num) {
			bt.current().superseded = append(bt.current().superseded, m.Type)
			continue
		}
		e := entry{file: file, line: line.Num, typ: m.Type, id: m.ID}
		p, err := sp.a.Place(m.Type, m.ID)
		if err != nil {
			return err
		}
		if p.Wave > 0 || p.Cycle != 0 {
			if err := sp.add(p, e, line.Data); err != nil {
				return err
			}
			continue
		}
		if !bt.put(ctx, e, line.Data) {
			return nil
		}
	}
	return nil
}

// produceWave sends wave k's spilled resources: the plain ones in batches,
// then the cycles in transactions, whole cycles only.
func (u *Uploader) produceWave(ctx context.Context, step, k int, sp *spill, jr *journal, fd feed) error {
	plain := &batcher{u: u, jr: jr, fd: fd, step: step, kind: fhir.Batch,
		label: fmt.Sprintf("wave %d: resources that reference others of this step", k+1), idBase: fmt.Sprintf("s%d/w%d", step, k),
		of: (sp.waveOf[k].plain.n + u.opts.BatchSize - 1) / u.opts.BatchSize}
	err := sp.eachPlain(k, func(s spilled) error {
		if !plain.put(ctx, s.e, s.raw) {
			return context.Cause(ctx)
		}
		return nil
	})
	if err != nil || !plain.flush(ctx) {
		return stopErr(ctx, err)
	}
	tx := &batcher{u: u, jr: jr, fd: fd, step: step, kind: fhir.Transaction,
		label: fmt.Sprintf("wave %d: reference cycles, in transactions", k+1), idBase: fmt.Sprintf("s%d/c%d", step, k)}
	err = sp.eachCycle(k, func(members []spilled) error {
		refs, size := 0, 0
		for i := range members {
			members[i].e.refs = countRefs(members[i].raw)
			refs, size = refs+members[i].e.refs, size+len(members[i].raw)
		}
		if !tx.room(len(members), refs, size) && !tx.flush(ctx) {
			return context.Cause(ctx)
		}
		for _, m := range members {
			tx.add(m.e, m.raw)
		}
		return nil
	})
	if err != nil || !tx.flush(ctx) {
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
