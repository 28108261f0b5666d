package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// datasets are the inputs of the client and memory cases.
type datasets struct {
	Plain, Gzip, Synthea dataset // client ceiling
	Small, Big, Many     dataset // memory against input size
}

// makeData generates every input into dir.
func makeData(ctx context.Context, c *config, gen, dir string, logf func(string, ...any)) (*datasets, error) {
	var d datasets
	var err error
	start := time.Now()
	step := func(what string, fn func() (dataset, error)) (dataset, error) {
		if err != nil {
			return dataset{}, err
		}
		var ds dataset
		ds, err = fn()
		if err == nil {
			ds.Name = what
			logf("  data: %-34s %7d files %9d resources %8.1f MB NDJSON (%.1f MB on disk)", what, ds.Files, ds.Resources, ds.MB(), float64(ds.Disk)/1e6)
		}
		return ds, err
	}
	client, memory := c.phases["client"], c.phases["memory"]
	logf("generating data into %s", dir)
	if !client && !memory && !c.phases["profile"] {
		return &d, nil
	}
	d.Plain, _ = step("MIMIC-shaped "+c.clientSize, func() (dataset, error) {
		return fhirgen(ctx, gen, filepath.Join(dir, "mimic-plain"), "-size", c.clientSize)
	})
	if client {
		d.Gzip, _ = step("MIMIC-shaped "+c.clientSize+", gzipped", func() (dataset, error) {
			return fhirgen(ctx, gen, filepath.Join(dir, "mimic-gzip"), "-size", c.clientSize, "-gzip-all")
		})
		d.Synthea, _ = step("Synthea-shaped", func() (dataset, error) {
			if _, serr := os.Stat(c.syntheaDir); serr != nil {
				// No sample beside the repository: large generated resources.
				ds, err := fhirgen(ctx, gen, filepath.Join(dir, "synthea"), "-size", fmt.Sprint(c.syntheaSize), "-padding", "3000")
				ds.Note = "fhirgen -padding 3000 (no Synthea sample at " + c.syntheaDir + ")"
				return ds, err
			}
			return syntheaCopies(c.syntheaDir, filepath.Join(dir, "synthea"), c.syntheaSize)
		})
	}
	if !memory {
		return &d, err
	}
	var obs []string
	if err == nil {
		obs, err = filepath.Glob(filepath.Join(d.Plain.Path, "MimicObservation*.ndjson"))
	}
	d.Small, _ = step("one "+humanBytes(c.smallFile)+" file", func() (dataset, error) {
		return singleFile(filepath.Join(mkdir(dir, "file-small"), "MimicObservation.ndjson"), obs, c.smallFile)
	})
	d.Big, _ = step("one "+humanBytes(c.bigFile)+" file", func() (dataset, error) {
		return singleFile(filepath.Join(mkdir(dir, "file-big"), "MimicObservation.ndjson"), obs, c.bigFile)
	})
	d.Many, _ = step(fmt.Sprintf("%d small files", c.manyFiles), func() (dataset, error) {
		src := filepath.Join(dir, "many-src")
		defer os.RemoveAll(src)
		if _, err := fhirgen(ctx, gen, src, "-resources", fmt.Sprint(c.manyResources)); err != nil {
			return dataset{}, err
		}
		return splitFiles(src, filepath.Join(dir, "many"), c.manyFiles)
	})
	if err != nil {
		return nil, err
	}
	logf("data generated in %.1fs", time.Since(start).Seconds())
	return &d, nil
}

// humanBytes writes 1e8 as "100 MB" and 2e9 as "2 GB".
func humanBytes(n int64) string {
	if n >= 1e9 {
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e9), ".0") + " GB"
	}
	return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/1e6), ".0") + " MB"
}

func mkdir(parent, name string) string {
	p := filepath.Join(parent, name)
	_ = os.MkdirAll(p, 0o755) // an error shows when the file is created
	return p
}

// clientRow is one run of the tool against the sink.
type clientRow struct {
	Data        dataset
	Order       string
	M           measurement
	SinkEntries int64  // entries the sink received
	SinkBundles int64  // Bundles it answered
	SinkConns   int64  // TCP connections the client opened to it
	Load        string // 1-minute load average at the end of the run
}

