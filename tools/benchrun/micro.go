package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// microSuite is one `go test -bench` call.
type microSuite struct {
	pkg, pattern, benchtime string
}

// The hot paths: line reading, id/type extraction, references, the
// planner's index, bundle building, response parsing, and the whole
// transfer pipeline in memory.
var microSuites = []microSuite{
	{"./internal/ndjson", ".", "200ms"},
	{"./internal/refs", ".", "200ms"},
	{"./internal/graph", "^Benchmark(Key|Lookup|TypeOrder)$", "200ms"},
	{"./internal/fhir", ".", "200ms"},
	{"./internal/transfer", ".", "3x"},
}

// microResult is one benchmark line of `go test -bench -benchmem`.
type microResult struct {
	Pkg, Name string
	Iter      string
	Metrics   []metric // in the order go test printed them
}

type metric struct{ Value, Unit string }

// Get returns the value of the metric with the unit, or "".
func (r microResult) Get(unit string) string {
	for _, m := range r.Metrics {
		if m.Unit == unit {
			return m.Value
		}
	}
	return ""
}

// Extra returns the metrics other than the standard four.
func (r microResult) Extra() string {
	var out []string
	for _, m := range r.Metrics {
		switch m.Unit {
		case "ns/op", "MB/s", "B/op", "allocs/op":
		default:
			out = append(out, m.Value+" "+m.Unit)
		}
	}
	return strings.Join(out, ", ")
}

var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// runMicro runs the suites in dir (the repository) and parses their lines.
func runMicro(ctx context.Context, dir string, log func(string, ...any)) ([]microResult, error) {
	var out []microResult
	for _, s := range microSuites {
		cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", s.pattern,
			"-benchmem", "-benchtime", s.benchtime, "-count", "1", s.pkg)
		cmd.Dir = dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			return out, fmt.Errorf("go test -bench %s: %v\n%s%s", s.pkg, err, tail(stdout.Bytes()), tail(stderr.Bytes()))
		}
		sc := bufio.NewScanner(&stdout)
		for sc.Scan() {
			m := benchLine.FindStringSubmatch(sc.Text())
			if m == nil {
				continue
			}
			r := microResult{Pkg: strings.TrimPrefix(s.pkg, "./internal/"), Name: strings.TrimPrefix(m[1], "Benchmark"), Iter: m[2]}
			f := strings.Fields(m[3])
			for i := 0; i+1 < len(f); i += 2 {
				r.Metrics = append(r.Metrics, metric{f[i], f[i+1]})
			}
			log("  %-10s %-40s %s", r.Pkg, r.Name, m[3])
			out = append(out, r)
		}
	}
	return out, nil
}
