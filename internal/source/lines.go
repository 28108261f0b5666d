package source

import (
	"context"
	"errors"
	"io"

	"github.com/minio-to-fhir/minio-to-fhir/internal/failurelog"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
)

// Line is one non-blank line of an input, named by where it first came
// from: its file and line, or for a failure log's record the file and
// line it failed in.
type Line struct {
	Data []byte // valid until the next call of Next
	File string
	Num  int
}

// LineError is a line that cannot be used; the lines after it can. It
// names the line as Line does.
type LineError struct {
	File string
	Num  int
	// Data is the stored line, when it is to be kept in the failure log.
	Data []byte
	Err  error
}

func (e *LineError) Error() string { return e.Err.Error() }
func (e *LineError) Unwrap() error { return e.Err }

// Errors of a replayed failure log's lines.
var (
	ErrNotRecord = errors.New("not a failure-log record")
	ErrNotKept   = errors.New("the line was not kept in the failure log (too long); send its file again")
)

// Lines reads the lines of a File, whatever it is: NDJSON (gzip undone)
// or the records of a failure log, whose lines are the ones they failed
// for.
type Lines struct {
	rc      io.ReadCloser
	r       *ndjson.Reader
	name    string
	records bool
	spool   bool
}

// OpenLines opens f for reading its lines, none longer than maxLine
// bytes (ndjson.DefaultMaxLine when maxLine <= 0).
func (f File) OpenLines(ctx context.Context, maxLine int) (*Lines, error) {
	rc, err := OpenNDJSON(ctx, f)
	if err != nil {
		return nil, err
	}
	return &Lines{rc: rc, r: ndjson.NewReader(rc, maxLine), name: f.Name, records: f.records, spool: f.spool}, nil
}

// Next returns the next line; io.EOF at the end; a *LineError for a line
// that cannot be used, after which Next may be called again; or the error
// that stopped the reading.
func (l *Lines) Next() (Line, error) {
	line, err := l.r.Next()
	if err != nil {
		var tl *ndjson.LineTooLongError
		if errors.As(err, &tl) {
			return Line{}, &LineError{File: l.name, Num: tl.Line, Err: err}
		}
		return Line{}, err
	}
	if l.spool {
		return spoolLine(line.Data, l.name, line.Num)
	}
	if !l.records {
		return Line{Data: line.Data, File: l.name, Num: line.Num}, nil
	}
	rec, ok := failurelog.Decode(line.Data)
	switch {
	case !ok:
		return Line{}, &LineError{File: l.name, Num: line.Num, Data: line.Data, Err: ErrNotRecord}
	case rec.Data() == nil:
		return Line{}, &LineError{File: rec.File, Num: rec.Line, Err: ErrNotKept}
	}
	return Line{Data: rec.Data(), File: rec.File, Num: rec.Line}, nil
}

// Stored is the number of the last line read from the stored file, blank
// lines included.
func (l *Lines) Stored() int { return l.r.LineNum() }

// Close closes the file.
func (l *Lines) Close() error { return l.rc.Close() }
