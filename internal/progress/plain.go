package progress

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
)

// MaxWarnings is how many warnings a reporter shows before it only counts them.
const MaxWarnings = 20

// Plain prints one line per batch to out, and warnings to errw: the
// format for logs, pipes and CI.
//
// Each file gets its header once, when its first batch line is printed.
// With several batches in flight, the last batches of a file can finish
// after the first ones of the next: such a line, printed under another
// file's header, names its file ("Batch 9/9 of Medication.ndjson ...").
type Plain struct {
	out, errw io.Writer
	mu        sync.Mutex
	steps     int
	warnings  int
	// header is the file of the last header printed; headed holds the
	// files of this step that have had theirs.
	header string
	headed map[string]bool
	// Batches finish out of order when several are in flight; they are
	// printed in order: next is the batch each file of this step waits
	// for, held the ones that came early.
	next map[string]int
	held map[string]map[int]Batch
	// OnlyProblems prints only batches with failures (used under a live
	// status line, where every batch would scroll it away).
	OnlyProblems bool
}

// NewPlain returns a Plain reporter.
func NewPlain(out, errw io.Writer) *Plain {
	return &Plain{out: out, errw: errw, headed: map[string]bool{}, next: map[string]int{}, held: map[string]map[int]Batch{}}
}

// StepStarted remembers the number of steps for the file headers. The
// batches of earlier steps all have their answers by now; labels such as
// "wave 1: ..." come again in later steps, numbered from 1 again.
func (p *Plain) StepStarted(s Step) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flush()
	p.steps = s.Of
	p.header = ""
	clear(p.headed)
	clear(p.next)
}

// BatchDone prints a batch line (after a header when it is the first of
// its file), once the batches before it in its file are printed.
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

// flush prints batches still held (a gap that never filled), file by
// file in name order.
func (p *Plain) flush() {
	files := make([]string, 0, len(p.held))
	for file := range p.held {
		files = append(files, file)
	}
	sort.Strings(files)
	for _, file := range files {
		held := p.held[file]
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
	line := BatchLine(b)
	switch {
	case !p.headed[b.File]:
		fmt.Fprintf(p.out, "\n[Step %d/%d] %s\n", b.Step, p.steps, b.File)
		p.header = b.File
		p.headed[b.File] = true
	case b.File != p.header:
		line = batchLine(b, " of "+b.File)
	}
	fmt.Fprintln(p.out, line)
}

// BatchLine formats a batch the way users know it:
// "  Batch 1/1 (12 resources)... ✓ (12 created, 0 failed) - 1.2s".
func BatchLine(b Batch) string { return batchLine(b, "") }

// batchLine is BatchLine with "of FILE" (or nothing) after the number.
func batchLine(b Batch, of string) string {
	if b.Of > 0 {
		of = fmt.Sprintf("/%d", b.Of) + of
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
func Thousands(n int) string { return humanize.Comma(int64(n)) }

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
