package transfer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
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

// filter drops the records of batches that were not confirmed (the
// resumed run sends those again), reading the log as a stream into a new
// file that replaces it.
func (l *failureLog) filter() error {
	in, err := os.Open(l.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	defer in.Close()
	tmp := l.path + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	if err := l.copyKept(in, out); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("failure log: %w", err)
	}
	return os.Rename(tmp, l.path)
}

// copyKept copies the records of confirmed batches from in to out, and
// makes them durable.
func (l *failureLog) copyKept(in io.Reader, out *os.File) error {
	r := bufio.NewReaderSize(in, 256<<10)
	w := bufio.NewWriterSize(out, 256<<10)
	for {
		// A record holds a whole resource: it may be long.
		line, err := r.ReadBytes('\n')
		if len(line) > 0 && line[len(line)-1] == '\n' {
			if batch, ok := failurelog.BatchOf(line[:len(line)-1]); ok && (l.keep == nil || l.keep(batch)) {
				if _, werr := w.Write(line); werr != nil {
					return fmt.Errorf("failure log: %w", werr)
				}
				l.n++
			}
		}
		if err == io.EOF {
			break // a torn last record is dropped: its batch was not confirmed
		}
		if err != nil {
			return fmt.Errorf("failure log: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	if err := out.Sync(); err != nil {
		return fmt.Errorf("failure log: %w", err)
	}
	return nil
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
