package transfer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// produce reads the step's files in order and sends full batches on out;
// lines it rejects and files it cannot read go straight to outcomes.
func (u *Uploader) produce(ctx context.Context, step int, st plan.Step, out chan<- *batch, outcomes chan<- outcome) {
	for _, f := range st.Files {
		if ctx.Err() != nil {
			return
		}
		if err := u.produceFile(ctx, step, f, out, outcomes); err != nil {
			return
		}
	}
}

// produceFile returns an error only when the upload is stopping.
func (u *Uploader) produceFile(ctx context.Context, step int, f plan.File, out chan<- *batch, outcomes chan<- outcome) error {
	of := 0
	if f.Lines > 0 {
		of = (f.Lines + u.opts.BatchSize - 1) / u.opts.BatchSize
	}
	rc, err := source.OpenNDJSON(ctx, f.File)
	if err != nil {
		return emit(ctx, outcomes, outcome{problem: &FileProblem{File: f.Name, Err: err.Error()}})
	}
	defer rc.Close()
	r := ndjson.NewReader(rc, u.opts.MaxLine)
	index := 0
	var cur *batch
	flush := func() error {
		if cur == nil || len(cur.entries) == 0 {
			return nil
		}
		b := cur
		cur = nil
		select {
		case out <- b:
			return nil
		case <-ctx.Done():
			// Never sent: the collector still accounts for it.
			return emit(ctx, outcomes, outcome{batch: b, err: fmt.Errorf("not sent: %w", context.Cause(ctx))})
		}
	}
	defer func() {
		// Lines read into a batch that will not go: account for them.
		if cur != nil && len(cur.entries) > 0 {
			outcomes <- outcome{batch: cur, err: fmt.Errorf("not sent: %w", context.Cause(ctx))}
		}
	}()
	warnedType := false
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		line, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var tl *ndjson.LineTooLongError
			if errors.As(err, &tl) {
				rej := Failure{File: f.Name, Line: tl.Line, Error: err.Error()}
				if err := emit(ctx, outcomes, outcome{typ: f.Type, rejected: []Failure{rej}}); err != nil {
					return err
				}
				continue
			}
			// The rest of the file cannot be read (a truncated .gz, a
			// network error): send what was read, report the file.
			if ferr := flush(); ferr != nil {
				return ferr
			}
			return emit(ctx, outcomes, outcome{problem: &FileProblem{File: f.Name, Line: r.LineNum() + 1, Err: "reading stopped: " + err.Error()}})
		}
		m, err := ndjson.Inspect(line.Data)
		if err == nil && !fhirtype.Storable(m.Type) {
			err = fmt.Errorf("%w: %q is not a FHIR R4 resource type", ndjson.ErrInvalidType, m.Type)
		}
		if err != nil {
			typ := m.Type
			if !fhirtype.Known(typ) {
				typ = f.Type
			}
			rej := Failure{File: f.Name, Line: line.Num, ResourceType: m.Type, ID: m.ID, Error: err.Error(), Resource: append([]byte(nil), line.Data...)}
			if err := emit(ctx, outcomes, outcome{typ: typ, rejected: []Failure{rej}}); err != nil {
				return err
			}
			continue
		}
		if m.Type != f.Type && !warnedType {
			warnedType = true
			msg := fmt.Sprintf("line %d holds a %s in a file of %s resources; each line is sent as the type it says", line.Num, m.Type, f.Type)
			if err := emit(ctx, outcomes, outcome{problem: &FileProblem{File: f.Name, Line: line.Num, Err: msg}, warnOnly: true}); err != nil {
				return err
			}
		}
		if cur == nil {
			index++
			cur = &batch{step: step, file: f.Name, index: index, of: max(of, index), b: fhir.NewBuilder(fhir.Batch)}
		}
		cur.b.Add(m.Type, m.ID, line.Data)
		cur.entries = append(cur.entries, entry{line: line.Num, typ: m.Type, id: m.ID})
		if len(cur.entries) >= u.opts.BatchSize {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// emit hands an outcome to the collector, which reads until the step
// ends, so this never blocks for long and nothing read is dropped. It
// returns ctx's error so that the producer stops when the upload does.
func emit(ctx context.Context, outcomes chan<- outcome, o outcome) error {
	outcomes <- o
	return ctx.Err()
}
