package plan

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
)

// pair is a record of the planner's sorts: a key (a hash of Type/id) and
// a value that says where it comes from (for a reference, the ordinal of
// the resource that holds it and the reference's position there).
type pair struct{ key, val uint64 }

// comparePairs orders pairs by key, then value. Sorting spends most of
// its time here: plain comparisons take about half the time of cmp.Or of
// cmp.Compare.
func comparePairs(a, b pair) int {
	switch {
	case a.key < b.key:
		return -1
	case a.key > b.key:
		return 1
	case a.val < b.val:
		return -1
	case a.val > b.val:
		return 1
	}
	return 0
}

// pairBytes is the size of a pair on disk.
const pairBytes = 16

// defaultSortMemory is the memory a sorter fills before it writes a sorted
// run to disk: 512 Ki pairs, 8 MiB. Planning a million MIMIC-shaped
// resources writes a few runs; a larger buffer saves little time there.
const defaultSortMemory = 8 << 20

// maxFanIn bounds the runs one merge reads at once (each with a read
// buffer of runBuffer bytes); finish merges groups of runs into longer
// ones until no more are left.
const (
	maxFanIn  = 128
	runBuffer = 32 << 10
)

// sorter sorts any number of pairs in bounded memory: it keeps up to
// max pairs, and when they are full sorts them and writes them as a run
// to a temporary file of dir (removed while open, so a crash leaves
// nothing behind). Reading merges the runs. An input that fits in memory
// is never written.
type sorter struct {
	dir  string
	buf  []pair
	max  int
	runs []run
	f    *os.File // holds every run, one after the other
	off  int64
	// disk is the number of bytes written to the temporary file.
	disk int64
	// bufs, when set, lends the buffer and takes it back once the pairs
	// are on disk or the sorter is closed: sorts that follow each other
	// share buffers rather than each leaving one to the collector.
	bufs *[][]pair
}

// run is a sorted run of the temporary file: n pairs from off.
type run struct{ off, n int64 }

func newSorter(dir string, memory int) *sorter {
	return &sorter{dir: dir, max: max(1024, memory/pairBytes)}
}

// add adds a pair.
func (s *sorter) add(key, val uint64) error {
	if len(s.buf) == s.max {
		if err := s.spill(); err != nil {
			return err
		}
	}
	if s.buf == nil {
		s.buf = s.borrow()
	}
	s.buf = append(s.buf, pair{key, val})
	return nil
}

// borrow returns an empty buffer for s.max pairs. Without s.bufs it is
// made all at once (growing by doubling would hold two copies); with it,
// it is a spare one, or a small one that grows, since many of the sorts
// that share buffers are small.
func (s *sorter) borrow() []pair {
	if s.bufs == nil {
		return make([]pair, 0, s.max)
	}
	if free := *s.bufs; len(free) > 0 {
		b := free[len(free)-1]
		*s.bufs = free[:len(free)-1]
		return b[:0]
	}
	return make([]pair, 0, min(s.max, 4096))
}

// release drops the buffer, giving it back to s.bufs if set and full
// grown.
func (s *sorter) release() {
	if s.bufs != nil && cap(s.buf) >= s.max {
		*s.bufs = append(*s.bufs, s.buf)
	}
	s.buf = nil
}

