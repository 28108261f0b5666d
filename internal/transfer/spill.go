package transfer

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

// spill keeps, in temporary files, the resources of a step that must wait
// for a later wave: those that reference resources of their own step, and
// the members of reference cycles. The members of cycles go to one of
// buckets files by their cycle; a bucket is read back cycle by cycle with
// an index of 16 bytes per member in memory, one bucket at a time, so
// that memory holds at most about maxCycleIndex of them.
type spill struct {
	tempDir string
	dir     string // made on first use
	a       *plan.Analysis
	waveOf  []*spillWave
	buckets int
}

// maxCycleIndex is the most cycle members a bucket is made for: 4 MiB of
// index. Beyond maxBuckets buckets (open files of each wave), buckets
// grow instead.
const (
	maxCycleIndex = 1 << 18
	maxBuckets    = 256
)

// spillWave is one wave's spilled resources: plain ones, and cycle
// members by bucket.
type spillWave struct {
	plain  spillFile
	cycles []spillFile
}

type cycleRef struct {
	cycle uint32
	off   int64
	n     int32
}

type spillFile struct {
	f   *os.File
	w   *bufio.Writer
	off int64
	n   int
}

func newSpill(tempDir string, a *plan.Analysis) (*spill, error) {
	buckets := 1
	if a != nil {
		buckets = min(maxBuckets, buckets+a.CycleNodes/maxCycleIndex)
	}
	return &spill{tempDir: tempDir, a: a, buckets: buckets}, nil
}

// add spills a resource line to its wave.
func (s *spill) add(p plan.Placement, e entry, raw []byte) error {
	for len(s.waveOf) <= p.Wave {
		s.waveOf = append(s.waveOf, &spillWave{cycles: make([]spillFile, s.buckets)})
	}
	w := s.waveOf[p.Wave]
	f, name := &w.plain, fmt.Sprintf("wave-%d.ndjson", p.Wave)
	if p.Cycle != 0 {
		b := int(p.Cycle) % s.buckets
		f, name = &w.cycles[b], fmt.Sprintf("wave-%d-cycles-%d.ndjson", p.Wave, b)
	}
	if f.f == nil {
		if err := s.create(f, name); err != nil {
			return err
		}
	}
	// The file name is quoted: it may hold a tab or a newline.
	rec := fmt.Appendf(nil, "%q\t%d\t%s\t%s\t%d\t", e.file, e.line, e.typ, e.id, p.Cycle)
	rec = append(append(rec, raw...), '\n')
	if _, err := f.w.Write(rec); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f.off += int64(len(rec))
	f.n++
	return nil
}

func (s *spill) create(f *spillFile, name string) error {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.tempDir, "minio-to-fhir-spill-")
		if err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		s.dir = dir
	}
	file, err := os.Create(filepath.Join(s.dir, name))
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f.f, f.w = file, bufio.NewWriterSize(file, 64<<10)
	return nil
}

// pointers returns a pointer to each of fs.
func pointers(fs []spillFile) []*spillFile {
	out := make([]*spillFile, len(fs))
	for i := range fs {
		out[i] = &fs[i]
	}
	return out
}

// waves is the number of waves with spilled resources (or none).
func (s *spill) waves() int { return len(s.waveOf) }

// remove deletes the temporary files.
func (s *spill) remove() {
	for _, w := range s.waveOf {
		for _, f := range append([]*spillFile{&w.plain}, pointers(w.cycles)...) {
			if f.f != nil {
				f.f.Close()
			}
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// spilled is a resource read back from a spill file.
type spilled struct {
	e   entry
	raw []byte
}

// parseSpilled reads a record written by add.
func parseSpilled(rec []byte) (spilled, error) {
	rec = bytes.TrimSuffix(rec, []byte("\n"))
	parts := bytes.SplitN(rec, []byte("\t"), 6)
	if len(parts) != 6 {
		return spilled{}, fmt.Errorf("spill: damaged record")
	}
	file, err0 := strconv.Unquote(string(parts[0]))
	line, err1 := strconv.Atoi(string(parts[1]))
	cycle, err2 := strconv.ParseUint(string(parts[4]), 10, 32)
	if err0 != nil || err1 != nil || err2 != nil {
		return spilled{}, fmt.Errorf("spill: damaged record")
	}
	return spilled{
		e:   entry{file: file, line: line, typ: string(parts[2]), id: string(parts[3]), cycle: uint32(cycle)},
		raw: parts[5],
	}, nil
}

// eachPlain calls fn for every plain resource of wave k, in spill order.
func (s *spill) eachPlain(k int, fn func(spilled) error) error {
	return eachRecord(&s.waveOf[k].plain, func(_ int64, _ int, sp spilled) error { return fn(sp) })
}

// eachRecord calls fn for every record of f, with its offset and length,
// in spill order.
func eachRecord(f *spillFile, fn func(off int64, n int, sp spilled) error) error {
	if f.f == nil {
		return nil
	}
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f.f, 0, f.off), 256<<10)
	for off := int64(0); ; {
		rec, err := r.ReadBytes('\n')
		if err == io.EOF && len(rec) == 0 {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("spill: %w", err)
		}
		sp, perr := parseSpilled(rec)
		if perr != nil {
			return perr
		}
		if err := fn(off, len(rec), sp); err != nil {
			return err
		}
		off += int64(len(rec))
	}
}

// eachCycle calls fn with the members of every cycle of wave k, cycle by
// cycle: bucket by bucket, in the order of their cycle within one.
func (s *spill) eachCycle(k int, fn func([]spilled) error) error {
	for b := range s.waveOf[k].cycles {
		if err := eachBucketCycle(&s.waveOf[k].cycles[b], fn); err != nil {
			return err
		}
	}
	return nil
}

// eachBucketCycle calls fn with the members of every cycle of a bucket,
// in the order of their cycle, each cycle's in spill order.
func eachBucketCycle(f *spillFile, fn func([]spilled) error) error {
	var index []cycleRef
	err := eachRecord(f, func(off int64, n int, sp spilled) error {
		index = append(index, cycleRef{cycle: sp.e.cycle, off: off, n: int32(n)})
		return nil
	})
	if err != nil {
		return err
	}
	slices.SortStableFunc(index, func(a, b cycleRef) int { return cmp.Compare(a.cycle, b.cycle) })
	var group []spilled
	for i, ref := range index {
		buf := make([]byte, ref.n)
		if _, err := f.f.ReadAt(buf, ref.off); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		sp, err := parseSpilled(buf)
		if err != nil {
			return err
		}
		group = append(group, sp)
		if i+1 == len(index) || index[i+1].cycle != ref.cycle {
			if err := fn(group); err != nil {
				return err
			}
			group = nil
		}
	}
	return nil
}
