package transfer

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

// ErrCheckpoint marks a checkpoint that cannot be read.
var ErrCheckpoint = errors.New("checkpoint")

// ckptRecord is one confirmed batch: the server answered it (or it was
// final, like a batch of rejected lines), its failures are in the failure
// log, and a resumed run does not send it again.
type ckptRecord struct {
	ID      string            `json:"id"`
	ByType  map[string]Counts `json:"byType"`
	Retries int               `json:"retries,omitempty"`
}

// checkpoint is an append-only file of confirmed batches. Batches are
// named by where their lines come from, so that the same input, batch
// size and order make the same names on every run.
//
// Records are committed in groups, by the journal: the failure log is
// made durable, then the records are written and made durable, at most
// once per commitEvery (and at the end of every stage and run). A fast server confirms
// thousands of batches a second, and two fsyncs each would cost more CPU
// than the upload itself; what a crash loses is at most the last
// commitEvery of confirmations, whose batches the next run sends again
// (the server answers them "unchanged").
type checkpoint struct {
	path string
	// done indexes the confirmed batches of earlier runs, sorted by the
	// hash of their id: where each record is in the file. The records
	// stay on disk and are read back one at a time, so that resuming a
	// job of millions of batches costs 24 bytes of memory a batch (a hash, an offset, a length).
	done []ckptEntry
	seed maphash.Seed
	rd   *os.File // the checkpoint as it was opened, for the records
	f    *os.File
	// pending records not yet committed, one JSON line each
	pending []byte
	last    time.Time
	now     func() time.Time
}

// ckptEntry is where one record of the checkpoint is.
type ckptEntry struct {
	hash uint64
	off  int64
	n    int32
}

// commitEvery bounds how often the checkpoint is committed.
const commitEvery = 200 * time.Millisecond

// maxCkptLine bounds a checkpoint record (its counts by type are few).
const maxCkptLine = 1 << 20

// openCheckpoint indexes the checkpoint at path, if any ("" keeps none),
// reading it as a stream. A torn last line (a crash while writing it) is
// ignored; a damaged line before it is an error (ErrCheckpoint) that
// names the line.
func openCheckpoint(path string) (*checkpoint, error) {
	c := &checkpoint{path: path, seed: maphash.MakeSeed(), now: time.Now}
	if path == "" {
		return c, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	if err := c.index(f); err != nil {
		f.Close()
		return nil, err
	}
	c.rd = f
	return c, nil
}

// index reads the records of f into c.done.
func (c *checkpoint) index(f *os.File) error {
	r := bufio.NewReaderSize(f, maxCkptLine)
	off := int64(0)
	for num := 1; ; num++ {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("%w %s: line %d is longer than %d bytes; --fresh starts over", ErrCheckpoint, c.path, num, r.Size())
		}
		if err == io.EOF {
			break // a torn last line, or none
		}
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		var rec ckptRecord
		if err := json.Unmarshal(line, &rec); err != nil || rec.ID == "" {
			return fmt.Errorf("%w %s: line %d is damaged; --fresh starts over (what was loaded stays: the server answers \"unchanged\")", ErrCheckpoint, c.path, num)
		}
		c.done = append(c.done, ckptEntry{hash: maphash.String(c.seed, rec.ID), off: off, n: int32(len(line))})
		off += int64(len(line))
	}
	// By hash; of records of one batch (a batch confirmed again), the last.
	slices.SortStableFunc(c.done, func(a, b ckptEntry) int { return cmp.Compare(a.hash, b.hash) })
	return nil
}

// resumed reports whether an earlier run left confirmed batches.
func (c *checkpoint) resumed() bool { return len(c.done) > 0 }

// lookup returns the record of a confirmed batch, or nil.
func (c *checkpoint) lookup(id string) *ckptRecord {
	if c == nil || len(c.done) == 0 {
		return nil
	}
	h := maphash.String(c.seed, id)
	i, _ := slices.BinarySearchFunc(c.done, h, func(e ckptEntry, h uint64) int { return cmp.Compare(e.hash, h) })
	var found *ckptRecord
	for ; i < len(c.done) && c.done[i].hash == h; i++ {
		e := c.done[i]
		buf := make([]byte, e.n)
		if _, err := c.rd.ReadAt(buf, e.off); err != nil {
			return found // read when opened: a reader of the same file does not fail
		}
		var rec ckptRecord
		if json.Unmarshal(buf, &rec) == nil && rec.ID == id {
			found = &rec
		}
	}
	return found
}

// add holds a confirmed batch's record for the next commit, and reports
// whether a commit is due: the last one is commitEvery old.
func (c *checkpoint) add(rec ckptRecord) (due bool, err error) {
	if c.path == "" {
		return false, nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("checkpoint: %w", err)
	}
	c.pending = append(append(c.pending, b...), '\n')
	return c.now().Sub(c.last) >= commitEvery, nil
}

// pendingRecords reports whether records wait for a commit.
func (c *checkpoint) pendingRecords() bool { return len(c.pending) > 0 }

// writePending appends the pending records and makes them durable.
func (c *checkpoint) writePending() error {
	if c.f == nil {
		if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		f, err := os.OpenFile(c.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		c.f = f
	}
	if _, err := c.f.Write(c.pending); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	c.pending = c.pending[:0]
	c.last = c.now()
	return nil
}

// close ends the checkpoint; a finished job needs it no more. The journal
// closes the failure log (and so makes it durable) before: an unfinished
// job's pending records are committed without it.
func (c *checkpoint) close(finished bool) error {
	if !finished && len(c.pending) > 0 {
		if err := c.writePending(); err != nil {
			return err
		}
	}
	if c.rd != nil {
		c.rd.Close()
	}
	if c.f != nil {
		if err := c.f.Close(); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	if finished && c.path != "" {
		return removeIfExists(c.path)
	}
	return nil
}

// Identity names an upload job: the input files (name, size, version),
// the order and the batch size (and the other limits of a batch, given
// as limits), and the server. A changed input makes
// another identity, so its checkpoint is not mistaken for the old one.
func Identity(p *plan.Plan, order string, batchSize int, server string, limits ...int) string {
	h := sha256.New()
	w := bufio.NewWriter(h)
	fmt.Fprintf(w, "v1\x00%s\x00%d\x00%s\x00", order, batchSize, server)
	for _, l := range limits {
		fmt.Fprintf(w, "%d\x00", l) // the other limits of a batch
	}
	for _, st := range p.Steps {
		for _, f := range st.Files {
			w.WriteString(f.Name + "\x00" + strconv.FormatInt(f.Size, 10) + "\x00" + f.Version + "\x00")
		}
	}
	w.Flush()
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// CheckpointPath is the checkpoint of loading p with opts to server, in
// dir: its name changes with whatever changes the batches (Identity), so
// that only the same load resumes it. With fresh, an existing one is
// removed first. resuming reports that one is there to resume.
func CheckpointPath(dir string, p *plan.Plan, order, server string, opts Options, fresh bool) (path string, resuming bool, err error) {
	path = filepath.Join(dir, Identity(p, order, opts.BatchSize, server, opts.BatchBytes, opts.BatchRefs)+".ckpt")
	if fresh {
		if err := removeIfExists(path); err != nil {
			return "", false, fmt.Errorf("remove checkpoint: %w", err)
		}
	}
	_, err = os.Stat(path)
	return path, err == nil, nil
}
