package transfer

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestJournalGroupCommit: checkpoint records are durable at once when the
// last commit is old, held back (and committed by commit or an unfinished
// close) when it is recent, and the failure log is flushed before them.
func TestJournalGroupCommit(t *testing.T) {
	tmp := t.TempDir()
	path := filepath.Join(tmp, "ck", "job.ckpt")
	flogPath := filepath.Join(tmp, "f.log")
	j, err := openJournal(path, flogPath)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1000, 0)
	j.ckpt.now = func() time.Time { return clock }
	onDisk := func() int {
		t.Helper()
		c2, err := openCheckpoint(path)
		if err != nil {
			t.Fatal(err)
		}
		return len(c2.done)
	}
	steps := []struct {
		advance time.Duration
		id      string
		want    int // records on disk after it
	}{
		{0, "a", 1},                     // the first commits at once
		{10 * time.Millisecond, "b", 1}, // too soon: held
		{50 * time.Millisecond, "c", 1}, // still too soon
		{commitEvery, "d", 4},           // old enough: all four
		{time.Millisecond, "e", 4},      // held again
	}
	for _, st := range steps {
		clock = clock.Add(st.advance)
		if err := j.fail(Failure{File: "x.ndjson", Line: 1, Batch: st.id, Error: "e"}); err != nil {
			t.Fatal(err)
		}
		if err := j.confirm(ckptRecord{ID: st.id}); err != nil {
			t.Fatal(err)
		}
		if got := onDisk(); got != st.want {
			t.Fatalf("after %q: %d records on disk, want %d", st.id, got, st.want)
		}
		if st.want > 0 {
			// What the checkpoint holds, the failure log holds too.
			b, err := os.ReadFile(flogPath)
			if err != nil {
				t.Fatal(err)
			}
			if n := countLines(b); n < st.want {
				t.Fatalf("after %q: the checkpoint holds %d batches but the failure log only %d records", st.id, st.want, n)
			}
		}
	}
	if err := j.commit(); err != nil {
		t.Fatal(err)
	}
	if got := onDisk(); got != 5 {
		t.Fatalf("after commit: %d records on disk, want 5", got)
	}
	clock = clock.Add(time.Millisecond)
	if err := j.confirm(ckptRecord{ID: "f"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.close(false); err != nil {
		t.Fatal(err)
	}
	if got := onDisk(); got != 6 {
		t.Fatalf("after an unfinished close: %d records on disk, want 6", got)
	}
}

func countLines(b []byte) int {
	n := 0
	for _, c := range b {
		if c == '\n' {
			n++
		}
	}
	return n
}
