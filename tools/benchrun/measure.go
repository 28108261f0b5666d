package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// toolSummary is the part of `upload --json` the benchmark reads.
type toolSummary struct {
	Files     int     `json:"files"`
	Read      int     `json:"read"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
	Failed    int     `json:"failed"`
	Batches   int     `json:"batches"`
	Retries   int     `json:"retries"`
	Seconds   float64 `json:"seconds"`
	// DuplicatesSkipped are lines of an id that occurs again later.
	DuplicatesSkipped int `json:"duplicatesSkipped"`
	Concurrency       struct {
		Settled int `json:"settled"`
	} `json:"concurrency"`
}

// measurement is one run of the tool as a subprocess: what it said and
// what the kernel counted for it.
type measurement struct {
	Args   []string
	Sum    toolSummary
	Wall   time.Duration
	CPU    time.Duration // user + system
	MaxRSS int64         // bytes
	Exit   int
}

// CPUPerM is CPU seconds per million resources read.
func (m measurement) CPUPerM() float64 {
	if m.Sum.Read == 0 {
		return 0
	}
	return m.CPU.Seconds() / float64(m.Sum.Read) * 1e6
}

// RSSMiB is the peak resident set in MiB.
func (m measurement) RSSMiB() float64 { return float64(m.MaxRSS) / (1 << 20) }

// runner starts the tool in a clean environment: no .env, none of the
// user's settings, its own temporary folder.
type runner struct {
	bin  string // the tool
	work string // a scratch folder for failure logs, checkpoints, spills
}

// upload runs `upload -i input` against base with extra flags and returns
// the measurement; a run that did not land every resource is an error.
func (r runner) upload(ctx context.Context, input, base string, extra ...string) (measurement, error) {
	scratch, err := os.MkdirTemp(r.work, "run-")
	if err != nil {
		return measurement{}, err
	}
	defer os.RemoveAll(scratch)
	args := append([]string{"upload", "-i", input, "--fhir-url", base, "--json",
		"--failure-log", filepath.Join(scratch, "failures.log"),
		"--checkpoint-dir", filepath.Join(scratch, "ckpt"), "--fresh",
		"--env-file", os.DevNull}, extra...)
	m, stdout, stderr, err := r.run(ctx, scratch, args)
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(stdout, &m.Sum); err != nil {
		return m, fmt.Errorf("%s: no JSON summary (exit %d): %v\n%s", strings.Join(args, " "), m.Exit, err, tail(stderr))
	}
	if m.Exit != 0 || m.Sum.Failed > 0 {
		return m, fmt.Errorf("%s: exit %d, %d of %d failed\n%s", strings.Join(args, " "), m.Exit, m.Sum.Failed, m.Sum.Read, tail(stderr))
	}
	return m, nil
}

// run starts the tool and collects its rusage.
func (r runner) run(ctx context.Context, dir string, args []string) (measurement, []byte, []byte, error) {
	m := measurement{Args: args}
	tmp := filepath.Join(dir, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return m, nil, nil, err
	}
	cmd := exec.CommandContext(ctx, r.bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + tmp, "NO_COLOR=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return m, nil, nil, fmt.Errorf("start %s: %w", r.bin, err)
	}
	hwm := watchHWM(cmd.Process.Pid)
	err := cmd.Wait()
	m.Wall = time.Since(start)
	if cmd.ProcessState == nil {
		return m, nil, nil, fmt.Errorf("run %s: %w", r.bin, err)
	}
	m.Exit = cmd.ProcessState.ExitCode()
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.CPU = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		m.MaxRSS = ru.Maxrss << 10 // KiB on Linux
	}
	// rusage's maxrss of a child Go started is at least this process's
	// own peak (the child shares our memory between clone and exec), so
	// the tool's own high-water mark, read from /proc while it runs, is
	// the figure; rusage is kept only when the run was too short to read.
	if peak := <-hwm; peak > 0 {
		m.MaxRSS = peak
	}
	if ctx.Err() != nil {
		return m, nil, nil, ctx.Err()
	}
	return m, stdout.Bytes(), stderr.Bytes(), nil
}

// tail returns the last lines of a command's stderr, for an error.
func tail(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}

// watchHWM reads the VmHWM (peak resident set) of process pid every 10 ms
// until it exits, then sends the last value read, in bytes (0 if none).
func watchHWM(pid int) <-chan int64 {
	out := make(chan int64, 1)
	path := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		var peak int64
		for {
			b, err := os.ReadFile(path)
			v, ok := vmHWM(b)
			if err != nil || !ok {
				// Gone, or a zombie (no memory fields): it has exited.
				out <- peak
				return
			}
			peak = max(peak, v)
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return out
}

// vmHWM finds "VmHWM:  1234 kB" in /proc/PID/status.
func vmHWM(status []byte) (int64, bool) {
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%d kB", &kb); err != nil {
				return 0, false
			}
			return kb << 10, true
		}
	}
	return 0, false
}
