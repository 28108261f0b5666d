package progress

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// checkGolden compares got with testdata/name; -update rewrites it.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./internal/progress -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./internal/progress -update rewrites it):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

const (
	org     = "Organization.ndjson"
	pat     = "Patient.ndjson"
	enc     = "Encounter.ndjson"
	wave1   = "wave 1: resources that reference others of this step"
	cycles1 = "wave 1: reference cycles, in transactions"
)

func ok(step int, file string, i, of, n int) Batch {
	return Batch{Step: step, File: file, Index: i, Of: of, Resources: n, Created: n, Duration: 1200 * time.Millisecond}
}

// event is one call on a Reporter; the sequences below are the order in
// which transfer's collector sees them at -c 2 and more.
type event func(Reporter)

func step(i, of int) event {
	return func(r Reporter) { r.StepStarted(Step{Index: i, Of: of}) }
}
func done(b Batch) event { return func(r Reporter) { r.BatchDone(b) } }
func warn(msg string) event {
	return func(r Reporter) { r.Warn(msg) }
}

// outOfOrder is an upload at -c 3: batches finish out of order, within a
// file and across files of a step, and wave labels come again in a later
// step, numbered from 1 again.
var outOfOrder = []event{
	step(1, 3),
	done(ok(1, org, 2, 3, 100)),
	done(ok(1, org, 1, 3, 100)), // releases batch 2
	done(ok(1, pat, 1, 2, 100)), // the next file starts before org's last batch
	done(ok(1, org, 3, 3, 40)),  // under Patient's header: names its file
	done(Batch{Step: 1, File: pat, Index: 2, Of: 2, Resources: 50, Created: 10, Updated: 38, Failed: 2, Retries: 1, Duration: 3 * time.Second}),
	warn("Patient.ndjson: line 150: HTTP 400: HAPI-1094: Resource Organization/x not found"),
	done(ok(1, wave1, 1, 1, 7)),
	step(2, 3),
	done(Batch{Step: 2, File: enc, Index: 1, Of: 3, Resources: 100, Resumed: true}),
	done(Batch{Step: 2, File: enc, Index: 3, Of: 3, Resources: 20, Failed: 20, Retries: 5, Duration: 61 * time.Second, Err: errors.New("post batch: HTTP 503 Service Unavailable")}),
	done(Batch{Step: 2, File: enc, Index: 2, Of: 3, Resources: 100, Unchanged: 100, Duration: 800 * time.Millisecond}),
	done(ok(2, wave1, 1, 1, 3)), // the same label as step 1's wave
	done(Batch{Step: 2, File: cycles1, Index: 1, Resources: 2, Created: 2, Duration: 100 * time.Millisecond}),
	step(3, 3),
	done(ok(3, "Observation.ndjson", 2, 2, 5)), // batch 1 never comes: printed by Close
}

func run(r Reporter, events []event) {
	for _, e := range events {
		e(r)
	}
	r.Close()
}

func TestPlainGolden(t *testing.T) {
	tests := []struct {
		name         string
		onlyProblems bool
	}{
		{"plain.golden", false},
		{"plain_problems.golden", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errw bytes.Buffer
			p := NewPlain(&out, &errw)
			p.OnlyProblems = tc.onlyProblems
			run(p, outOfOrder)
			checkGolden(t, tc.name, out.String()+"--- stderr\n"+errw.String())
		})
	}
}

// TestPlainHeaderOnce: whatever the order, each file's header is printed
// once per step, and every batch exactly once.
func TestPlainHeaderOnce(t *testing.T) {
	var out bytes.Buffer
	p := NewPlain(&out, &bytes.Buffer{})
	run(p, outOfOrder)
	headers, lines := map[string]int{}, 0
	for _, l := range strings.Split(out.String(), "\n") {
		switch {
		case strings.HasPrefix(l, "[Step "):
			headers[l]++
		case strings.HasPrefix(l, "  Batch "):
			lines++
		}
	}
	for h, n := range headers {
		if n != 1 {
			t.Errorf("header %q printed %d times, want 1", h, n)
		}
	}
	batches := 0
	for _, e := range outOfOrder {
		var c counter
		e(&c)
		batches += c.batches
	}
	if lines != batches {
		t.Errorf("got %d batch lines, want %d:\n%s", lines, batches, out.String())
	}
}

// counter counts BatchDone calls.
type counter struct {
	Nop
	batches int
}

func (c *counter) BatchDone(Batch) { c.batches++ }

