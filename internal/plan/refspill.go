package plan

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

// refSpill keeps, from the first pass over the data, what the later
// passes need of each resource: its file and line, type and id, a hash of
// its content, and its local references (type and id each). The later
// passes read this back instead of the input: a fraction of the bytes,
// with no JSON to search again, no gzip to inflate again and no object to
// fetch again. It is a temporary file, removed as soon as it is open, so
// that nothing is left behind by a crash; it costs about the length of
// the ids and references read, plus 8 bytes a resource.
//
// Records, each starting with a tag byte: 'F' and a name sets the file
// name of the records that follow; 'R' line type id hash starts a
// resource; 'r' type id is one reference of the last resource; 'u' url is
// a canonical reference of the last resource by absolute URL. Numbers
// are uvarints, names and ids a uvarint length and bytes, types their
// index in fhirtype.R4, the hash 8 bytes little-endian.
//
// Every record says all a reader needs (a resource's own type, and its
// file through the last 'F'), so a reading pass does not depend on the
// order in which the inputs were written. The spill is written first,
// then read any number of times: rewind ends the writing, and a write
// after it is a bug that panics.
type refSpill struct {
	f       *os.File
	w       *bufio.Writer
	r       *bufio.Reader
	reading bool
	num     [binary.MaxVarintLen64]byte
	buf     []byte // the bytes of the resource read last
}

const (
	tagFile     = 'F'
	tagResource = 'R'
	tagRef      = 'r'
	tagURL      = 'u'
)

func newRefSpill(dir string) (*refSpill, error) {
	f, err := os.CreateTemp(dir, "minio-to-fhir-plan-*")
	if err != nil {
		return nil, fmt.Errorf("planner's temporary file: %w", err)
	}
	_ = os.Remove(f.Name()) // open, it stays readable
	return &refSpill{f: f, w: bufio.NewWriterSize(f, 256<<10)}, nil
}

func (s *refSpill) close() error { return s.f.Close() }

// size returns the bytes written to the spill so far (0 if it cannot
// tell).
func (s *refSpill) size() int64 {
	if !s.reading {
		_ = s.w.Flush()
	}
	fi, err := s.f.Stat()
	if err != nil {
		return 0
	}
	return fi.Size()
}

// writing panics once the spill is being read: what is written after the
// first rewind would be missed by the passes that already read.
func (s *refSpill) writing() {
	if s.reading {
		panic("plan: refSpill written after rewind")
	}
}

func (s *refSpill) file(name string) {
	s.writing()
	s.w.WriteByte(tagFile)
	s.bytes([]byte(name))
}

// resource starts a resource of type fhirtype.R4[ti] whose line has the
// content hash hash.
func (s *refSpill) resource(line, ti int, id []byte, hash uint64) {
	s.writing()
	s.w.WriteByte(tagResource)
	s.uvarint(uint64(line))
	s.uvarint(uint64(ti))
	s.bytes(id)
	binary.LittleEndian.PutUint64(s.num[:8], hash) // a local array would escape
	s.w.Write(s.num[:8])
}

// url adds a canonical reference by absolute URL to the last resource:
// the link pass resolves it to the resources with that url.
func (s *refSpill) url(u string) {
	s.writing()
	s.w.WriteByte(tagURL)
	s.bytes([]byte(u))
}

// ref adds a reference to a resource of type fhirtype.R4[ti].
func (s *refSpill) ref(ti int, id []byte) {
	s.writing()
	s.w.WriteByte(tagRef)
	s.uvarint(uint64(ti))
	s.bytes(id)
}

func (s *refSpill) uvarint(v uint64) {
	s.w.Write(s.num[:binary.PutUvarint(s.num[:], v)])
}

func (s *refSpill) bytes(b []byte) {
	s.uvarint(uint64(len(b)))
	s.w.Write(b)
}

// rewind ends the writing (on its first call) and makes the spill ready
// to read from the start.
func (s *refSpill) rewind() error {
	if !s.reading {
		s.reading = true
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("planner's temporary file: %w", err)
		}
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("planner's temporary file: %w", err)
	}
	s.r = bufio.NewReaderSize(s.f, 256<<10)
	return nil
}

// spilledResource is one resource read back; its id and each reference's
// id are valid until the next call of each's function.
type spilledResource struct {
	file string
	line int
	typ  string
	id   []byte
	hash uint64
	refs []spilledRef
}

