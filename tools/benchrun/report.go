package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// results is everything one benchrun measured.
type results struct {
	Machine string
	Start   time.Time
	Elapsed time.Duration
	Data    *datasets
	Ceiling []clientRow
	Memory  []clientRow
	HAPI    *hapiResults
	Grid    []*gridTable
	Micro   []microResult
	Profile string
	Load    map[string]string // load average when a phase started
}

// loadAvg is the 1-minute load average.
func loadAvg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// Targets of issue #7.
const (
	targetResPerCPU = 200_000
	targetMBPerCPU  = 100
	targetRSSMiB    = 128
	targetDefaults  = 0.90
)

// machineInfo says what the numbers were measured on.
func machineInfo(repo string) string {
	cpu := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	mem := ""
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		_, _ = fmt.Sscanf(strings.TrimPrefix(strings.SplitN(string(b), "\n", 2)[0], "MemTotal:"), "%f", &kb)
		mem = fmt.Sprintf(", %.1f GiB RAM", kb/(1<<20))
	}
	kernel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	load, _ := os.ReadFile("/proc/loadavg")
	commit := "unknown commit"
	if b, err := exec.Command("git", "-C", repo, "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = "commit " + strings.TrimSpace(string(b))
		if st, err := exec.Command("git", "-C", repo, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			commit += " with local changes"
		}
	}
	return fmt.Sprintf("%s, %d CPUs%s, Linux %s, %s, %s; load average at start %s",
		cpu, runtime.NumCPU(), mem, strings.TrimSpace(string(kernel)), runtime.Version(), commit,
		strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
}

// perCPU is resources and MB per CPU-second of a run.
func perCPU(r clientRow) (res, mb float64) {
	s := r.M.CPU.Seconds()
	if s == 0 {
		return 0, 0
	}
	return float64(r.M.Sum.Read) / s, r.Data.MB() / s
}

func metMissed(ok bool) string {
	if ok {
		return "**met**"
	}
	return "**missed**"
}

// num writes n with thousands separators.
func num(n float64) string {
	s := strconv.FormatInt(int64(n+0.5), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *results) find(rows []clientRow, name, order string) (clientRow, bool) {
	for _, row := range rows {
		if row.Data.Name == name && row.Order == order {
			return row, true
		}
	}
	return clientRow{}, false
}

// markdown renders the report.
func (r *results) markdown() string {
	var w strings.Builder
	fmt.Fprintf(&w, "# minio-to-fhir benchmarks\n\n")
	fmt.Fprintf(&w, "Measured by `make bench` on %s in %s.\n\n", r.Start.UTC().Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))
	fmt.Fprintf(&w, "Machine: %s.\n\n", r.Machine)
	r.writeTargets(&w)
	r.writeCeiling(&w)
	r.writeMemory(&w)
	r.writeHAPI(&w)
	writeGrid(&w, r.Grid)
	r.writeMicro(&w)
	if r.Profile != "" {
		fmt.Fprintf(&w, "## CPU profile of the client\n\n```text\n%s```\n", r.Profile)
	}
	return w.String()
}

