package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// The matrix of settings tried against HAPI.
var (
	hapiConcurrency = []int{1, 2, 4, 8}
	hapiBatch       = []int{50, 100, 500, 1000}
)

// bed is the benchmark's own HAPI test bed, on ports of its own so that
// it never meets the test suites' beds.
type bed struct {
	repo  string
	state string // scripts/testbed's state folder of this bed
	env   []string
}

func newBed(repo string) *bed {
	root := filepath.Join(repo, ".testbed", "bench")
	return &bed{repo: repo, state: filepath.Join(root, "bed-18090-19090"), env: append(os.Environ(),
		"TESTBED_STATE_ROOT="+root, "HAPI_PORT=18090", "MINIO_PORT=19090", "TESTBED_SERVICES=hapi")}
}

// cpu returns the CPU time (user + system) HAPI's JVM has used so far,
// from /proc; 0 when it cannot be read.
func (b *bed) cpu() time.Duration {
	pid, err := os.ReadFile(filepath.Join(b.state, "hapi.pid"))
	if err != nil {
		return 0
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strings.TrimSpace(string(pid)), "stat"))
	if err != nil {
		return 0
	}
	// After "pid (comm)", fields start at the third: utime is the 14th
	// and stime the 15th, in clock ticks (100 per second on Linux).
	i := bytes.LastIndexByte(stat, ')')
	f := strings.Fields(string(stat[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}

var baseURLRE = regexp.MustCompile(`FHIR_BASE_URL='([^']+)'`)

// up starts HAPI (building it on a fresh machine) and returns its base URL.
func (b *bed) up(ctx context.Context) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(b.repo, "scripts", "testbed"), "up")
	cmd.Env = b.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("scripts/testbed up: %v\n%s", err, tail(errb.Bytes()))
	}
	m := baseURLRE.FindSubmatch(out.Bytes())
	if m == nil {
		return "", fmt.Errorf("scripts/testbed up printed no FHIR_BASE_URL: %q", out.String())
	}
	return string(m[1]), nil
}

func (b *bed) down() error {
	cmd := exec.Command(filepath.Join(b.repo, "scripts", "testbed"), "down")
	cmd.Env = b.env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("scripts/testbed down: %v\n%s", err, out)
	}
	return nil
}

// hapiRun is one load of a fresh data set into HAPI.
type hapiRun struct {
	Batch, Concurrency int // 0: not given (the defaults)
	M                  measurement
	ServerCPU          time.Duration // HAPI's CPU time during the run
	Load               float64       // 1-minute load average at its end
	Err                error
}

// Busy reports whether other processes took CPU during the run: a load
// average above twice the CPUs (HAPI and the client account for about
// the CPUs' number).
func (r hapiRun) Busy() bool { return r.Load > 2*float64(runtime.NumCPU()) }

// ServerMs is HAPI's CPU milliseconds per resource.
func (r hapiRun) ServerMs() float64 {
	if r.M.Sum.Read == 0 {
		return 0
	}
	return float64(r.ServerCPU.Milliseconds()) / float64(r.M.Sum.Read)
}

// Rate is resources per second of the upload itself, as the tool's
// summary says it (planning excluded; it takes milliseconds here).
func (r hapiRun) Rate() float64 {
	if r.Err != nil || r.M.Sum.Seconds == 0 {
		return 0
	}
	return float64(r.M.Sum.Read) / r.M.Sum.Seconds
}

// hapiResults is the matrix, the run with the defaults, the best setting
// run again after it, and the fill series.
type hapiResults struct {
	URL       string
	Resources int // per run
	Warmup    []hapiRun
	Cells     map[[2]int]hapiRun // {concurrency, batch}
	// Defaults and DefaultsAgain are two runs without flags: 100 per
	// Bundle, adaptive concurrency, transaction first on HAPI 8.2+.
	Defaults, DefaultsAgain hapiRun
	// Synthea is a real Synthea export loaded with the defaults into an
	// emptied server (zero value: no Synthea runner).
	Synthea     hapiRun
	SyntheaNote string
	BestAgain   hapiRun
	// Fill are loads with the defaults, one after the other into the
	// same server: how it slows down as it fills.
	Fill []hapiRun
}

// Paired compares the defaults with the best setting on two runs each:
// the run without flags and the matrix's cell of the default setting,
// against the best cell and its run again. The best of 16 noisy runs is
// biased upwards; its second run is not. busy says that one of the four
// ran while other processes took CPU.
func (h *hapiResults) Paired() (defaults, best float64, busy bool) {
	c, s, _ := h.Best()
	runs := []hapiRun{h.Defaults, h.DefaultsAgain, h.Cells[[2]int{c, s}], h.BestAgain}
	for _, r := range runs {
		busy = busy || r.Busy()
	}
	return (runs[0].Rate() + runs[1].Rate()) / 2, (runs[2].Rate() + runs[3].Rate()) / 2, busy
}

// Best returns the setting of the matrix with the highest rate.
func (h *hapiResults) Best() (c, s int, rate float64) {
	for k, r := range h.Cells {
		if r.Rate() > rate {
			c, s, rate = k[0], k[1], r.Rate()
		}
	}
	return c, s, rate
}

// fillRuns is the length of the fill series; minWarmup and maxWarmup
// bound the warm-up loads.
const fillRuns, minWarmup, maxWarmup = 5, 8, 12

