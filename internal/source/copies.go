package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Copies keeps a copy of each file the first time it is read to the end,
// in a folder of dir, so that later reads (an upload reads its input
// twice: to plan, then to send) come from the copy and a bucket's objects
// are fetched once per run. A read that stops early keeps nothing; the
// next one fetches again. Close removes the folder.
type Copies struct {
	dir string
	mu  sync.Mutex
	n   int
	// bytes counts the bytes copied.
	bytes int64
}

// NewCopies makes the copies' folder in dir.
func NewCopies(dir string) (*Copies, error) {
	d, err := os.MkdirTemp(dir, "minio-to-fhir-copies-")
	if err != nil {
		return nil, fmt.Errorf("copies of the input: %w", err)
	}
	return &Copies{dir: d}, nil
}

// Bytes returns the bytes the copies hold.
func (s *Copies) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// Close removes the copies and their folder.
func (s *Copies) Close() error { return os.RemoveAll(s.dir) }

// Files returns files whose Open reads through the copies.
func (s *Copies) Files(files []File) []File {
	out := make([]File, len(files))
	for i, f := range files {
		if f.Err == nil && f.Open != nil {
			sf := &copied{s: s, open: f.Open}
			f.Open = sf.Open
		}
		out[i] = f
	}
	return out
}

// copied is one file of Copies.
type copied struct {
	s    *Copies
	open func(ctx context.Context) (io.ReadCloser, error)
	mu   sync.Mutex
	path string // set once a copy is complete
}

// Open returns the copy when there is one, else the file itself, copied
// as it is read.
func (f *copied) Open(ctx context.Context) (io.ReadCloser, error) {
	f.mu.Lock()
	path := f.path
	f.mu.Unlock()
	if path != "" {
		return os.Open(path)
	}
	rc, err := f.open(ctx)
	if err != nil {
		return nil, err
	}
	f.s.mu.Lock()
	f.s.n++
	name := filepath.Join(f.s.dir, strconv.Itoa(f.s.n))
	f.s.mu.Unlock()
	w, err := os.OpenFile(name+".partial", os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("copies of the input: %w", err)
	}
	return &teeReader{f: f, rc: rc, w: w, name: name}, nil
}

// teeReader copies what it reads into its file, and keeps the copy when
// it reaches the end.
type teeReader struct {
	f    *copied
	rc   io.ReadCloser
	w    *os.File
	name string
	n    int64
	werr error
	eof  bool
}

func (t *teeReader) Read(p []byte) (int, error) {
	n, err := t.rc.Read(p)
	if n > 0 && t.werr == nil {
		if _, werr := t.w.Write(p[:n]); werr != nil {
			t.werr = fmt.Errorf("copies of the input: %w", werr)
		}
		t.n += int64(n)
	}
	if err == io.EOF {
		t.eof = true
	}
	if t.werr != nil && err == nil {
		// A full disk stops the read: the run says so and loses nothing.
		return n, t.werr
	}
	return n, err
}

// Close keeps the copy if the whole file was read into it.
func (t *teeReader) Close() error {
	err := t.rc.Close()
	cerr := t.w.Close()
	if t.eof && t.werr == nil && cerr == nil && err == nil {
		if rerr := os.Rename(t.name+".partial", t.name); rerr == nil {
			t.f.mu.Lock()
			t.f.path = t.name
			t.f.mu.Unlock()
			t.f.s.mu.Lock()
			t.f.s.bytes += t.n
			t.f.s.mu.Unlock()
			return nil
		}
	}
	os.Remove(t.name + ".partial")
	return err
}