func (r *results) writeTargets(w *strings.Builder) {
	if len(r.Ceiling)+len(r.Memory) == 0 && r.HAPI == nil {
		return
	}
	fmt.Fprintf(w, "## Targets\n\n| target | measured | |\n|---|---|---|\n")
	if row, ok := r.find(r.Ceiling, r.Data.Plain.Name, "data"); ok {
		res, _ := perCPU(row)
		fmt.Fprintf(w, "| client pipeline ≥ %s resources per CPU-second (%s, `--order data`, the default) | %s | %s |\n",
			num(targetResPerCPU), row.Data.Name, num(res), metMissed(res >= targetResPerCPU))
	}
	if row, ok := r.find(r.Ceiling, r.Data.Plain.Name, "static"); ok {
		res, _ := perCPU(row)
		fmt.Fprintf(w, "| the same with `--order static` | %s | %s |\n", num(res), metMissed(res >= targetResPerCPU))
	}
	if row, ok := r.find(r.Ceiling, r.Data.Synthea.Name, "data"); ok {
		_, mb := perCPU(row)
		fmt.Fprintf(w, "| client pipeline ≥ %d MB per CPU-second (%s, `--order data`) | %.1f | %s |\n", targetMBPerCPU, row.Data.Name, mb, metMissed(mb >= targetMBPerCPU))
	}
	if row, ok := r.find(r.Ceiling, r.Data.Synthea.Name, "static"); ok {
		_, mb := perCPU(row)
		fmt.Fprintf(w, "| the same with `--order static` | %.1f | %s |\n", mb, metMissed(mb >= targetMBPerCPU))
	}
	var static, data clientRow
	for _, row := range append(append([]clientRow(nil), r.Ceiling...), r.Memory...) {
		if row.Order == "static" && row.M.MaxRSS > static.M.MaxRSS {
			static = row
		}
		if row.Order == "data" && row.M.MaxRSS > data.M.MaxRSS {
			data = row
		}
	}
	if static.M.MaxRSS > 0 {
		fmt.Fprintf(w, "| peak memory < %d MiB for any file size, the planner aside (largest of the `--order static` runs: %s) | %.0f MiB | %s |\n",
			targetRSSMiB, static.Data.Name, static.M.RSSMiB(), metMissed(static.M.RSSMiB() < targetRSSMiB))
		// Not a target: the planner's index grows with the resource count
		// (section 2 gives the growth); shown beside the 128 MiB for scale.
		fmt.Fprintf(w, "| peak memory with the planner, which the target leaves aside (largest of the `--order data` runs: %s, %s resources) | %.0f MiB | — (grows with the resource count, see 2.) |\n",
			data.Data.Name, num(float64(data.M.Sum.Read)), data.M.RSSMiB())
	}
	if h := r.HAPI; h != nil {
		if d, best, busy := h.Paired(); best > 0 {
			c, s, _ := h.Best()
			verdict := metMissed(d >= targetDefaults*best)
			if busy {
				verdict += ", but not reliable: other processes took CPU during these runs (section 3)"
			}
			fmt.Fprintf(w, "| defaults within 10%% of the best HAPI rate (two runs each: defaults vs `-s %d -c %d`) | %.0f%% of the best (%.0f vs %.0f resources/s) | %s |\n",
				s, c, 100*d/best, d, best, verdict)
		}
	}
	fmt.Fprintln(w)
}