func TestPlainWarningsCapped(t *testing.T) {
	var errw bytes.Buffer
	p := NewPlain(&bytes.Buffer{}, &errw)
	for i := range MaxWarnings + 5 {
		p.Warn(fmt.Sprintf("problem %d", i+1))
	}
	p.Retrying(pat, 3, 2, errors.New("HTTP 503"), 1500*time.Millisecond)
	lines := strings.Split(strings.TrimSuffix(errw.String(), "\n"), "\n")
	if got, want := len(lines), MaxWarnings+1; got != want {
		t.Fatalf("got %d lines, want %d:\n%s", got, want, errw.String())
	}
	if got, want := lines[MaxWarnings-1], fmt.Sprintf("warning: problem %d", MaxWarnings); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := lines[MaxWarnings]; !strings.Contains(got, "more problems follow") {
		t.Errorf("got %q, want the note that more problems follow", got)
	}
}

func TestPlainRetrying(t *testing.T) {
	var errw bytes.Buffer
	p := NewPlain(&bytes.Buffer{}, &errw)
	p.Retrying(pat, 3, 2, errors.New("HTTP 503"), 1500*time.Millisecond)
	if got, want := errw.String(), "warning: Patient.ndjson batch 3: HTTP 503; retry 2 in 1.5s\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestPlainConcurrent: Retrying comes from the senders while the
// collector reports batches and warnings (run with -race).
func TestPlainConcurrent(t *testing.T) {
	var out, errw bytes.Buffer
	p := NewPlain(&out, &errw)
	p.StepStarted(Step{Index: 1, Of: 1})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 10 {
				p.Retrying(pat, i+1, w+1, errors.New("timeout"), time.Millisecond)
			}
		})
	}
	for i := 50; i >= 1; i-- {
		p.BatchDone(ok(1, pat, i, 50, 1))
		p.Warn("line")
	}
	wg.Wait()
	p.Close()
	if got, want := strings.Count(out.String(), "  Batch "), 50; got != want {
		t.Errorf("got %d batch lines, want %d", got, want)
	}
	if !strings.Contains(out.String(), "Batch 1/50 ") || strings.Index(out.String(), "Batch 1/50 ") > strings.Index(out.String(), "Batch 2/50 ") {
		t.Errorf("batches not in order:\n%s", out.String())
	}
}

func TestBatchLine(t *testing.T) {
	tests := []struct {
		name string
		b    Batch
		want string
	}{
		{"created", ok(1, pat, 1, 1, 12), "  Batch 1/1 (12 resources)... ✓ (12 created, 0 failed) - 1.2s"},
		{"one resource", ok(1, pat, 2, 3, 1), "  Batch 2/3 (1 resource)... ✓ (1 created, 0 failed) - 1.2s"},
		{"count unknown", ok(1, pat, 7, 0, 3), "  Batch 7 (3 resources)... ✓ (3 created, 0 failed) - 1.2s"},
		{"mixed", Batch{Index: 1, Of: 2, Resources: 6, Created: 1, Updated: 2, Unchanged: 1, Failed: 2, Retries: 1}, "  Batch 1/2 (6 resources)... ! (1 created, 2 updated, 1 unchanged, 2 failed, 1 retry) - 0.0s"},
		{"nothing written", Batch{Index: 1, Of: 1, Resources: 2, Unchanged: 0, Duration: time.Second}, "  Batch 1/1 (2 resources)... ✓ (0 created, 0 failed) - 1.0s"},
		{"all failed", Batch{Index: 1, Of: 1, Resources: 2, Failed: 2}, "  Batch 1/1 (2 resources)... ! (2 failed) - 0.0s"},
		{"whole batch", Batch{Index: 4, Of: 4, Resources: 2, Failed: 2, Retries: 6, Err: errors.New("HTTP 502")}, "  Batch 4/4 (2 resources)... ✗ (2 failed, 6 retries) - 0.0s\n    HTTP 502"},
		{"resumed", Batch{Index: 3, Of: 9, Resources: 1000, Resumed: true}, "  Batch 3/9 (1,000 resources)... ✓ confirmed by an earlier run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := BatchLine(tc.b); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		got, want string
	}{
		{Thousands(0), "0"},
		{Thousands(999), "999"},
		{Thousands(1000), "1,000"},
		{Thousands(2845), "2,845"},
		{Thousands(1234567), "1,234,567"},
		{Thousands(-1234), "-1,234"},
		{Plural(1, "file", "files"), "1 file"},
		{Plural(0, "file", "files"), "0 files"},
		{Plural(12000, "file", "files"), "12,000 files"},
		{Seconds(1249 * time.Millisecond), "1.2s"},
		{Duration(4200 * time.Millisecond), "4.2s"},
		{Duration(3*time.Minute + 24*time.Second), "3m 24s"},
		{Duration(time.Hour + 2*time.Minute + 3400*time.Millisecond), "1h 2m 3s"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
