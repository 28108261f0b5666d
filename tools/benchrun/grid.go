package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The grid of settings the defaults are measured against, on every bed
// and data set (issue #11): concurrency, batch size, transaction first.
var (
	gridConcurrency = []int{1, 2, 4, 8}
	gridBatch       = []int{50, 100, 200, 500}
	gridTx          = []bool{false, true}
)

// gridRounds is how often each point is measured; the points are
// shuffled anew in each round, so that a drift of the machine's load
// spreads over all of them.
const gridRounds = 2

// The best of 32 points, each measured twice on a noisy machine, is
// biased upward: the point that won is the one noise favoured most (the
// winner's curse), and the defaults, measured as often, would have to beat
// every fixed setting to match it. So after the rounds the gridConfirmTop
// best points and the defaults are measured again, interleaved,
// gridConfirmRounds times each: the points are chosen on the rounds and
// compared on fresh runs.
const (
	gridConfirmTop    = 3
	gridConfirmRounds = 5
)

// A fresh JVM is slow, and each data set fills HAPI's caches anew; the JIT
// keeps a fresh HAPI getting faster for ten loads or so (449 to 1,855
// resources/s on the H2 bed, the last loads a few percent each).
// So every table starts with warm-up loads of its data set until a load is
// no faster than the fastest before it by more than gridWarmGain, at least
// gridWarmMin and at most gridWarmMax of them.
const (
	gridWarmMin  = 10
	gridWarmMax  = 20
	gridWarmGain = 0.03
)

// gridPoint is one setting; the zero value with Defaults set is the tool
// run without flags.
type gridPoint struct {
	Defaults bool
	C, S     int
	Tx       bool
}

func (p gridPoint) String() string {
	if p.Defaults {
		return "defaults"
	}
	tx := "batch"
	if p.Tx {
		tx = "tx-first"
	}
	return fmt.Sprintf("-c %d -s %d %s", p.C, p.S, tx)
}

// flags are the tool's flags for the point: a fixed concurrency and batch
// size, transaction first switched on or off explicitly.
func (p gridPoint) flags() []string {
	if p.Defaults {
		return nil
	}
	return []string{"-c", strconv.Itoa(p.C), "-s", strconv.Itoa(p.S), "--tx-semantics=" + strconv.FormatBool(p.Tx)}
}

// gridPoints are the defaults and every point of the grid.
func gridPoints() []gridPoint {
	pts := []gridPoint{{Defaults: true}}
	for _, c := range gridConcurrency {
		for _, s := range gridBatch {
			for _, tx := range gridTx {
				pts = append(pts, gridPoint{C: c, S: s, Tx: tx})
			}
		}
	}
	return pts
}

// gridTable is the grid of one bed and one data set.
type gridTable struct {
	DB, Data  string
	Resources int
	Warmup    []float64 // the rates of the warm-up loads
	Runs      map[gridPoint][]hapiRun
	// Confirm are the runs of the confirmation round: the defaults and
	// the best points of Runs, again.
	Confirm map[gridPoint][]hapiRun
	Elapsed time.Duration
}

// meanRate is the mean rate of runs; 0 when there are none or any failed.
func meanRate(runs []hapiRun) float64 {
	if len(runs) == 0 {
		return 0
	}
	sum := 0.0
	for _, r := range runs {
		if r.Err != nil {
			return 0
		}
		sum += r.Rate()
	}
	return sum / float64(len(runs))
}

// rate is the mean rate of a point over its rounds; 0 when any run of it
// failed.
func (g *gridTable) rate(p gridPoint) float64 { return meanRate(g.Runs[p]) }

// top are the n grid points (not the defaults) with the highest mean
// rates over the rounds, best first.
func (g *gridTable) top(n int) []gridPoint {
	var pts []gridPoint
	for p := range g.Runs {
		if !p.Defaults && g.rate(p) > 0 {
			pts = append(pts, p)
		}
	}
	sort.Slice(pts, func(i, j int) bool {
		ri, rj := g.rate(pts[i]), g.rate(pts[j])
		if ri != rj {
			return ri > rj
		}
		return pts[i].String() < pts[j].String()
	})
	return pts[:min(n, len(pts))]
}

// best is the grid point (not the defaults) with the highest mean rate.
func (g *gridTable) best() (gridPoint, float64) {
	top := g.top(1)
	if len(top) == 0 {
		return gridPoint{}, 0
	}
	return top[0], g.rate(top[0])
}

// confirmed is the defaults' and the best point's mean rates over the
// confirmation round, the best point chosen there among the points
// measured again.
func (g *gridTable) confirmed() (bp gridPoint, defaults, best float64) {
	for p, runs := range g.Confirm {
		if r := meanRate(runs); !p.Defaults && (r > best || r == best && p.String() < bp.String()) {
			bp, best = p, r
		}
	}
	return bp, meanRate(g.Confirm[gridPoint{Defaults: true}]), best
}