func (r *results) writeCeiling(w *strings.Builder) {
	if len(r.Ceiling) == 0 {
		return
	}
	fmt.Fprintf(w, "## 1. Client ceiling\n\n")
	fmt.Fprintf(w, "The whole pipeline (scan, plan, read, check, bundle, HTTP, response parsing, failure log) of the built binary, "+
		"run as a subprocess with its defaults (200 resources or 1 MiB per Bundle, adaptive concurrency up to 8), against a sink on 127.0.0.1 that answers every Bundle at once "+
		"with a batch-response worded as HAPI's (location, etag, OperationOutcome per entry). CPU is the client's user+system time "+
		"(rusage) and peak RSS its VmHWM (read from /proc while it runs); the sink runs in the harness process and shares the CPUs, so wall rates are "+
		"lower than CPU rates. `--order data` reads the input twice (one planning pass, which keeps each resource's references in a temporary file "+
		"for the planner's second pass, and the send), "+
		"`--order static` twice (count and send). The data is in the page cache. The last column is the 1-minute load "+
		"average at the end of the run: above %d (the CPUs, as the client and the sink keep them busy) other processes "+
		"shared the machine, which slows wall-clock rates most.\n\n",
		runtime.NumCPU())
	fmt.Fprintf(w, "| data | order | files | resources | MB (NDJSON) | wall s | resources/s | MB/s | CPU s | CPU s per M resources | resources per CPU-s | MB per CPU-s | peak RSS MiB | Bundles / TCP connections | load |\n")
	fmt.Fprintf(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range r.Ceiling {
		res, mb := perCPU(row)
		wall := row.M.Wall.Seconds()
		fmt.Fprintf(w, "| %s | %s | %d | %s | %.0f | %.1f | %s | %.1f | %.1f | %.1f | %s | %.1f | %.0f | %s / %s | %s |\n",
			row.Data.Name, row.Order, row.Data.Files, num(float64(row.M.Sum.Read)), row.Data.MB(), wall,
			num(float64(row.M.Sum.Read)/wall), row.Data.MB()/wall, row.M.CPU.Seconds(), row.M.CPUPerM(), num(res), mb, row.M.RSSMiB(),
			num(float64(row.SinkBundles)), num(float64(row.SinkConns)), row.Load)
	}
	fmt.Fprintln(w)
	for _, d := range []dataset{r.Data.Plain, r.Data.Gzip, r.Data.Synthea} {
		note := d.Note
		if note == "" {
			note = "generated by fhirgen"
		}
		fmt.Fprintf(w, "- %s: %s, %.1f MB on disk, %.0f bytes per resource.\n", d.Name, note, float64(d.Disk)/1e6, float64(d.Bytes)/float64(max(1, d.Resources)))
	}
	fmt.Fprintln(w)
}

func (r *results) writeMemory(w *strings.Builder) {
	if len(r.Memory) == 0 {
		return
	}
	fmt.Fprintf(w, "## 2. Memory against input size\n\n")
	fmt.Fprintf(w, "The same binary and sink. The single files hold the Observations of the generated MIMIC-shaped data "+
		"(repeated with new ids where needed), so their references to Patients, Encounters and Specimens are to resources "+
		"not in the input; the small files are a generated data set split into pieces.\n\n")
	fmt.Fprintf(w, "| input | order | files | resources | MB (NDJSON) | peak RSS MiB | CPU s | wall s | load |\n|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, row := range r.Memory {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %.0f | %.1f | %.1f | %s |\n", row.Data.Name, row.Order, num(float64(row.Data.Files)),
			num(float64(row.M.Sum.Read)), row.Data.MB(), row.M.RSSMiB(), row.M.CPU.Seconds(), row.M.Wall.Seconds(), row.Load)
	}
	fmt.Fprintln(w)
	for _, order := range []string{"data", "static"} {
		small, ok1 := r.find(r.Memory, r.Data.Small.Name, order)
		big, ok2 := r.find(r.Memory, r.Data.Big.Name, order)
		if !ok1 || !ok2 || big.M.Sum.Read == small.M.Sum.Read {
			continue
		}
		per := float64(big.M.MaxRSS-small.M.MaxRSS) / float64(big.M.Sum.Read-small.M.Sum.Read)
		fmt.Fprintf(w, "- `--order %s`: from %s to %s resources (%.0fx the bytes) peak RSS goes from %.0f to %.0f MiB: "+
			"%.1f bytes per resource more.\n", order, num(float64(small.M.Sum.Read)), num(float64(big.M.Sum.Read)),
			big.Data.MB()/small.Data.MB(), small.M.RSSMiB(), big.M.RSSMiB(), per)
	}
	fmt.Fprintf(w, "\nWith `--order static` memory should not depend on the input's size; with `--order data` the planner "+
		"keeps an index and a graph of every resource, so it grows with the resource count (not the bytes): the line above "+
		"is that growth.\n\n")
}