// spilledRef is a reference: to typ/id, or (typ "") to the canonical
// url id.
type spilledRef struct {
	typ string
	id  []byte
}

// each rewinds the spill and calls fn with every resource and its
// references, in the order written. It checks ctx at each file.
func (s *refSpill) each(ctx context.Context, fn func(r *spilledResource)) error {
	if err := s.rewind(); err != nil {
		return err
	}
	rd := spillReader{s: s, fn: fn}
	for {
		tag, err := s.r.ReadByte()
		if err == io.EOF {
			rd.done()
			return nil
		}
		if err != nil {
			return s.readErr(err)
		}
		if tag == tagFile {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := rd.record(tag); err != nil {
			return err
		}
	}
}

// spillReader gathers the records of one resource, and hands it to fn
// when the next resource or file starts.
type spillReader struct {
	s   *refSpill
	fn  func(r *spilledResource)
	cur spilledResource
	// spans are cur's id, then its references, in s.buf.
	spans []span
}

type span struct {
	typ        string
	start, end int
}

// done hands on the resource gathered so far, if any.
func (rd *spillReader) done() {
	s, cur := rd.s, &rd.cur
	if len(rd.spans) == 0 {
		return
	}
	cur.typ, cur.id = rd.spans[0].typ, s.buf[rd.spans[0].start:rd.spans[0].end]
	cur.refs = cur.refs[:0]
	for _, sp := range rd.spans[1:] {
		cur.refs = append(cur.refs, spilledRef{typ: sp.typ, id: s.buf[sp.start:sp.end]})
	}
	rd.fn(cur)
	rd.spans, s.buf = rd.spans[:0], s.buf[:0]
}

// record reads the rest of a record whose tag was read.
func (rd *spillReader) record(tag byte) error {
	s := rd.s
	switch tag {
	case tagFile:
		rd.done()
		if err := s.readBytes(); err != nil {
			return err
		}
		rd.cur.file = string(s.buf)
		s.buf = s.buf[:0]
	case tagResource:
		rd.done()
		if err := s.readResource(&rd.cur); err != nil {
			return err
		}
		rd.spans = append(rd.spans, span{typ: rd.cur.typ, start: 0, end: len(s.buf)})
	case tagRef, tagURL:
		if len(rd.spans) == 0 {
			return errors.New("planner's temporary file: a reference before any resource")
		}
		t := ""
		if tag == tagRef {
			var err error
			if t, err = s.readType(); err != nil {
				return err
			}
		}
		start := len(s.buf)
		if err := s.readBytes(); err != nil {
			return err
		}
		rd.spans = append(rd.spans, span{typ: t, start: start, end: len(s.buf)})
	default:
		return fmt.Errorf("planner's temporary file: unknown record %q", tag)
	}
	return nil
}

// readResource reads the rest of an 'R' record: its line, type and hash
// into cur, its id into s.buf (which is empty).
func (s *refSpill) readResource(cur *spilledResource) error {
	line, err := binary.ReadUvarint(s.r)
	if err != nil {
		return s.readErr(err)
	}
	t, err := s.readType()
	if err != nil {
		return err
	}
	if err := s.readBytes(); err != nil {
		return err
	}
	if _, err := io.ReadFull(s.r, s.num[:8]); err != nil {
		return s.readErr(err)
	}
	cur.line, cur.typ, cur.hash = int(line), t, binary.LittleEndian.Uint64(s.num[:8])
	return nil
}

func (s *refSpill) readType() (string, error) {
	i, err := binary.ReadUvarint(s.r)
	if err != nil {
		return "", s.readErr(err)
	}
	if i >= uint64(len(fhirtype.R4)) {
		return "", fmt.Errorf("planner's temporary file: unknown type %d", i)
	}
	return fhirtype.R4[i], nil
}

// readBytes appends a length-prefixed byte string to s.buf.
func (s *refSpill) readBytes() error {
	n, err := binary.ReadUvarint(s.r)
	if err != nil {
		return s.readErr(err)
	}
	if n > 1<<20 {
		return fmt.Errorf("planner's temporary file: a record of %d bytes", n)
	}
	start := len(s.buf)
	s.buf = append(s.buf, make([]byte, n)...)
	if _, err := io.ReadFull(s.r, s.buf[start:]); err != nil {
		return s.readErr(err)
	}
	return nil
}

func (s *refSpill) readErr(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("planner's temporary file: %w", err)
}
