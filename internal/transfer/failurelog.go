package transfer

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"unicode/utf8"
)

// Failure is one record of the failure log: a resource that is not on the
// server, why, and the resource itself so that it can be sent again.
type Failure struct {
	File         string          `json:"file"`
	Line         int             `json:"line"`
	ResourceType string          `json:"resourceType,omitempty"`
	ID           string          `json:"id,omitempty"`
	Status       int             `json:"status,omitempty"` // HTTP status of the entry; 0 if never sent
	Error        string          `json:"error"`
	Resource     json.RawMessage `json:"resource,omitempty"` // the line, when it is a JSON object
	Raw          string          `json:"raw,omitempty"`      // the line, when it is not
}

// failureLog writes records to path.partial and moves it over path when
// closed, so an old log is replaced only by a complete new one. With no
// record, no file is made and an old log at path is removed: it speaks of
// an earlier run.
type failureLog struct {
	path string
	f    *os.File
	w    *bufio.Writer
	n    int
}

func (l *failureLog) write(rec Failure) error {
	if l.path == "" {
		return nil
	}
	if l.f == nil {
		f, err := os.OpenFile(l.path+".partial", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("failure log: %w", err)
		}
		l.f, l.w = f, bufio.NewWriterSize(f, 256<<10)
	}
	if len(rec.Resource) > 0 && !json.Valid(rec.Resource) {
		rec.Raw, rec.Resource = string(rec.Resource), nil
	}
	if !utf8.ValidString(rec.Raw) {
		rec.Raw = ""
		rec.Error += " (the line is not UTF-8 and is not copied here)"
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	l.w.Write(b)
	l.n++
	if err := l.w.WriteByte('\n'); err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	return nil
}

// close finishes the log and says where it is ("" when it holds nothing).
func (l *failureLog) close() (string, error) {
	if l.path == "" {
		return "", nil
	}
	if l.f == nil {
		if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("remove old failure log: %w", err)
		}
		return "", nil
	}
	err := l.w.Flush()
	if serr := l.f.Sync(); err == nil {
		err = serr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(l.path+".partial", l.path)
	}
	if err != nil {
		return "", fmt.Errorf("failure log: %w", err)
	}
	return l.path, nil
}