// spill sorts the pairs in memory and writes them as a run.
func (s *sorter) spill() error {
	slices.SortFunc(s.buf, comparePairs)
	if s.f == nil {
		f, err := os.CreateTemp(s.dir, "minio-to-fhir-sort-*")
		if err != nil {
			return fmt.Errorf("planner's sort file: %w", err)
		}
		_ = os.Remove(f.Name()) // open, it stays readable
		s.f = f
	}
	w := bufio.NewWriterSize(io.NewOffsetWriter(s.f, s.off), 256<<10)
	var b [pairBytes]byte
	for _, p := range s.buf {
		binary.LittleEndian.PutUint64(b[:8], p.key)
		binary.LittleEndian.PutUint64(b[8:], p.val)
		if _, err := w.Write(b[:]); err != nil {
			return fmt.Errorf("planner's sort file: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("planner's sort file: %w", err)
	}
	n := int64(len(s.buf))
	s.runs = append(s.runs, run{off: s.off, n: n})
	s.off += n * pairBytes
	s.disk = s.off
	s.buf = s.buf[:0]
	return nil
}

// mergeRuns merges the first maxFanIn runs into one, written after the
// others, until at most maxFanIn are left. The space of merged runs is
// not given back: the file grows by the size of the data once per level.
func (s *sorter) mergeRuns() error {
	for len(s.runs) > maxFanIn {
		it := s.merging(s.runs[:maxFanIn])
		w := bufio.NewWriterSize(io.NewOffsetWriter(s.f, s.off), 256<<10)
		var b [pairBytes]byte
		n := int64(0)
		for p, ok := it.next(); ok; p, ok = it.next() {
			binary.LittleEndian.PutUint64(b[:8], p.key)
			binary.LittleEndian.PutUint64(b[8:], p.val)
			if _, err := w.Write(b[:]); err != nil {
				return fmt.Errorf("planner's sort file: %w", err)
			}
			n++
		}
		if err := it.Err(); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("planner's sort file: %w", err)
		}
		s.runs = append(s.runs[maxFanIn:], run{off: s.off, n: n})
		s.off += n * pairBytes
		s.disk = s.off
	}
	return nil
}

// finish ends the adding: the pairs still in memory are sorted, and
// written as a run when there are runs on disk already, so that reading
// merges runs only.
func (s *sorter) finish() error {
	if len(s.runs) > 0 {
		if len(s.buf) > 0 {
			if err := s.spill(); err != nil {
				return err
			}
		}
		s.release()
		return s.mergeRuns()
	}
	slices.SortFunc(s.buf, comparePairs)
	return nil
}

// close removes the temporary file.
func (s *sorter) close() error {
	s.release()
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}

// iter returns the pairs in order. finish must have been called; iter may
// be called any number of times.
func (s *sorter) iter() *pairIter {
	if len(s.runs) == 0 {
		return &pairIter{mem: s.buf}
	}
	return s.merging(s.runs)
}

// merging returns the pairs of runs, merged.
func (s *sorter) merging(runs []run) *pairIter {
	it := &pairIter{h: runHeap{}}
	for _, r := range runs {
		rr := &runReader{r: bufio.NewReaderSize(io.NewSectionReader(s.f, r.off, r.n*pairBytes), runBuffer), left: r.n}
		if ok, err := rr.next(); err != nil {
			it.err = err
			return it
		} else if ok {
			it.h = append(it.h, rr)
		}
	}
	for i := len(it.h)/2 - 1; i >= 0; i-- {
		it.h.down(i)
	}
	return it
}

// pairIter gives the sorted pairs one at a time.
type pairIter struct {
	mem []pair // the pairs, when they fit in memory
	h   runHeap
	err error
}

// next returns the next pair, or false at the end or on an error (see
// Err).
func (it *pairIter) next() (pair, bool) {
	if it.err != nil {
		return pair{}, false
	}
	if it.h == nil {
		if len(it.mem) == 0 {
			return pair{}, false
		}
		p := it.mem[0]
		it.mem = it.mem[1:]
		return p, true
	}
	if len(it.h) == 0 {
		return pair{}, false
	}
	top := it.h[0]
	p := top.cur
	ok, err := top.next()
	switch {
	case err != nil:
		it.err = err
		return pair{}, false
	case ok:
		it.h.down(0)
	default:
		last := len(it.h) - 1
		it.h[0] = it.h[last]
		it.h = it.h[:last]
		it.h.down(0)
	}
	return p, true
}

// Err returns the error that ended the iteration, if any.
func (it *pairIter) Err() error { return it.err }

// runReader reads one run.
type runReader struct {
	r    *bufio.Reader
	left int64
	cur  pair
	b    [pairBytes]byte
}

func (rr *runReader) next() (bool, error) {
	if rr.left == 0 {
		return false, nil
	}
	if _, err := io.ReadFull(rr.r, rr.b[:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return false, fmt.Errorf("planner's sort file: %w", err)
	}
	rr.left--
	rr.cur = pair{binary.LittleEndian.Uint64(rr.b[:8]), binary.LittleEndian.Uint64(rr.b[8:])}
	return true, nil
}

// runHeap orders the runs by their current pair, least first. It is a
// binary heap of its own rather than container/heap's: the merges spend
// much of their time in it, and the interface's calls cost a third more.
type runHeap []*runReader

// down moves the run at i down to its place.
func (h runHeap) down(i int) {
	for {
		j := 2*i + 1
		if j >= len(h) {
			return
		}
		if r := j + 1; r < len(h) && comparePairs(h[r].cur, h[j].cur) < 0 {
			j = r
		}
		if comparePairs(h[j].cur, h[i].cur) >= 0 {
			return
		}
		h[i], h[j] = h[j], h[i]
		i = j
	}
}
