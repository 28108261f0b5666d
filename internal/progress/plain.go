package progress

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// MaxWarnings is how many warnings a reporter shows before it only counts them.
const MaxWarnings = 20

// Plain prints one line per batch to out, and warnings to errw: the
// format for logs, pipes and CI.
type Plain struct {
	out, errw io.Writer
	mu        sync.Mutex
	steps     int
	lastFile  string
	warnings  int
	// Batches finish out of order when several are in flight; they are
	// printed in order: next is the batch each file waits for, held the
	// ones that came early.
	next map[string]int
	held map[string]map[int]Batch
	// OnlyProblems prints only batches with failures (used under a live
	// status line, where every batch would scroll it away).
	OnlyProblems bool
}

// NewPlain returns a Plain reporter.
func NewPlain(out, errw io.Writer) *Plain {
	return &Plain{out: out, errw: errw, next: map[string]int{}, held: map[string]map[int]Batch{}}
}

// StepStarted remembers the number of steps for the file headers.
func (p *Plain) StepStarted(s Step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.steps = s.Of
	p.lastFile = ""
}

// BatchDone prints a batch line, under a header when the file changes,
// once the batches before it in its file are printed.
func (p *Plain) BatchDone(b Batch) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.held[b.File] == nil {
		p.held[b.File] = map[int]Batch{}
		p.next[b.File] = 1
	}
	p.held[b.File][b.Index] = b
	for {
		nb, ok := p.held[b.File][p.next[b.File]]
		if !ok {
			return
		}
		delete(p.held[b.File], nb.Index)
		p.next[b.File]++
		p.print(nb)
	}
}

// flush prints batches still held (a gap that never filled).
func (p *Plain) flush() {
	for file, held := range p.held {
		idx := make([]int, 0, len(held))
		for i := range held {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		for _, i := range idx {
			p.print(held[i])
		}
		delete(p.held, file)
	}
}

func (p *Plain) print(b Batch) {
	if p.OnlyProblems && b.Failed == 0 {
		return
	}
	if b.File != p.lastFile {
		fmt.Fprintf(p.out, "\n[Step %d/%d] %s\n", b.Step, p.steps, b.File)
		p.lastFile = b.File
	}
	fmt.Fprintln(p.out, BatchLine(b))
}

// BatchLine formats a batch the way users know it:
// "  Batch 1/1 (12 resources)... ✓ (12 created, 0 failed) - 1.2s".
func BatchLine(b Batch) string {
	of := ""
	if b.Of > 0 {
		of = fmt.Sprintf("/%d", b.Of)
	}
	if b.Resumed {
		return fmt.Sprintf("  Batch %d%s (%s)... ✓ confirmed by an earlier run", b.Index, of, Plural(b.Resources, "resource", "resources"))
	}
	mark := "✓"
	switch {
	case b.Err != nil:
		mark = "✗"
	case b.Failed > 0:
		mark = "!"
	}
	var parts []string
	for _, c := range []struct {
		n    int
		what string
	}{{b.Created, "created"}, {b.Updated, "updated"}, {b.Unchanged, "unchanged"}} {
		if c.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	if len(parts) == 0 && b.Failed == 0 {
		parts = append(parts, "0 created")
	}
	parts = append(parts, fmt.Sprintf("%d failed", b.Failed))
	if b.Retries > 0 {
		parts = append(parts, Plural(b.Retries, "retry", "retries"))
	}
	line := fmt.Sprintf("  Batch %d%s (%s)... %s (%s) - %s", b.Index, of, Plural(b.Resources, "resource", "resources"), mark, strings.Join(parts, ", "), Seconds(b.Duration))
	if b.Err != nil {
		line += "\n    " + b.Err.Error()
	}
	return line
}

// Warn prints a warning to errw, up to MaxWarnings of them.
func (p *Plain) Warn(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.warnings++
	switch {
	case p.warnings <= MaxWarnings:
		fmt.Fprintf(p.errw, "warning: %s\n", msg)
	case p.warnings == MaxWarnings+1:
		fmt.Fprintf(p.errw, "warning: more problems follow; they are not shown, the failure log holds every failed line\n")
	}
}

// Retrying prints that a batch is sent again.
func (p *Plain) Retrying(file string, batch, attempt int, err error, wait time.Duration) {
	p.Warn(fmt.Sprintf("%s batch %d: %v; retry %d in %s", file, batch, err, attempt, Seconds(wait)))
}

// Close prints any batch still held.
func (p *Plain) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flush()
}

// Seconds formats a short duration as "1.2s".
func Seconds(d time.Duration) string { return fmt.Sprintf("%.1fs", d.Seconds()) }

// Plural formats "1 file", "2 files", with thousands separators.
func Plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return Thousands(n) + " " + many
}

// Thousands formats 2845 as "2,845".
func Thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Duration formats an elapsed time as "3m 24s", "1h 2m 3s" or "4.2s".
func Duration(d time.Duration) string {
	if d < time.Minute {
		return Seconds(d)
	}
	d = d.Round(time.Second)
	h, m, s := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%dh %dm %ds", h, m, s)
	}
	return fmt.Sprintf("%dm %ds", m, s)
}