func (r *results) writeHAPI(w *strings.Builder) {
	h := r.HAPI
	if h == nil {
		return
	}
	fmt.Fprintf(w, "## 3. Against the HAPI FHIR test bed\n\n")
	fmt.Fprintf(w, "HAPI FHIR JPA 8.8.0 on H2 in memory (scripts/testbed, 127.0.0.1:18090, its shipped settings: referential "+
		"integrity on), on the same machine. Each run loads a new MIMIC-shaped data set of %s resources with `--order data` "+
		"into a server emptied by `$expunge` (HAPI on H2 slows down as it fills, see the fill series below, so runs into a "+
		"filling server would not compare); resources per second of the upload as the tool's summary gives it. The settings "+
		"ran in a shuffled order after %d warm-up loads with `-s 500 -c 4`, until HAPI's CPU time per resource stopped falling (%s); the 1-minute load average went from %s. A load this small has "+
		"only a few Bundles per step at batch sizes 500 and 1000, so those cannot use much concurrency.\n\n",
		num(float64(h.Resources)), len(h.Warmup), warmupText(h.Warmup), r.Load["hapi"])
	bc, bs, best := h.Best()
	fmt.Fprintf(w, "Resources per second (the best in bold):\n\n")
	h.grid(w, func(c, s int, run hapiRun) string {
		cell := fmt.Sprintf("%.0f", run.Rate())
		if c == bc && s == bs {
			cell = "**" + cell + "**"
		}
		if run.Busy() {
			cell += " †"
		}
		return cell
	})
	if h.anyBusy() {
		fmt.Fprintf(w, "\n† the machine was busy: the 1-minute load average at the end of the run was above %d (twice the CPUs; "+
			"HAPI and the client account for about the CPUs' number), so other processes took CPU from HAPI.\n", 2*runtime.NumCPU())
	}
	fmt.Fprintf(w, "\nHAPI's CPU time per resource, in ms (its JVM's user + system time during the run, from /proc; "+
		"steadier than the rates when other processes share the machine):\n\n")
	h.grid(w, func(_, _ int, run hapiRun) string { return fmt.Sprintf("%.1f", run.ServerMs()) })
	pd, pb, busy := h.Paired()
	fmt.Fprintf(w, "\n- Best in the matrix: %.0f resources/s at `-s %d -c %d`; run again right after the defaults: %.0f resources/s%s.\n",
		best, bs, bc, h.BestAgain.Rate(), dagger(h.BestAgain))
	fmt.Fprintf(w, "- Defaults (no flags: 100 per Bundle, adaptive concurrency, transaction first): %.0f and %.0f resources/s%s%s (settled at %d and %d Bundles in flight).\n",
		h.Defaults.Rate(), h.DefaultsAgain.Rate(), dagger(h.Defaults), dagger(h.DefaultsAgain), h.Defaults.M.Sum.Concurrency.Settled, h.DefaultsAgain.M.Sum.Concurrency.Settled)
	fmt.Fprintf(w, "- Two runs each: defaults %.0f, best setting %.0f resources/s: the defaults reach %.0f%% of the best (target ≥ %.0f%%)",
		pd, pb, 100*pd/max(pb, 1), 100*targetDefaults)
	if busy {
		fmt.Fprintf(w, "; not reliable, as some of these runs shared the machine (†)")
	}
	fmt.Fprintln(w, ".")
	var ms []float64
	for _, run := range h.Cells {
		if run.Err == nil && run.ServerMs() > 0 {
			ms = append(ms, run.ServerMs())
		}
	}
	if len(ms) > 0 {
		slices.Sort(ms)
		med := ms[len(ms)/2]
		fmt.Fprintf(w, "- Into an empty server HAPI needs %.1f ms of CPU per resource (the median of the settings), so %d CPUs let it "+
			"write at most about %.0f resources/s whatever the client does; the defaults' runs took %.1f and %.1f ms per resource.\n",
			med, runtime.NumCPU(), float64(runtime.NumCPU())*1000/med, h.Defaults.ServerMs(), h.DefaultsAgain.ServerMs())
	}
	if sy := h.Synthea; sy.M.Sum.Read > 0 || sy.Err != nil {
		if sy.Err != nil {
			fmt.Fprintf(w, "- Synthea (%s) with the defaults failed: %v\n", h.SyntheaNote, sy.Err)
		} else {
			fmt.Fprintf(w, "- Synthea (%s) with the defaults into an emptied server: %s resources in %.1f s, %.0f resources/s%s, %d failed, %d duplicate lines skipped; HAPI CPU %.1f ms per resource.\n",
				h.SyntheaNote, num(float64(sy.M.Sum.Read)), sy.M.Sum.Seconds, sy.Rate(), dagger(sy), sy.M.Sum.Failed, sy.M.Sum.DuplicatesSkipped, sy.ServerMs())
		}
	}
	if len(h.Fill) > 0 {
		fmt.Fprintf(w, "\nFill series: %d loads of %s resources with the defaults, one after the other into the same server "+
			"(emptied before the first):\n\n| resources stored before the load | resources/s | HAPI CPU ms per resource |\n|--:|--:|--:|\n",
			len(h.Fill), num(float64(h.Resources)))
		stored := 0
		for _, run := range h.Fill {
			fmt.Fprintf(w, "| %s | %.0f%s | %.1f |\n", num(float64(stored)), run.Rate(), dagger(run), run.ServerMs())
			stored += run.M.Sum.Read
		}
		fmt.Fprintln(w)
	}
	for _, run := range append(append(append([]hapiRun{}, h.Warmup...), h.Defaults, h.DefaultsAgain, h.BestAgain), h.Fill...) {
		if run.Err != nil {
			fmt.Fprintf(w, "- A run failed: %v\n", run.Err)
		}
	}
	for _, run := range h.Cells {
		if run.Err != nil {
			fmt.Fprintf(w, "- `-s %d -c %d` failed: %v\n", run.Batch, run.Concurrency, run.Err)
		}
	}
	fmt.Fprintln(w)
}

