package source

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
)

// A spool is an NDJSON file that the tool writes itself from other inputs
// (package bundle writes one per resource type from Bundle files): each
// line is a resource, or a refusal, named by where it came from. A line is
//
//	NUM "FILE" "ERROR" DATA
//
// with FILE and ERROR quoted as Go strings (strconv.Quote): DATA is the
// resource written when ERROR is empty; otherwise the line is refused
// with ERROR, and DATA (which may be empty) goes to the failure log.

// AppendSpoolLine appends one spool line, with its newline, to dst. data
// must hold no newline.
func AppendSpoolLine(dst []byte, file string, num int, errMsg string, data []byte) []byte {
	dst = strconv.AppendInt(dst, int64(num), 10)
	dst = append(dst, ' ')
	dst = strconv.AppendQuote(dst, file)
	dst = append(dst, ' ')
	dst = strconv.AppendQuote(dst, errMsg)
	dst = append(dst, ' ')
	dst = append(dst, data...)
	return append(dst, '\n')
}

// SpoolFile is an input read from a spool. KnownType is the type of its
// resources; Name, Size and Version are as for any File.
func SpoolFile(name string, size int64, version, knownType string, open func(context.Context) (io.ReadCloser, error)) File {
	return File{Name: name, Size: size, Version: version, KnownType: knownType, Open: open, spool: true}
}

// errBadSpool is a spool line that the tool did not write: not reached
// unless the spool was changed under it.
var errBadSpool = errors.New("not a line of the tool's spool")

// spoolLine decodes one spool line into a Line, or the *LineError of a
// refusal.
func spoolLine(b []byte, name string, stored int) (Line, error) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return Line{}, &LineError{File: name, Num: stored, Err: errBadSpool}
	}
	num, err := strconv.Atoi(string(b[:sp]))
	if err != nil {
		return Line{}, &LineError{File: name, Num: stored, Err: errBadSpool}
	}
	file, rest, ok1 := cutQuoted(b[sp+1:])
	msg, data, ok2 := cutQuoted(rest)
	if !ok1 || !ok2 {
		return Line{}, &LineError{File: name, Num: stored, Err: errBadSpool}
	}
	if msg != "" {
		return Line{}, &LineError{File: file, Num: num, Data: data, Err: errors.New(msg)}
	}
	return Line{Data: data, File: file, Num: num}, nil
}

// cutQuoted reads a Go-quoted string and the space after it at the start
// of b, and returns the string and the rest of b.
func cutQuoted(b []byte) (string, []byte, bool) {
	if len(b) == 0 || b[0] != '"' {
		return "", nil, false
	}
	for i := 1; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			s, err := strconv.Unquote(string(b[:i+1]))
			if err != nil || i+1 >= len(b) || b[i+1] != ' ' {
				return "", nil, false
			}
			return s, b[i+2:], true
		}
	}
	return "", nil, false
}