// spread is the median over the points of how far a point's rounds lie
// apart, relative to their mean: the noise the ratio is read against.
func (g *gridTable) spread() float64 {
	var d []float64
	for _, runs := range g.Runs {
		lo, hi := math.Inf(1), 0.0
		for _, r := range runs {
			lo, hi = min(lo, r.Rate()), max(hi, r.Rate())
		}
		if m := meanRate(runs); m > 0 && len(runs) > 1 {
			d = append(d, (hi-lo)/m)
		}
	}
	if len(d) == 0 {
		return 0
	}
	sort.Float64s(d)
	return d[len(d)/2]
}

// failures counts the runs that did not land every resource.
func (g *gridTable) failures() int {
	n := 0
	for _, set := range []map[gridPoint][]hapiRun{g.Runs, g.Confirm} {
		for _, runs := range set {
			for _, r := range runs {
				if r.Err != nil {
					n++
				}
			}
		}
	}
	return n
}

// gridData is a data set of the grid: a folder loaded again for every run
// into an emptied server, so the same ids serve every run.
type gridData struct {
	Name string
	Dir  string
	N    int
}

// gridBed starts a HAPI bed of its own for db ("mem" or "postgres") on
// ports apart from the other benchmark bed.
func gridBed(repo, db string, port int) *bed {
	root := filepath.Join(repo, ".testbed", "bench-grid")
	return &bed{repo: repo, state: filepath.Join(root, fmt.Sprintf("bed-%d-%d", port, port+1000)), env: append(os.Environ(),
		"TESTBED_STATE_ROOT="+root, "HAPI_PORT="+strconv.Itoa(port), "MINIO_PORT="+strconv.Itoa(port+1000),
		"TESTBED_SERVICES=hapi", "HAPI_DB="+db)}
}

// runGrid measures every point of the grid twice, on each bed and data
// set, each run into a server emptied by $expunge, after a few warm-up
// loads of each bed.
func runGrid(ctx context.Context, c *config, r runner, sets []gridData, logf func(string, ...any)) ([]*gridTable, error) {
	var tables []*gridTable
	for i, db := range c.gridDBs {
		b := gridBed(c.repo, db, 18100+2*i)
		logf("grid: starting the %s HAPI bed", db)
		url, err := b.up(ctx)
		if err != nil {
			return tables, err
		}
		for _, d := range sets {
			t, err := gridOne(ctx, r, b, url, db, d, logf)
			tables = append(tables, t)
			if err != nil {
				_ = b.down() // the grid's error says more than the bed's
				return tables, err
			}
		}
		if err := b.down(); err != nil {
			return tables, err
		}
	}
	return tables, nil
}

