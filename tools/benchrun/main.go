// Command benchrun measures minio-to-fhir in one run on this machine and
// prints one report: the client's own cost against a sink that answers at
// once, its memory against input size, the rate a real HAPI FHIR test bed
// reaches at each batch size and concurrency, and the Go micro-benchmarks
// of the hot paths. The report also goes to bench/out/results.md.
//
//	go run ./tools/benchrun          # or: make bench
//	go run ./tools/benchrun -quick   # small sizes, a smoke test of the harness
//	go run ./tools/benchrun -sink    # only serve the sink, for runs by hand
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config are benchrun's flags.
type config struct {
	repo, out     string
	clientSize    string // fhirgen -size of the client-ceiling data
	syntheaSize   int64
	syntheaDir    string
	smallFile     int64
	bigFile       int64
	manyFiles     int
	manyResources int
	hapiResources int
	phases        map[string]bool // hapi, client, memory, micro, profile, grid
	gridDBs       []string        // the beds of the grid phase: mem, postgres
	gridResources int
	gridSynthea   string
	keep          bool
	sinkOnly      bool
}

// The phases benchrun knows, in the order it runs them.
var allPhases = []string{"hapi", "client", "memory", "profile", "micro", "grid"}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun: error:", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("benchrun", flag.ContinueOnError)
	fs.StringVar(&c.out, "out", "", "`folder` for the binaries, data and results (default <repo>/bench/out)")
	fs.StringVar(&c.clientSize, "size", "1GB", "NDJSON `size` of the client-ceiling data sets (plain and gzipped)")
	fs.Int64Var(&c.syntheaSize, "synthea-size", 400e6, "`bytes` of Synthea-shaped data (copies of the sample)")
	fs.StringVar(&c.syntheaDir, "synthea", "", "Synthea bulk export `folder` to copy (default <repo>/testdata/sample/synthea-smart-bulk-10-patients)")
	fs.Int64Var(&c.smallFile, "file-small", 100e6, "`bytes` of the small single-file case")
	fs.Int64Var(&c.bigFile, "file-big", 2e9, "`bytes` of the big single-file case")
	fs.IntVar(&c.manyFiles, "files", 10000, "`number` of files of the many-files case")
	fs.IntVar(&c.manyResources, "files-resources", 200000, "`resources` spread over those files")
	fs.IntVar(&c.hapiResources, "hapi-resources", 5000, "`resources` per HAPI run")
	gridDBs := fs.String("grid-db", "mem,postgres", "the HAPI `databases` of the grid phase (mem, postgres)")
	fs.IntVar(&c.gridResources, "grid-resources", 6000, "MIMIC-shaped `resources` per run of the grid phase")
	fs.StringVar(&c.gridSynthea, "grid-synthea", "", "a Synthea bulk export `folder` for the grid phase (default: scripts/synthea -p 8 -s 910315)")
	only := fs.String("only", "hapi,client,memory,micro", "the `phases` to run, of "+strings.Join(allPhases, ",")+" (grid: the defaults against a grid of settings on H2 and PostgreSQL, make bench-grid)")
	prof := fs.Bool("profile", false, "also profile the client on the plain client-ceiling data (one more run)")
	fs.BoolVar(&c.keep, "keep", false, "keep the generated data")
	quick := fs.Bool("quick", false, "small sizes: check that the harness works, in about three minutes")
	fs.BoolVar(&c.sinkOnly, "sink", false, "only serve the sink on 127.0.0.1 and print its base URL, until interrupted")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.phases = map[string]bool{"profile": *prof}
	for _, p := range strings.Split(*only, ",") {
		if !slices.Contains(allPhases, p) {
			return nil, fmt.Errorf("-only: unknown phase %q (phases: %s)", p, strings.Join(allPhases, ","))
		}
		c.phases[p] = true
	}
	c.gridDBs = strings.Split(*gridDBs, ",")
	for _, db := range c.gridDBs {
		if db != "mem" && db != "postgres" {
			return nil, fmt.Errorf("-grid-db: unknown database %q (mem, postgres)", db)
		}
	}
	if *quick {
		c.clientSize, c.syntheaSize, c.smallFile, c.bigFile = "30MB", 20e6, 10e6, 60e6
		c.manyFiles, c.manyResources, c.hapiResources, c.gridResources = 300, 6000, 1000, 500
	}
	if c.sinkOnly {
		return c, nil
	}
	repo, err := repoRoot()
	if err != nil {
		return nil, err
	}
	c.repo = repo
	if c.out == "" {
		c.out = filepath.Join(repo, "bench", "out")
	}
	if c.syntheaDir == "" {
		c.syntheaDir = filepath.Join(repo, "testdata", "sample", "synthea-smart-bulk-10-patients")
	}
	return c, nil
}

// repoRoot is the folder of the module's go.mod.
func repoRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run benchrun inside the minio-to-fhir module")
	}
	return filepath.Dir(mod), nil
}