// grid writes a table of concurrency (rows) by batch size (columns).
func (h *hapiResults) grid(w *strings.Builder, cell func(c, s int, run hapiRun) string) {
	fmt.Fprintf(w, "| concurrency \\ batch size |")
	for _, s := range hapiBatch {
		fmt.Fprintf(w, " %d |", s)
	}
	fmt.Fprintf(w, "\n|---|%s\n", strings.Repeat("--:|", len(hapiBatch)))
	for _, c := range hapiConcurrency {
		fmt.Fprintf(w, "| %d |", c)
		for _, s := range hapiBatch {
			run := h.Cells[[2]int{c, s}]
			if run.Err != nil {
				fmt.Fprintf(w, " error |")
				continue
			}
			fmt.Fprintf(w, " %s |", cell(c, s, run))
		}
		fmt.Fprintln(w)
	}
}

// anyBusy reports whether a measured run shared the machine.
func (h *hapiResults) anyBusy() bool {
	for _, r := range h.Cells {
		if r.Busy() {
			return true
		}
	}
	return h.Defaults.Busy() || h.DefaultsAgain.Busy() || h.BestAgain.Busy() || slices.ContainsFunc(h.Fill, hapiRun.Busy)
}

func dagger(r hapiRun) string {
	if r.Busy() {
		return " †"
	}
	return ""
}

func warmupText(runs []hapiRun) string {
	var parts []string
	for _, r := range runs {
		parts = append(parts, fmt.Sprintf("%.0f resources/s at %.1f ms", r.Rate(), r.ServerMs()))
	}
	return strings.Join(parts, ", ")
}

func (r *results) writeMicro(w *strings.Builder) {
	if len(r.Micro) == 0 {
		return
	}
	fmt.Fprintf(w, "## 4. Go micro-benchmarks\n\n`go test -run '^$' -bench . -benchmem` (benchtime 200ms; 3x for the pipeline). "+
		"Per op: one line (ndjson), one resource (refs, Inspect), a Bundle of 100 (fhir), a whole generated data set of "+
		"100 patients read, planned and sent to an in-memory sender (transfer).\n\n")
	fmt.Fprintf(w, "| package | benchmark | ns/op | MB/s | B/op | allocs/op | other |\n|---|---|--:|--:|--:|--:|---|\n")
	for _, m := range r.Micro {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s |\n", m.Pkg, m.Name, m.Get("ns/op"), m.Get("MB/s"), m.Get("B/op"), m.Get("allocs/op"), m.Extra())
	}
	fmt.Fprintln(w)
}
