package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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
	Runs      map[gridPoint][]hapiRun
	Elapsed   time.Duration
}

// rate is the mean rate of a point over its rounds; 0 when any run of it
// failed.
func (g *gridTable) rate(p gridPoint) float64 {
	runs := g.Runs[p]
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

// best is the grid point (not the defaults) with the highest mean rate.
func (g *gridTable) best() (gridPoint, float64) {
	var bp gridPoint
	br := 0.0
	for p := range g.Runs {
		if r := g.rate(p); !p.Defaults && r > br {
			bp, br = p, r
		}
	}
	return bp, br
}

// failures counts the runs that did not land every resource.
func (g *gridTable) failures() int {
	n := 0
	for _, runs := range g.Runs {
		for _, r := range runs {
			if r.Err != nil {
				n++
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
				b.down()
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
	t := &gridTable{DB: db, Data: d.Name, Resources: d.N, Runs: map[gridPoint][]hapiRun{}}
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
			logf("  %s %s %-22s %6d resources in %5.1fs: %5.0f resources/s; HAPI CPU %4.1f ms per resource",
				db, d.Name, p, m.Sum.Read, m.Sum.Seconds, run.Rate(), run.ServerMs())
		}
		return run, ctx.Err()
	}
	// A fresh JVM is slow: warm it up with the data set itself.
	for range 3 {
		if _, err := load(gridPoint{C: 4, S: 200, Tx: true}); err != nil && ctx.Err() != nil {
			return t, err
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for round := range gridRounds {
		pts := gridPoints()
		rng.Shuffle(len(pts), func(i, j int) { pts[i], pts[j] = pts[j], pts[i] })
		logf("grid: %s, %s, round %d of %d: %d points", db, d.Name, round+1, gridRounds, len(pts))
		for _, p := range pts {
			run, err := load(p)
			t.Runs[p] = append(t.Runs[p], run)
			if ctx.Err() != nil {
				return t, err
			}
		}
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
	fmt.Fprintf(w, "Each point loaded %d times, the points shuffled anew in each round, each run into a server emptied by `$expunge`; resources/s is the mean of the rounds (a point with a failed run shows ✗).\n\n", gridRounds)
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
		fmt.Fprintf(w, "\nDefaults: %s resources/s; best point %s: %s resources/s; ratio **%.0f%%**; runs with failures: %d.\n\n",
			num(dr), bp, num(br), 100*ratio, t.failures())
	}
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
		if dir, err = syntheaExport(ctx, c.repo); err != nil {
			return nil, err
		}
		name = fmt.Sprintf("Synthea 3.3.0 (seed %d, %d patients)", syntheaSeed, syntheaPatients)
	}
	d, err := measureDir(dir)
	if err != nil {
		return nil, fmt.Errorf("the Synthea export %s: %w", dir, err)
	}
	sets = append(sets, gridData{Name: name, Dir: dir, N: d.Resources})
	return sets, nil
}