// logf prints progress to stderr, with the time since start.
type logger struct{ start time.Time }

func (l logger) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%6.1fs] %s\n", time.Since(l.start).Seconds(), fmt.Sprintf(format, args...))
}

func run(ctx context.Context, args []string) error {
	c, err := parseFlags(args)
	if err != nil {
		return err
	}
	if c.sinkOnly {
		return serveSink(ctx)
	}
	lg := logger{start: time.Now()}
	res := &results{Machine: machineInfo(c.repo), Start: lg.start, Load: map[string]string{}}
	for _, d := range []string{"data", "work"} {
		if err := os.MkdirAll(filepath.Join(c.out, d), 0o755); err != nil {
			return err
		}
	}
	dataDir := filepath.Join(c.out, "data")
	if !c.keep {
		// Only the report (and a profile) stays: the data is gigabytes.
		defer func() {
			for _, p := range []string{dataDir, filepath.Join(c.out, "work"), filepath.Join(c.out, "minio-to-fhir"), filepath.Join(c.out, "fhirgen")} {
				os.RemoveAll(p)
			}
		}()
	}
	lg.logf("building minio-to-fhir and fhirgen into %s", c.out)
	bins := map[string]string{"minio-to-fhir": "./cmd/minio-to-fhir", "fhirgen": "./tools/fhirgen"}
	if c.phases["profile"] {
		bins["uploadprof"] = "./tools/uploadprof"
	}
	for name, pkg := range bins {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(c.out, name), pkg)
		cmd.Dir = c.repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	r := runner{bin: filepath.Join(c.out, "minio-to-fhir"), work: filepath.Join(c.out, "work")}
	gen := filepath.Join(c.out, "fhirgen")

	// HAPI starts (or is built) while the data is generated; it is
	// stopped before the client is measured, so that it does not take
	// the client's CPU.
	var b *bed
	hapiUp := make(chan error, 1)
	var hapiURL string
	if c.phases["hapi"] {
		b = newBed(c.repo)
		defer func() { _ = b.down() }() // down reports its own trouble
		lg.logf("starting the HAPI FHIR test bed (127.0.0.1:18090)")
		go func() {
			var err error
			hapiURL, err = b.up(ctx)
			hapiUp <- err
		}()
	}
	sets, err := makeData(ctx, c, gen, dataDir, lg.logf)
	if err != nil {
		return err
	}
	res.Data = sets
	if c.phases["hapi"] {
		if err := <-hapiUp; err != nil {
			return err
		}
		lg.logf("HAPI ready at %s; %d settings, %d resources each", hapiURL, len(hapiBatch)*len(hapiConcurrency)+4, c.hapiResources)
		hapiSet := func(i int) (dataset, error) {
			dir := filepath.Join(dataDir, fmt.Sprintf("hapi-%02d", i))
			return fhirgen(ctx, gen, dir, "-resources", fmt.Sprint(c.hapiResources), "-id-prefix", fmt.Sprintf("b%02d", i))
		}
		res.Load["hapi"] = loadAvg()
		res.HAPI, err = hapiMatrix(ctx, r, b, hapiURL, hapiSet, lg.logf)
		if err == nil {
			err = syntheaLoad(ctx, r, b, hapiURL, res.HAPI, lg.logf)
		}
		res.Load["hapi"] += " to " + loadAvg()
		if err != nil {
			return err
		}
		if err := b.down(); err != nil {
			return err
		}
		lg.logf("HAPI test bed stopped")
	}
	if c.phases["grid"] {
		sets, err := gridSets(ctx, c, gen, dataDir)
		if err != nil {
			return err
		}
		res.Load["grid"] = loadAvg()
		res.Grid, err = runGrid(ctx, c, r, sets, lg.logf)
		res.Load["grid"] += " to " + loadAvg()
		if err != nil {
			return err
		}
	}
	if c.phases["client"] || c.phases["memory"] || c.phases["profile"] {
		if err := clientCases(ctx, c, r, sets, res, lg.logf); err != nil {
			return err
		}
	}
	if c.phases["micro"] {
		lg.logf("Go micro-benchmarks")
		if res.Micro, err = runMicro(ctx, c.repo, lg.logf); err != nil {
			return err
		}
	}
	res.Elapsed = time.Since(lg.start)
	report := res.markdown()
	path := filepath.Join(c.out, "results.md")
	if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
		return err
	}
	fmt.Print(report)
	lg.logf("written to %s", path)
	return nil
}

// serveSink serves the sink until ctx ends, then says what it got.
func serveSink(ctx context.Context) error {
	s, err := startSink()
	if err != nil {
		return err
	}
	fmt.Println(s.URL())
	<-ctx.Done()
	s.stop()
	bundles, entries, conns := s.reset()
	fmt.Fprintf(os.Stderr, "benchrun: the sink answered %d Bundles (%d entries) on %d connections\n", bundles, entries, conns)
	return nil
}
