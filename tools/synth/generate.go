// Package synth generates test data shaped like MIMIC-IV on FHIR: the same
// files, resource types and references (including the microbiology
// reference cycles), valid for a FHIR R4 server with referential integrity,
// in any size and deterministic for a seed.
//
// Generation streams: each file is written as it is made, and memory stays
// bounded by the shuffle window, whatever the number of patients.
package synth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"
)

const partialExt = ".partial"

// ErrExists is returned by Generate when the directory already holds
// generated files; Clean removes them.
var ErrExists = errors.New("directory already holds generated files")

// Generate writes a data set into dir (created if missing) and returns its
// manifest, which it also writes to dir/manifest.json.
//
// With the default options a patient has about 200 resources: 1-3
// hospital encounters, ED visits and ICU stays, ~5 conditions, ~3
// procedures, ~10 medication requests with their dispenses and
// administrations, ~40 labevents on ~10 lab specimens, ~2 micro tests with
// their organisms and susceptibilities, ~60 chartevents and a few other
// events. Organizations, locations and medications are shared pools.
//
// Lines are in no dependency order: patients come in a different random
// order in each file and lines are shuffled within windows. Every
// reference resolves inside the data set except the DanglingRefs ones.
// Nothing is left behind on error: files are written as .partial and
// renamed when all are complete.
func Generate(ctx context.Context, dir string, opts Options) (Manifest, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	if found, err := generated(dir); err != nil {
		return Manifest{}, err
	} else if len(found) > 0 {
		return Manifest{}, fmt.Errorf("%s: %w (%s, ...)", dir, ErrExists, found[0])
	}
	counts, cycles, err := totals(ctx, &o)
	if err != nil {
		return Manifest{}, err
	}

	results := make([]kindResult, numKinds)
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(o.Workers)
	for _, k := range bySize(counts) {
		eg.Go(func() error {
			res, err := writeKind(ctx, dir, &o, k, counts[k])
			results[k] = res
			if err != nil {
				return fmt.Errorf("write %s: %w", kinds[k].file, err)
			}
			if res.lines != counts[k] {
				return fmt.Errorf("write %s: wrote %d lines, planned %d", kinds[k].file, res.lines, counts[k])
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		removeFiles(dir, results, partialExt)
		return Manifest{}, err
	}
	if err := renameAll(dir, results); err != nil {
		removeFiles(dir, results, partialExt)
		removeFiles(dir, results, "")
		return Manifest{}, err
	}
	m := manifest(&o, results, cycles)
	if err := writeManifest(dir, &m); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// totals counts the resources of every kind, and the micro cycles.
func totals(ctx context.Context, o *Options) (counts [numKinds]int, cycles int, err error) {
	for k := range numKinds {
		counts[k] = poolSize(o, k)
	}
	for p := range o.Patients {
		if p%4096 == 0 && ctx.Err() != nil {
			return counts, cycles, ctx.Err()
		}
		pl := planFor(o, p)
		for k := range numKinds {
			if !kinds[k].pool {
				counts[k] += pl.count(k)
			}
		}
		cycles += pl.microCycles()
	}
	return counts, cycles, nil
}

// bySize orders the kinds largest first, so that the big files start first.
func bySize(counts [numKinds]int) []kind {
	out := make([]kind, numKinds)
	for k := range numKinds {
		out[k] = k
	}
	sort.SliceStable(out, func(i, j int) bool { return counts[out[i]] > counts[out[j]] })
	return out
}

// generated lists the files in dir that Generate writes or may have written.
func generated(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := strings.TrimSuffix(e.Name(), partialExt)
		if n == ManifestName || strings.HasPrefix(n, "Mimic") &&
			(strings.HasSuffix(n, ".ndjson") || strings.HasSuffix(n, ".ndjson.gz")) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Clean removes from dir what Generate writes there (Mimic*.ndjson,
// Mimic*.ndjson.gz, manifest.json and their .partial files) and nothing
// else.
func Clean(dir string) error {
	found, err := generated(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, n := range found {
		if err := os.Remove(filepath.Join(dir, n)); err != nil {
			return err
		}
	}
	return nil
}

func renameAll(dir string, results []kindResult) error {
	for _, res := range results {
		for _, f := range res.files {
			p := filepath.Join(dir, f.Name)
			if err := os.Rename(p+partialExt, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// removeFiles removes the files of results, with ext added to their names,
// after a failed run.
func removeFiles(dir string, results []kindResult, ext string) {
	for _, res := range results {
		for _, f := range res.files {
			_ = os.Remove(filepath.Join(dir, f.Name+ext)) // may not exist; the run failed already
		}
	}
}

func manifest(o *Options, results []kindResult, cycles int) Manifest {
	opts := *o
	opts.Workers = 0 // not part of the data set's description
	m := Manifest{
		Version:     FormatVersion,
		Options:     opts,
		Types:       map[string]int{},
		Sources:     map[string]int{},
		MicroCycles: cycles,
		Samples:     map[string][]string{},
		Dangling:    danglingRefs(o),
	}
	for k, res := range results {
		info := kinds[k]
		m.Types[info.rtype] += res.lines
		m.Sources[info.file] += res.lines
		m.Resources += res.lines
		if len(res.samples) > 0 { // a kind with no lines at this scale has none
			m.Samples[info.rtype] = append(m.Samples[info.rtype], res.samples...)
		}
		for _, f := range res.files {
			m.Bytes += f.Bytes
			m.NDJSONBytes += f.NDJSONBytes
			m.Files = append(m.Files, f)
		}
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Name < m.Files[j].Name })
	return m
}
