package transfer

import (
	"bufio"
	"bytes"
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
	// Batch names the batch in the checkpoint, so that a resumed run
	// can drop the records of batches it sends again.
	Batch string `json:"batch,omitempty"`
}

// failureLog writes records as they come, so that a crash loses none. A
// fresh run replaces an old log at the path; a resumed run keeps the
// records of the batches its checkpoint confirmed and appends. A log that
// ends empty is removed.
type failureLog struct {
	path     string
	appendTo bool // resuming
	keep     func(batch string) bool
	f        *os.File
	w        *bufio.Writer
	n        int
}

// open opens the log for appending: start has removed or filtered what
// was there.
func (l *failureLog) open() error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	l.f, l.w = f, bufio.NewWriterSize(f, 256<<10)
	return nil
}

// filter drops the records of batches that were not confirmed: the
// resumed run sends those again.
func (l *failureLog) filter() error {
	data, err := os.ReadFile(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	var kept bytes.Buffer
	for _, line := range bytes.Split(data, []byte("\n")) {
		var rec struct {
			Batch string `json:"batch"`
		}
		if len(line) == 0 || json.Unmarshal(line, &rec) != nil || l.keep != nil && !l.keep(rec.Batch) {
			continue
		}
		kept.Write(line)
		kept.WriteByte('\n')
		l.n++
	}
	tmp := l.path + ".tmp"
	if err := os.WriteFile(tmp, kept.Bytes(), 0o600); err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	return os.Rename(tmp, l.path)
}

func (l *failureLog) write(rec Failure) error {
	if l.path == "" {
		return nil
	}
	if l.f == nil {
		if err := l.open(); err != nil {
			return err
		}
	}
	if len(rec.Resource) > 0 && !(utf8.Valid(rec.Resource) && json.Valid(rec.Resource)) {
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

// sync makes what was written durable, before the checkpoint says so.
func (l *failureLog) sync() error {
	if l.f == nil {
		return nil
	}
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	return l.f.Sync()
}

// start prepares the log: a fresh run removes the log of an earlier one,
// a resumed run keeps the records of confirmed batches.
func (l *failureLog) start() error {
	switch {
	case l.path == "":
		return nil
	case l.appendTo:
		return l.filter()
	}
	return removeIfExists(l.path)
}

// close finishes the log and says where it is ("" when it holds nothing).
func (l *failureLog) close() (string, error) {
	if l.path == "" {
		return "", nil
	}
	if l.f == nil {
		if l.n > 0 {
			return l.path, nil // resumed, nothing new, old records kept
		}
		return "", removeIfExists(l.path)
	}
	err := l.sync()
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("failure log: %w", err)
	}
	if l.n == 0 {
		return "", removeIfExists(l.path)
	}
	return l.path, nil
}
