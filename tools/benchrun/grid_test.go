package main

import (
	"errors"
	"strings"
	"testing"
)

func gridRun(read int, seconds float64, err error) hapiRun {
	return hapiRun{M: measurement{Sum: toolSummary{Read: read, Seconds: seconds}}, Err: err}
}

func TestGridTable(t *testing.T) {
	def := gridPoint{Defaults: true}
	fast := gridPoint{C: 4, S: 200, Tx: true}
	slow := gridPoint{C: 1, S: 50}
	broken := gridPoint{C: 8, S: 500, Tx: true}
	g := &gridTable{DB: "postgres", Data: "MIMIC-shaped", Resources: 1000, Runs: map[gridPoint][]hapiRun{
		def:    {gridRun(1000, 1.0, nil), gridRun(1000, 2.0, nil)},   // 1000 and 500: mean 750
		fast:   {gridRun(1000, 1.25, nil), gridRun(1000, 1.25, nil)}, // 800
		slow:   {gridRun(1000, 4, nil), gridRun(1000, 4, nil)},       // 250
		broken: {gridRun(1000, 0.1, nil), gridRun(1000, 0.1, errors.New("3 failed"))},
	}, Confirm: map[gridPoint][]hapiRun{
		def:  {gridRun(1000, 1.0, nil), gridRun(1000, 1.25, nil)}, // 1000 and 800: mean 900
		fast: {gridRun(1000, 1.0, nil), gridRun(1000, 1.0, nil)},  // 1000
		slow: {gridRun(1000, 0.5, nil), gridRun(1000, 0.5, errors.New("1 failed"))},
	}, Warmup: []float64{400, 700, 760}}
	if got := g.top(3); len(got) != 2 || got[0] != fast || got[1] != slow {
		t.Errorf("top(3) = %v, want [%v %v] (no defaults, no failed points)", got, fast, slow)
	}
	if bp, d, b := g.confirmed(); bp != fast || d != 900 || b != 1000 {
		t.Errorf("confirmed = %v %v %v, want %v 900 1000", bp, d, b, fast)
	}
	if got := g.rate(def); got != 750 {
		t.Errorf("rate(defaults) = %v, want 750", got)
	}
	if got := g.rate(broken); got != 0 {
		t.Errorf("rate of a point with a failed run = %v, want 0", got)
	}
	bp, br := g.best()
	if bp != fast || br != 800 {
		t.Errorf("best = %v %v, want %v 800 (the defaults and failed points never win)", bp, br, fast)
	}
	if got := g.failures(); got != 2 {
		t.Errorf("failures = %d, want 2 (one in the rounds, one in the confirmation)", got)
	}
	var w strings.Builder
	writeGrid(&w, []*gridTable{g})
	for _, want := range []string{"### PostgreSQL, MIMIC-shaped", "ratio 94%", "best point -c 4 -s 200 tx-first: 800",
		"Confirmation: defaults 900 resources/s; best point -c 4 -s 200 tx-first: 1,000 resources/s; ratio **90%**",
		"lie 0% apart", "Warm-up: 400, 700, 760 resources/s", "Runs with failures: 2", "**800**", "✗"} {
		if !strings.Contains(w.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, w.String())
		}
	}
}

func TestGridPoints(t *testing.T) {
	pts := gridPoints()
	if got, want := len(pts), 1+len(gridConcurrency)*len(gridBatch)*len(gridTx); got != want {
		t.Fatalf("%d points, want %d", got, want)
	}
	if pts[0].flags() != nil {
		t.Errorf("the defaults take flags %v, want none", pts[0].flags())
	}
	got := strings.Join(gridPoint{C: 2, S: 100, Tx: false}.flags(), " ")
	if want := "-c 2 -s 100 --tx-semantics=false"; got != want {
		t.Errorf("flags = %q, want %q", got, want)
	}
}
