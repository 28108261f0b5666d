package progress

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Terminal shows a status line on errw, redrawn at most 10 times a
// second, and prints only batches with failures (and warnings) as lines.
type Terminal struct {
	plain *Plain
	errw  io.Writer
	total int // resources in the plan; <= 0 when unknown
	now   func() time.Time

	interval time.Duration // between redraws

	mu       sync.Mutex
	start    time.Time
	done     int
	failed   int
	sent     int // done, less what an earlier run confirmed
	recent   rateWindow
	step     Step
	file     string
	shown    bool
	stopTick chan struct{}
	wg       sync.WaitGroup
}

// NewTerminal starts a Terminal reporter for an upload of total resources.
func NewTerminal(out, errw io.Writer, total int) *Terminal {
	return newTerminal(out, errw, total, time.Now, 100*time.Millisecond)
}

// newTerminal is NewTerminal with a clock and a redraw interval (tests).
func newTerminal(out, errw io.Writer, total int, now func() time.Time, interval time.Duration) *Terminal {
	p := NewPlain(out, errw)
	p.OnlyProblems = true
	t := &Terminal{plain: p, errw: errw, total: total, now: now, interval: interval, stopTick: make(chan struct{})}
	t.start = t.now()
	t.wg.Add(1)
	go t.tick()
	return t
}

func (t *Terminal) tick() {
	defer t.wg.Done()
	tk := time.NewTicker(t.interval)
	defer tk.Stop()
	for {
		select {
		case <-tk.C:
			t.mu.Lock()
			t.draw()
			t.mu.Unlock()
		case <-t.stopTick:
			return
		}
	}
}

// draw redraws the status line; t.mu is held.
func (t *Terminal) draw() {
	elapsed := t.now().Sub(t.start)
	rate := 0.0
	if elapsed > 0 {
		rate = float64(t.done) / elapsed.Seconds()
	}
	line := fmt.Sprintf("[Step %d/%d] %s  %s", t.step.Index, t.step.Of, t.file, Thousands(t.done))
	if t.total > 0 {
		line += fmt.Sprintf("/%s resources (%d%%)", Thousands(t.total), t.done*100/t.total)
	} else {
		line += " resources"
	}
	line += fmt.Sprintf("  %s/s  %d failed", Thousands(int(rate)), t.failed)
	if d, ok := t.recent.eta(t.now(), t.total-t.done); ok && t.total > 0 {
		line += etaText(d)
	}
	fmt.Fprintf(t.errw, "\r\033[K%s", line)
	t.shown = true
}

// clear removes the status line; t.mu is held.
func (t *Terminal) clear() {
	if t.shown {
		fmt.Fprint(t.errw, "\r\033[K")
		t.shown = false
	}
}

// StepStarted updates the status line's step.
func (t *Terminal) StepStarted(s Step) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.step = s
	t.clear() // Plain prints batches a gap held back, if any
	t.plain.StepStarted(s)
}

// BatchDone counts the batch and prints it if it had failures.
func (t *Terminal) BatchDone(b Batch) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.done += b.Resources
	t.failed += b.Failed
	if !b.Resumed {
		t.sent += b.Resources
		t.recent.add(t.now(), t.sent)
	}
	t.file = b.File
	// Plain keeps batches in order and prints only those with failures,
	// maybe one held earlier: clear the status line in case.
	t.clear()
	t.plain.BatchDone(b)
}

// Warn clears the status line and prints the warning.
func (t *Terminal) Warn(msg string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	t.plain.Warn(msg)
}

// Retrying clears the status line and says a batch is sent again.
func (t *Terminal) Retrying(file string, batch, attempt int, err error, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	t.plain.Retrying(file, batch, attempt, err, wait)
}

// Close stops the redraws and clears the status line.
func (t *Terminal) Close() {
	close(t.stopTick)
	t.wg.Wait()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.clear()
	t.plain.Close()
}