// clientCases runs the client-ceiling and memory cases against the sink,
// and the profile when asked.
func clientCases(ctx context.Context, c *config, r runner, d *datasets, res *results, logf func(string, ...any)) error {
	s, err := startSink()
	if err != nil {
		return err
	}
	defer s.stop()
	logf("sink at %s", s.URL())
	one := func(ds dataset, order string) (clientRow, error) {
		s.reset()
		m, err := r.upload(ctx, ds.Path, s.URL(), "--order", order)
		bundles, entries, conns := s.reset()
		row := clientRow{Data: ds, Order: order, M: m, SinkEntries: entries, SinkBundles: bundles, SinkConns: conns, Load: loadAvg()}
		if err != nil {
			return row, err
		}
		if int(entries) != m.Sum.Read {
			return row, fmt.Errorf("%s --order %s: the sink got %d entries for %d resources read", ds.Name, order, entries, m.Sum.Read)
		}
		logf("  %-34s --order %-6s %9d resources %6.1fs wall %6.1fs CPU %5.0f MiB peak: %7.0f resources/CPU-s %6.1f MB/CPU-s; %d Bundles on %d connections",
			ds.Name, order, m.Sum.Read, m.Wall.Seconds(), m.CPU.Seconds(), m.RSSMiB(),
			float64(m.Sum.Read)/m.CPU.Seconds(), ds.MB()/m.CPU.Seconds(), bundles, conns)
		return row, nil
	}
	cases := func(rows *[]clientRow, runs []clientRow) error {
		for _, run := range runs {
			row, err := one(run.Data, run.Order)
			if err != nil {
				return err
			}
			*rows = append(*rows, row)
		}
		return nil
	}
	if c.phases["client"] {
		logf("client ceiling (sink on 127.0.0.1, the defaults)")
		// gzip costs the same in either order: it is measured in the
		// default one only, to keep the run short.
		err := cases(&res.Ceiling, []clientRow{{Data: d.Plain, Order: "data"}, {Data: d.Plain, Order: "static"},
			{Data: d.Gzip, Order: "data"}, {Data: d.Synthea, Order: "data"}, {Data: d.Synthea, Order: "static"}})
		if err != nil {
			return err
		}
	}
	if c.phases["memory"] {
		logf("memory against input size")
		var runs []clientRow
		for _, ds := range []dataset{d.Small, d.Big, d.Many} {
			runs = append(runs, clientRow{Data: ds, Order: "data"}, clientRow{Data: ds, Order: "static"})
		}
		if err := cases(&res.Memory, runs); err != nil {
			return err
		}
	}
	if c.phases["profile"] {
		logf("CPU profile of the client on %s, --order data", d.Plain.Name)
		if res.Profile, err = profile(ctx, c, s.URL(), d.Plain); err != nil {
			return err
		}
	}
	return nil
}

// profile runs uploadprof (the tool with a CPU profile) and returns the
// top entries of the profile, flat and cumulative.
func profile(ctx context.Context, c *config, url string, ds dataset) (string, error) {
	bin := filepath.Join(c.out, "uploadprof")
	prof := filepath.Join(c.out, "cpu.pprof")
	r := runner{bin: bin, work: filepath.Join(c.out, "work")}
	scratch, err := os.MkdirTemp(r.work, "prof-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(scratch)
	args := []string{"-cpuprofile", prof, "upload", "-i", ds.Path, "--fhir-url", url, "--json", "-q",
		"--failure-log", filepath.Join(scratch, "failures.log"), "--checkpoint-dir", scratch, "--fresh", "--env-file", os.DevNull}
	m, _, stderr, err := r.run(ctx, scratch, args)
	if err != nil || m.Exit != 0 {
		return "", fmt.Errorf("uploadprof: exit %d, %v\n%s", m.Exit, err, tail(stderr))
	}
	var out strings.Builder
	fmt.Fprintf(&out, "uploadprof (the tool with runtime/pprof), %s, --order data: %.1fs wall, %.1fs CPU\n\n", ds.Name, m.Wall.Seconds(), m.CPU.Seconds())
	for _, mode := range [][]string{{"-top"}, {"-top", "-cum"}} {
		args := append(append([]string{"tool", "pprof"}, mode...), "-nodecount=30", bin, prof)
		b, err := exec.CommandContext(ctx, "go", args...).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("go tool pprof: %v\n%s", err, b)
		}
		fmt.Fprintf(&out, "$ go tool pprof %s -nodecount=30\n%s\n", strings.Join(mode, " "), b)
	}
	return out.String(), nil
}
