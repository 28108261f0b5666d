package transfer

import (
	"bufio"
	"bytes"
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
// the members of reference cycles. Memory holds only 16 bytes per cycle
// member, to group cycles when they are sent.
type spill struct {
	tempDir string
	dir     string // made on first use
	a       *plan.Analysis
	waveOf  []*spillWave
}

// spillWave is one wave's spilled resources: plain ones, and cycle
// members with an index to read them cycle by cycle.
type spillWave struct {
	plain  spillFile
	cycles spillFile
	index  []cycleRef
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
	return &spill{tempDir: tempDir, a: a}, nil
}

// add spills a resource line to its wave.
func (s *spill) add(p plan.Placement, e entry, raw []byte) error {
	for len(s.waveOf) <= p.Wave {
		s.waveOf = append(s.waveOf, &spillWave{})
	}
	w := s.waveOf[p.Wave]
	f := &w.plain
	if p.Cycle != 0 {
		f = &w.cycles
	}
	if f.f == nil {
		if err := s.create(f, p.Wave, p.Cycle != 0); err != nil {
			return err
		}
	}
	// The file name is quoted: it may hold a tab or a newline.
	rec := fmt.Appendf(nil, "%q\t%d\t%s\t%s\t%d\t", e.file, e.line, e.typ, e.id, p.Cycle)
	rec = append(append(rec, raw...), '\n')
	if p.Cycle != 0 {
		w.index = append(w.index, cycleRef{cycle: p.Cycle, off: f.off, n: int32(len(rec))})
	}
	if _, err := f.w.Write(rec); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f.off += int64(len(rec))
	f.n++
	return nil
}

func (s *spill) create(f *spillFile, wave int, cycles bool) error {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.tempDir, "minio-to-fhir-spill-")
		if err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		s.dir = dir
	}
	name := fmt.Sprintf("wave-%d.ndjson", wave)
	if cycles {
		name = fmt.Sprintf("wave-%d-cycles.ndjson", wave)
	}
	file, err := os.Create(filepath.Join(s.dir, name))
	if err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	f.f, f.w = file, bufio.NewWriterSize(file, 256<<10)
	return nil
}

// waves is the number of waves with spilled resources (or none).
func (s *spill) waves() int { return len(s.waveOf) }

// remove deletes the temporary files.
func (s *spill) remove() {
	for _, w := range s.waveOf {
		for _, f := range []*spillFile{&w.plain, &w.cycles} {
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
	f := &s.waveOf[k].plain
	if f.f == nil {
		return nil
	}
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	r := bufio.NewReaderSize(io.NewSectionReader(f.f, 0, f.off), 256<<10)
	for {
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
		if err := fn(sp); err != nil {
			return err
		}
	}
}

// eachCycle calls fn with the members of every cycle of wave k, cycle by
// cycle.
func (s *spill) eachCycle(k int, fn func([]spilled) error) error {
	w := s.waveOf[k]
	f := &w.cycles
	if f.f == nil {
		return nil
	}
	if err := f.w.Flush(); err != nil {
		return fmt.Errorf("spill: %w", err)
	}
	slices.SortStableFunc(w.index, func(a, b cycleRef) int {
		if a.cycle != b.cycle {
			if a.cycle < b.cycle {
				return -1
			}
			return 1
		}
		return int(a.off - b.off)
	})
	var group []spilled
	for i, ref := range w.index {
		buf := make([]byte, ref.n)
		if _, err := f.f.ReadAt(buf, ref.off); err != nil {
			return fmt.Errorf("spill: %w", err)
		}
		sp, err := parseSpilled(buf)
		if err != nil {
			return err
		}
		group = append(group, sp)
		if i+1 == len(w.index) || w.index[i+1].cycle != ref.cycle {
			if err := fn(group); err != nil {
				return err
			}
			group = nil
		}
	}
	return nil
}
