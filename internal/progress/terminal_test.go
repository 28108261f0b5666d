package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// clock is a fake time.Now that tests move on.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// redraw draws the status line as the ticker would.
func (t *Terminal) redraw() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.draw()
}

// visible shows the terminal control sequences of a status line.
var visible = strings.NewReplacer("\r\033[K", "<clear>", "\r", "<CR>", "\033", "<ESC>")

func TestTerminalGolden(t *testing.T) {
	tests := []struct {
		name  string
		total int
	}{
		{"terminal.golden", 1000},
		{"terminal_uncounted.golden", -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			c := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
			term := newTerminal(&out, &errw, tc.total, c.now, time.Hour) // no redraw but ours
			term.StepStarted(Step{Index: 1, Of: 2})
			term.BatchDone(ok(1, org, 1, 2, 100))
			c.t = c.t.Add(2 * time.Second)
			term.redraw()
			term.BatchDone(Batch{Step: 1, File: org, Index: 2, Of: 2, Resources: 100, Created: 97, Failed: 3, Duration: time.Second})
			c.t = c.t.Add(2 * time.Second)
			term.redraw()
			term.Warn("Organization.ndjson: line 150: HTTP 400")
			term.redraw()
			term.StepStarted(Step{Index: 2, Of: 2})
			term.Retrying(pat, 1, 1, errTimeout, 2*time.Second)
			term.BatchDone(ok(2, pat, 1, 1, 800))
			c.t = c.t.Add(4 * time.Second)
			term.redraw()
			term.Close()
			checkGolden(t, tc.name, out.String()+"--- stderr\n"+visible.Replace(errw.String())+"\n")
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string { return "i/o timeout" }

var errTimeout error = timeoutError{}

// TestTerminalTicks: the ticker redraws the status line by itself, and
// Close stops it and leaves the line cleared.
func TestTerminalTicks(t *testing.T) {
	var errw bytes.Buffer
	term := newTerminal(&bytes.Buffer{}, &errw, 10, time.Now, time.Millisecond)
	term.StepStarted(Step{Index: 1, Of: 1})
	term.BatchDone(ok(1, pat, 1, 2, 5))
	deadline := time.Now().Add(5 * time.Second)
	for {
		term.mu.Lock()
		drawn := strings.Count(errw.String(), "[Step 1/1] Patient.ndjson  5/10 resources (50%)")
		term.mu.Unlock()
		if drawn >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the status line was drawn %d times in 5s, want at least 2", drawn)
		}
		time.Sleep(time.Millisecond)
	}
	term.Close()
	after := errw.Len()
	if !strings.HasSuffix(errw.String(), "\r\033[K") {
		t.Errorf("got %q at the end, want the status line cleared", errw.String()[max(0, after-40):])
	}
	time.Sleep(10 * time.Millisecond)
	if errw.Len() != after {
		t.Errorf("the status line was drawn after Close")
	}
}

// TestTerminalETA: the estimate appears only after 30 s of sending, from
// the recent rate, not counting what an earlier run confirmed.
func TestTerminalETA(t *testing.T) {
	tests := []struct {
		name    string
		resumed int           // resources an earlier run confirmed, counted at once
		after   time.Duration // of sending 100 resources a second
		want    string
	}{
		{"too early", 0, 20 * time.Second, ""},
		// 61 batches of 100, 9,900 left at 6,000 in the 61 s since the
		// first: 100.65 s.
		{"steady", 0, 60 * time.Second, "~1m 41s left (est.)"},
		// 5,000 + 41 batches of 100, 6,900 left at 4,000 in 41 s: 70.7 s
		// (at 9,100 in 41 s it would be 31 s).
		{"resumed do not count in the rate", 5000, 40 * time.Second, "~1m 11s left (est.)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errw bytes.Buffer
			c := &clock{t: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
			term := newTerminal(&bytes.Buffer{}, &errw, 16000, c.now, time.Hour)
			defer term.Close()
			term.StepStarted(Step{Index: 1, Of: 1})
			if tt.resumed > 0 {
				term.BatchDone(Batch{Step: 1, File: pat, Index: 1, Resources: tt.resumed, Resumed: true})
			}
			for s := time.Duration(0); s <= tt.after; s += time.Second {
				term.BatchDone(Batch{Step: 1, File: pat, Index: 2, Resources: 100, Created: 100})
				c.t = c.t.Add(time.Second)
			}
			errw.Reset()
			term.redraw()
			got := errw.String()
			if tt.want == "" {
				if strings.Contains(got, "left") {
					t.Errorf("got %q, want no estimate", got)
				}
				return
			}
			if !strings.Contains(got, tt.want) {
				t.Errorf("got %q, want %q in it", got, tt.want)
			}
		})
	}
}