func gridOne(ctx context.Context, r runner, b *bed, url, db string, d gridData, logf func(string, ...any)) (*gridTable, error) {
	t := &gridTable{DB: db, Data: d.Name, Resources: d.N, Runs: map[gridPoint][]hapiRun{}, Confirm: map[gridPoint][]hapiRun{}}
	start := time.Now()
	load := func(p gridPoint) (hapiRun, error) {
		if err := expunge(ctx, url); err != nil {
			return hapiRun{}, err
		}
		cpu0 := b.cpu()
		m, err := r.upload(ctx, d.Dir, url, p.flags()...)
		run := hapiRun{Batch: p.S, Concurrency: p.C, M: m, ServerCPU: b.cpu() - cpu0, Err: err}
		run.Load, _ = strconv.ParseFloat(loadAvg(), 64)
		if err != nil {
			logf("  %s %s %-22s %v", db, d.Name, p, err)
		} else {
			settled := ""
			if p.Defaults {
				settled = fmt.Sprintf("; concurrency settled at %d", m.Sum.Concurrency.Settled)
			}
			logf("  %s %s %-22s %6d resources in %5.1fs: %5.0f resources/s; HAPI CPU %4.1f ms per resource%s",
				db, d.Name, p, m.Sum.Read, m.Sum.Seconds, run.Rate(), run.ServerMs(), settled)
		}
		return run, ctx.Err()
	}
	for len(t.Warmup) < gridWarmMax {
		run, err := load(gridPoint{C: 4, S: 100, Tx: true})
		if ctx.Err() != nil {
			return t, err
		}
		t.Warmup = append(t.Warmup, run.Rate())
		if n := len(t.Warmup); n >= gridWarmMin && t.Warmup[n-1] <= (1+gridWarmGain)*slices.Max(t.Warmup[:n-1]) {
			break
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	rounds := func(set map[gridPoint][]hapiRun, what string, n int, points func() []gridPoint) error {
		for round := range n {
			pts := points()
			rng.Shuffle(len(pts), func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
			logf("grid: %s, %s, %s %d of %d: %d points", db, d.Name, what, round+1, n, len(pts))
			for _, p := range pts {
				run, err := load(p)
				set[p] = append(set[p], run)
				if ctx.Err() != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := rounds(t.Runs, "round", gridRounds, gridPoints); err != nil {
		return t, err
	}
	confirm := func() []gridPoint { return append([]gridPoint{{Defaults: true}}, t.top(gridConfirmTop)...) }
	if err := rounds(t.Confirm, "confirmation", gridConfirmRounds, confirm); err != nil {
		return t, err
	}
	t.Elapsed = time.Since(start)
	return t, nil
}

// writeGrid writes one table per bed and data set: resources/s of every
// point (mean of the rounds), the defaults against the best point.
func writeGrid(w *strings.Builder, tables []*gridTable) {
	if len(tables) == 0 {
		return
	}
	fmt.Fprintf(w, "## Defaults against the grid (HAPI on H2 and on PostgreSQL)\n\n")
	fmt.Fprintf(w, "Each point loaded %d times, the points shuffled anew in each round, each run into a server emptied by `$expunge`, after warm-up loads until one is no more than %.0f%% faster than the fastest before it; resources/s is the mean of the rounds (a point with a failed run shows ✗). Then the defaults and the %d best points are loaded again, interleaved, %d times each: the best point is chosen on the rounds and compared on fresh runs, so that the noise that made it win does not count against the defaults.\n\n",
		gridRounds, 100*gridWarmGain, gridConfirmTop, gridConfirmRounds)
	for _, t := range tables {
		bp, br := t.best()
		dr := t.rate(gridPoint{Defaults: true})
		fmt.Fprintf(w, "### %s, %s (%d resources per run, %s)\n\n", dbName(t.DB), t.Data, t.Resources, t.Elapsed.Round(time.Second))
		fmt.Fprintf(w, "| -c \\ -s |")
		for _, s := range gridBatch {
			fmt.Fprintf(w, " %d batch | %d tx-first |", s, s)
		}
		fmt.Fprintf(w, "\n|---|")
		for range gridBatch {
			fmt.Fprintf(w, "--:|--:|")
		}
		fmt.Fprintln(w)
		for _, c := range gridConcurrency {
			fmt.Fprintf(w, "| %d |", c)
			for _, s := range gridBatch {
				for _, tx := range gridTx {
					p := gridPoint{C: c, S: s, Tx: tx}
					cell := "✗"
					if r := t.rate(p); r > 0 {
						cell = num(r)
					}
					if p == bp {
						cell = "**" + cell + "**"
					}
					fmt.Fprintf(w, " %s |", cell)
				}
			}
			fmt.Fprintln(w)
		}
		ratio := 0.0
		if br > 0 {
			ratio = dr / br
		}
		fmt.Fprintf(w, "\nRounds: defaults %s resources/s; best point %s: %s resources/s; ratio %.0f%%; the two rounds of a point lie %.0f%% apart (median).\n",
			num(dr), bp, num(br), 100*ratio, 100*t.spread())
		if cp, cd, cb := t.confirmed(); cb > 0 {
			fmt.Fprintf(w, "Confirmation: defaults %s resources/s; best point %s: %s resources/s; ratio **%.0f%%**.\n", num(cd), cp, num(cb), 100*cd/cb)
		}
		fmt.Fprintf(w, "Warm-up: %s resources/s. Runs with failures: %d.\n\n", joinRates(t.Warmup), t.failures())
	}
}

func joinRates(rates []float64) string {
	s := make([]string, len(rates))
	for i, r := range rates {
		s[i] = num(r)
	}
	return strings.Join(s, ", ")
}

func dbName(db string) string {
	if db == "postgres" {
		return "PostgreSQL"
	}
	return "H2 in memory"
}

// gridSets are the data sets of the grid: MIMIC-shaped data from fhirgen
// and a Synthea export (-grid-synthea, or the benchmark's own).
func gridSets(ctx context.Context, c *config, gen, dir string) ([]gridData, error) {
	mimic, err := fhirgen(ctx, gen, filepath.Join(dir, "grid-mimic"), "-resources", strconv.Itoa(c.gridResources), "-id-prefix", "g")
	if err != nil {
		return nil, err
	}
	sets := []gridData{{Name: "MIMIC-shaped", Dir: mimic.Path, N: mimic.Resources}}
	dir, name := c.gridSynthea, "Synthea "+filepath.Base(filepath.Clean(c.gridSynthea))
	if dir == "" {
		if dir, err = syntheaExport(ctx, c.repo, gridSyntheaPatients); err != nil {
			return nil, err
		}
		name = fmt.Sprintf("Synthea 3.3.0 (seed %d, %d patients)", syntheaSeed, gridSyntheaPatients)
	}
	d, err := measureDir(dir)
	if err != nil {
		return nil, fmt.Errorf("the Synthea export %s: %w", dir, err)
	}
	sets = append(sets, gridData{Name: name, Dir: dir, N: d.Resources})
	return sets, nil
}
