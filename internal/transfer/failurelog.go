package transfer

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/minio-to-fhir/minio-to-fhir/internal/failurelog"
)

// Failure is one record of the failure log (failurelog.Record).
type Failure = failurelog.Record

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
		if len(line) == 0 {
			continue
		}
		if batch, ok := failurelog.BatchOf(line); !ok || l.keep != nil && !l.keep(batch) {
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
	b, err := failurelog.Encode(rec)
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
