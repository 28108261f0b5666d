// Package ndjson reads newline-delimited JSON as a stream of lines, keeping
// line numbers and byte offsets, and looks at a line's resourceType and id
// without decoding the whole resource.
package ndjson

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLine is the longest line a Reader returns unless told otherwise.
const DefaultMaxLine = 256 << 20

var bom = []byte{0xEF, 0xBB, 0xBF}

// Line is one non-blank line of a stream.
type Line struct {
	Num    int    // 1-based line number in the stream
	Offset int64  // byte offset of the line's first byte in the stream
	Data   []byte // the line without its ending (LF or CRLF) and without a leading BOM
}

// LineTooLongError reports a line longer than the reader's limit. The reader
// skips the rest of that line and goes on with the next one.
type LineTooLongError struct {
	Line  int
	Size  int64
	Limit int
}

func (e *LineTooLongError) Error() string {
	return fmt.Sprintf("line %d is %d bytes, longer than the limit of %d", e.Line, e.Size, e.Limit)
}

// Reader returns the lines of an NDJSON stream one by one. Blank lines are
// skipped (but counted), CRLF endings and a UTF-8 byte order mark at the
// start are tolerated. Memory is bounded by the longest line.
type Reader struct {
	br   *bufio.Reader
	max  int
	num  int
	off  int64
	line []byte
}

// NewReader returns a Reader over r that refuses lines longer than maxLine
// bytes (DefaultMaxLine when maxLine <= 0).
func NewReader(r io.Reader, maxLine int) *Reader {
	if maxLine <= 0 {
		maxLine = DefaultMaxLine
	}
	return &Reader{br: bufio.NewReaderSize(r, 256<<10), max: maxLine}
}

// Next returns the next non-blank line, io.EOF at the end of the stream, a
// *LineTooLongError for a line over the limit (after which Next may be
// called again), or the error of the underlying reader. Line.Data is valid
// until the next call.
func (r *Reader) Next() (Line, error) {
	for {
		data, start, err := r.readLine()
		if err != nil {
			return Line{}, err
		}
		if r.num == 1 {
			data = bytes.TrimPrefix(data, bom)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			continue
		}
		return Line{Num: r.num, Offset: start, Data: data}, nil
	}
}

// readLine reads one line, whatever its content. It returns io.EOF only
// when no byte is left.
func (r *Reader) readLine() ([]byte, int64, error) {
	start := r.off
	r.line = r.line[:0]
	var size int64
	tooLong := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		size += int64(len(chunk))
		r.off += int64(len(chunk))
		if !tooLong {
			if len(r.line)+len(chunk) > r.max+2 { // +2: the line ending
				tooLong = true
				r.line = r.line[:0]
			} else if err == nil && len(r.line) == 0 && len(trimEOL(chunk)) <= r.max {
				// The whole line is in the buffer: no copy.
				r.num++
				return trimEOL(chunk), start, nil
			} else {
				r.line = append(r.line, chunk...)
			}
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && size == 0:
			return nil, start, io.EOF
		case err != nil && err != io.EOF:
			return nil, start, err
		}
		r.num++
		if tooLong {
			return nil, start, &LineTooLongError{Line: r.num, Size: size, Limit: r.max}
		}
		data := trimEOL(r.line)
		if len(data) > r.max {
			return nil, start, &LineTooLongError{Line: r.num, Size: size, Limit: r.max}
		}
		return data, start, nil
	}
}

func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte("\n"))
	return bytes.TrimSuffix(b, []byte("\r"))
}

// IsLineError reports whether err concerns a single line (the stream may go on).
func IsLineError(err error) bool {
	var tl *LineTooLongError
	return errors.As(err, &tl)
}

// LineNum is the number of the last line read (blank lines included).
func (r *Reader) LineNum() int { return r.num }
