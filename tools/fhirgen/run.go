package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// Exit codes, as minio-to-fhir's.
const (
	exitOK          = 0
	exitFatal       = 1
	exitUsage       = 2
	exitInterrupted = 130
)

const usage = `usage: fhirgen -o DIR [-patients N | -resources N | -size BYTES] [options]

Writes MIMIC-IV-on-FHIR-shaped NDJSON files (MimicPatient.ndjson, ...) and
manifest.json into DIR. The same options give the same bytes. With the
defaults a patient brings about 200 resources (about 90 KB).

options:
`

// options are fhirgen's flags.
type options struct {
	dir        string
	resources  int64
	size       string
	gzipSome   bool
	gzipAll    bool
	splitParts bool
	parts      int
	force      bool
	json       bool
	quiet      bool
	synth      synth.Options
}

func (o *options) bind(fs *flag.FlagSet) {
	fs.StringVar(&o.dir, "o", "", "output `directory` (created if missing; must hold no generated files unless -force)")
	fs.IntVar(&o.synth.Patients, "patients", 20, "number of `patients` (about 200 resources each)")
	fs.Int64Var(&o.resources, "resources", 0, "choose the number of patients to make about `N` resources")
	fs.StringVar(&o.size, "size", "", "choose the number of patients to make about `BYTES` of NDJSON (e.g. 500MB, 1GiB)")
	fs.Int64Var(&o.synth.Seed, "seed", 1, "`seed` of the data set")
	fs.Float64Var(&o.synth.Scale, "scale", 1, "multiply the per-patient event counts by `F`")
	fs.Float64Var(&o.synth.ChartScale, "chart-scale", 1, "multiply the chartevents Observations once more by `F`; "+
		fmt.Sprint(synth.DemoChartScale)+" gives the MIMIC-IV demo's shape (about 72% chartevents)")
	fs.BoolVar(&o.gzipSome, "gzip-some", false, "write about half of the files as .ndjson.gz")
	fs.BoolVar(&o.gzipAll, "gzip-all", false, "write every file as .ndjson.gz")
	fs.BoolVar(&o.splitParts, "split-parts", false, "split the large files into 3 parts (NAME_part1.ndjson, ...)")
	fs.IntVar(&o.parts, "parts", 0, "split the large files into `N` parts (implies -split-parts)")
	fs.IntVar(&o.synth.DanglingRefs, "dangling", 0, "make `N` references point to missing resources (at most one per patient)")
	fs.IntVar(&o.synth.Padding, "padding", 0, "add `N` bytes of text to every resource")
	fs.StringVar(&o.synth.IDPrefix, "id-prefix", "", "start every id with `PREFIX` (letters, digits, '-', '.')")
	fs.IntVar(&o.synth.ShuffleWindow, "window", 0, "shuffle lines in windows of `N` lines (default 65536)")
	fs.IntVar(&o.synth.Workers, "workers", 0, "write `N` files at once (default: number of CPUs, at most 4)")
	fs.BoolVar(&o.force, "force", false, "first remove generated files (Mimic*.ndjson[.gz], manifest.json) from the directory")
	fs.BoolVar(&o.json, "json", false, "print the manifest as JSON instead of the summary")
	fs.BoolVar(&o.quiet, "q", false, "print nothing on success")
}

// validate checks the flags together and fills in what they imply.
func (o *options) validate(fs *flag.FlagSet) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.dir == "":
		return errors.New("-o DIR is required")
	case o.gzipSome && o.gzipAll:
		return errors.New("-gzip-some and -gzip-all exclude each other")
	case countTrue(set["patients"], set["resources"], set["size"]) > 1:
		return errors.New("give only one of -patients, -resources and -size")
	case o.resources < 0:
		return errors.New("-resources must be positive")
	case o.parts < 0 || o.parts == 1:
		return errors.New("-parts must be at least 2")
	}
	switch {
	case o.gzipSome:
		o.synth.Gzip = synth.GzipSome
	case o.gzipAll:
		o.synth.Gzip = synth.GzipAll
	}
	switch {
	case o.parts > 1:
		o.synth.SplitParts = o.parts
	case o.splitParts:
		o.synth.SplitParts = 3
	}
	if err := o.synth.Validate(); err != nil {
		return err
	}
	if o.resources > 0 || o.size != "" {
		bytes, err := parseSize(o.size)
		if err != nil {
			return err
		}
		if o.synth.Patients, err = synth.PatientsFor(o.synth, o.resources, bytes); err != nil {
			return err
		}
	}
	return nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

// parseSize reads "1500", "500MB", "1GiB", "2G" ("" is 0).
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1e3}, {"M", 1e6}, {"G", 1e9}, {"T", 1e12}, {"B", 1},
	}
	num, mult := strings.TrimSpace(s), 1.0
	for _, u := range units {
		if n, ok := strings.CutSuffix(strings.ToUpper(num), strings.ToUpper(u.suffix)); ok {
			num, mult = strings.TrimSpace(num[:len(n)]), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("-size %q: want a positive size like 500MB or 1GiB", s)
	}
	return int64(v * mult), nil
}

// run is the whole command; main only wires it to the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fhirgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	var o options
	o.bind(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if err := o.validate(fs); err != nil {
		fmt.Fprintf(stderr, "fhirgen: error: %v\nfhirgen: hint: run fhirgen -h for the flags\n", err)
		return exitUsage
	}
	if err := generate(ctx, &o, stdout); err != nil {
		fmt.Fprintf(stderr, "fhirgen: error: %v\n", err)
		switch {
		case errors.Is(err, synth.ErrExists):
			fmt.Fprintln(stderr, "fhirgen: hint: add -force to replace them, or choose another -o")
		case ctx.Err() != nil:
			return exitInterrupted
		}
		return exitFatal
	}
	return exitOK
}

func generate(ctx context.Context, o *options, stdout io.Writer) error {
	if o.force {
		if err := synth.Clean(o.dir); err != nil {
			return err
		}
	}
	start := time.Now()
	m, err := synth.Generate(ctx, o.dir, o.synth)
	if err != nil {
		return err
	}
	elapsed := time.Since(start)
	switch {
	case o.json:
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	case o.quiet:
		return nil
	}
	fmt.Fprintf(stdout, "wrote %d resources of %d patients in %d files to %s\n",
		m.Resources, m.Options.Patients, len(m.Files), o.dir)
	fmt.Fprintf(stdout, "size %.1f MB on disk, %.1f MB NDJSON; %d micro cycles",
		float64(m.Bytes)/1e6, float64(m.NDJSONBytes)/1e6, m.MicroCycles)
	if len(m.Dangling) > 0 {
		fmt.Fprintf(stdout, "; %d dangling references", len(m.Dangling))
	}
	fmt.Fprintf(stdout, "\ntook %s (%.0f resources/s, %.1f MB/s)\n", elapsed.Round(time.Millisecond),
		float64(m.Resources)/elapsed.Seconds(), float64(m.NDJSONBytes)/1e6/elapsed.Seconds())
	return nil
}