// hapiMatrix loads a new data set (new ids: a prefix of its own) for each
// setting into an emptied server: HAPI on H2 slows down as it fills, so
// without $expunge the later runs would be slower whatever their
// setting. The order is shuffled too, against a machine whose load
// drifts. Warm-up loads go first, unmeasured: a fresh JVM is slow.
// Then the defaults, the best setting again, and the fill series.
func hapiMatrix(ctx context.Context, r runner, b *bed, url string, sets func(i int) (dataset, error), log func(string, ...any)) (*hapiResults, error) {
	h := &hapiResults{URL: url, Cells: map[[2]int]hapiRun{}}
	n := 0
	load := func(c, s int, empty bool) (hapiRun, error) {
		if empty {
			if err := expunge(ctx, url); err != nil {
				return hapiRun{}, err
			}
		}
		d, err := sets(n)
		n++
		if err != nil {
			return hapiRun{}, err
		}
		h.Resources = d.Resources
		var flags []string
		if s > 0 {
			flags = append(flags, "-s", strconv.Itoa(s), "-c", strconv.Itoa(c))
		}
		cpu0 := b.cpu()
		m, err := r.upload(ctx, d.Path, url, flags...)
		run := hapiRun{Batch: s, Concurrency: c, M: m, ServerCPU: b.cpu() - cpu0, Err: err}
		run.Load, _ = strconv.ParseFloat(loadAvg(), 64)
		label := fmt.Sprintf("-s %d -c %d", s, c)
		if s == 0 {
			label = "defaults"
		}
		if err != nil {
			log("  HAPI %s: %v", label, err)
		} else {
			log("  HAPI %-16s %6d resources in %5.1fs: %5.0f resources/s; HAPI CPU %4.1f ms per resource; load %.2f",
				label, m.Sum.Read, m.Sum.Seconds, run.Rate(), run.ServerMs(), run.Load)
		}
		return run, ctx.Err()
	}
	// HAPI takes some 40,000 resources to settle (its CPU time per
	// resource falls fourfold): warm up with at least minWarmup loads,
	// then until that time stops falling.
	for len(h.Warmup) < maxWarmup {
		run, err := load(4, 500, true)
		if err != nil {
			return h, err
		}
		h.Warmup = append(h.Warmup, run)
		if k := len(h.Warmup); k >= minWarmup && run.ServerMs() > 0 && h.Warmup[k-2].ServerMs() < run.ServerMs()*1.10 {
			break
		}
	}
	var order [][2]int
	for _, c := range hapiConcurrency {
		for _, s := range hapiBatch {
			order = append(order, [2]int{c, s})
		}
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, k := range order {
		run, err := load(k[0], k[1], true)
		if err != nil {
			return h, err
		}
		h.Cells[k] = run
	}
	var err error
	if h.Defaults, err = load(0, 0, true); err != nil {
		return h, err
	}
	c, s, _ := h.Best()
	if h.BestAgain, err = load(c, s, true); err != nil {
		return h, err
	}
	if h.DefaultsAgain, err = load(0, 0, true); err != nil {
		return h, err
	}
	log("  HAPI fill series: %d loads with the defaults into the same server", fillRuns)
	for i := range fillRuns {
		run, err := load(0, 0, i == 0)
		if err != nil {
			return h, err
		}
		h.Fill = append(h.Fill, run)
	}
	return h, nil
}

// expunge empties the server: POST [base]/$expunge expungeEverything.
func expunge(ctx context.Context, base string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	body := `{"resourceType":"Parameters","parameter":[{"name":"expungeEverything","valueBoolean":true}]}`
	req, err := http.NewRequestWithContext(ctx, "POST", base+"/$expunge", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("HAPI $expunge: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HAPI $expunge: HTTP %d: %s", resp.StatusCode, b)
	}
	return nil
}

// syntheaSeed and syntheaPatients pick the real export the HAPI phase
// loads once with the defaults (scripts/synthea caches it): 1,940
// resources. The grid loads gridSyntheaPatients of the same seed at every
// point: 5,254 resources, enough for a run of several seconds at the
// server's best rate, so that the start and the end of a run (the slow
// start, the last Bundles of a step) weigh as little as in a real load.
const (
	syntheaSeed         = 910315
	syntheaPatients     = 3
	gridSyntheaPatients = 8
)

// syntheaLoad generates (or finds cached) a Synthea export with
// scripts/synthea and loads it with the defaults into an emptied server.
func syntheaLoad(ctx context.Context, r runner, b *bed, url string, h *hapiResults, log func(string, ...any)) error {
	dir, err := syntheaExport(ctx, b.repo, syntheaPatients)
	if err != nil {
		return err
	}
	h.SyntheaNote = fmt.Sprintf("3.3.0, seed %d, %d patients", syntheaSeed, syntheaPatients)
	if err := expunge(ctx, url); err != nil {
		return err
	}
	cpu0 := b.cpu()
	m, err := r.upload(ctx, dir, url)
	h.Synthea = hapiRun{M: m, ServerCPU: b.cpu() - cpu0, Err: err}
	h.Synthea.Load, _ = strconv.ParseFloat(loadAvg(), 64)
	log("  HAPI Synthea (%s): %d resources in %.1fs, %.0f resources/s, err %v", h.SyntheaNote, m.Sum.Read, m.Sum.Seconds, h.Synthea.Rate(), err)
	return ctx.Err()
}

// syntheaExport returns the folder of the benchmark's Synthea export,
// generated by scripts/synthea on first use and cached.
func syntheaExport(ctx context.Context, repo string, patients int) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(repo, "scripts", "synthea"), "-p", strconv.Itoa(patients), "-s", strconv.Itoa(syntheaSeed))
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/synthea: %v\n%s", err, tail(errb.Bytes()))
	}
	return strings.TrimSpace(string(out)), nil
}
