package transfer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

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
// Records are committed in groups: the failure log is made durable, then
// the records are written and made durable, at most once per commitEvery
// (and at the end of every stage and run). A fast server confirms
// thousands of batches a second, and two fsyncs each would cost more CPU
// than the upload itself; what a crash loses is at most the last
// commitEvery of confirmations, whose batches the next run sends again
// (the server answers them "unchanged").
type checkpoint struct {
	path    string
	done    map[string]*ckptRecord
	f       *os.File
	flog    *failureLog
	pending []byte // records not yet committed, one JSON line each
	last    time.Time
	now     func() time.Time
}

// commitEvery bounds how often the checkpoint is committed.
const commitEvery = 200 * time.Millisecond

// openCheckpoint loads the checkpoint at path, if any ("" keeps none). A
// torn last line (a crash while writing it) is ignored.
func openCheckpoint(path string) (*checkpoint, error) {
	c := &checkpoint{path: path, done: map[string]*ckptRecord{}, now: time.Now}
	if path == "" {
		return c, nil
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		var rec ckptRecord
		if len(line) > 0 && json.Unmarshal(line, &rec) == nil && rec.ID != "" {
			c.done[rec.ID] = &rec
		}
	}
	return c, nil
}

// resumed reports whether an earlier run left confirmed batches.
func (c *checkpoint) resumed() bool { return len(c.done) > 0 }

// lookup returns the record of a confirmed batch, or nil.
func (c *checkpoint) lookup(id string) *ckptRecord {
	if c == nil {
		return nil
	}
	return c.done[id]
}

// record adds a confirmed batch, whose failure records are written to
// flog, and commits when the last commit is commitEvery old.
func (c *checkpoint) record(rec ckptRecord, flog *failureLog) error {
	if c.path == "" {
		return nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	c.pending = append(append(c.pending, b...), '\n')
	c.flog = flog
	if c.now().Sub(c.last) < commitEvery {
		return nil
	}
	return c.commit()
}

// commit makes the failure records durable, then the pending records.
func (c *checkpoint) commit() error {
	if len(c.pending) == 0 {
		return nil
	}
	if err := c.flog.sync(); err != nil {
		return err
	}
	return c.writePending()
}

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

// close ends the checkpoint; a finished job needs it no more. The failure
// log is closed (and so durable) before: an unfinished job's pending
// records are committed without it.
func (c *checkpoint) close(finished bool) error {
	if !finished && len(c.pending) > 0 {
		if err := c.writePending(); err != nil {
			return err
		}
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
