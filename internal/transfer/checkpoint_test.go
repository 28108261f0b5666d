package transfer

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckpointRead reads checkpoints as earlier runs and crashes leave
// them: the records are found by id, the last of a batch confirmed twice
// wins, a torn last line is ignored and a damaged line before it is an
// error that names it.
func TestCheckpointRead(t *testing.T) {
	rec := func(id string, created int) string {
		return fmt.Sprintf(`{"id":%q,"byType":{"Patient":{"created":%d}}}`, id, created) + "\n"
	}
	tests := []struct {
		name    string
		content string
		want    map[string]int // id -> created; absent ids are nil
		wantErr string
	}{
		{name: "none", content: "", want: map[string]int{"a#1": -1}},
		{name: "records", content: rec("a#1", 1) + rec("a#2", 2) + rec("b#1", 3),
			want: map[string]int{"a#1": 1, "a#2": 2, "b#1": 3, "c#1": -1}},
		{name: "confirmed twice: the last", content: rec("a#1", 1) + rec("a#1", 7), want: map[string]int{"a#1": 7}},
		{name: "torn last line", content: rec("a#1", 1) + `{"id":"a#2","byT`, want: map[string]int{"a#1": 1, "a#2": -1}},
		{name: "damaged line", content: rec("a#1", 1) + "\x00\x00garbage\n" + rec("a#2", 2), wantErr: "line 2 is damaged"},
		{name: "a record without id", content: `{"byType":{}}` + "\n", wantErr: "line 1 is damaged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "job.ckpt")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := openCheckpoint(path)
			if tc.wantErr != "" {
				if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("got %v, want ErrCheckpoint naming %s and %q", err, path, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.close(false)
			got := map[string]int{}
			for id := range tc.want {
				got[id] = -1
				if r := c.lookup(id); r != nil {
					got[id] = r.ByType["Patient"].Created
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// TestCheckpointLarge indexes a checkpoint of 200,000 batches (40 M
// resources at 200 a Bundle) and finds each.
func TestCheckpointLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "job.ckpt")
	var b strings.Builder
	const n = 200000
	for i := range n {
		fmt.Fprintf(&b, `{"id":"MimicObservationChartevents.ndjson#%d","byType":{"Observation":{"created":%d}}}`+"\n", i, i%200)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := openCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close(false)
	if len(c.done) != n {
		t.Fatalf("indexed %d records, want %d", len(c.done), n)
	}
	for _, i := range []int{0, 1, n / 2, n - 1} {
		r := c.lookup(fmt.Sprintf("MimicObservationChartevents.ndjson#%d", i))
		if r == nil || r.ByType["Observation"].Created != i%200 {
			t.Errorf("batch %d: got %+v", i, r)
		}
	}
	if r := c.lookup(fmt.Sprintf("MimicObservationChartevents.ndjson#%d", n)); r != nil {
		t.Errorf("an unconfirmed batch: got %+v", r)
	}
}
