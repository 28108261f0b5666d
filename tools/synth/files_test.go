package synth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// Tests of the files themselves: compression, parts, manifest, padding,
// and what Generate leaves in the directory.

func TestGzipAndParts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		opts      synth.Options
		gz, parts int // files with .gz, files named _partN
	}{
		{"plain", synth.Options{Patients: 5}, 0, 0},
		{"gzip some", synth.Options{Patients: 5, Gzip: synth.GzipSome}, 15, 0},
		{"gzip all", synth.Options{Patients: 5, Gzip: synth.GzipAll}, 30, 0},
		{"split", synth.Options{Patients: 5, SplitParts: 3}, 0, 12},
		{"split and gzip some", synth.Options{Patients: 5, SplitParts: 2, Gzip: synth.GzipSome}, 17, 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := generate(t, tc.opts) // reads every file, gzip or not
			gz, parts := 0, 0
			for _, f := range d.m.Files {
				if got, want := strings.HasSuffix(f.Name, ".ndjson.gz"), f.Gzip; got != want {
					t.Errorf("%s: gzip %v in the manifest", f.Name, f.Gzip)
				}
				if f.Gzip {
					gz++
				}
				if f.Part > 0 {
					parts++
					if !strings.Contains(f.Name, "_part") {
						t.Errorf("%s: part %d but no _part in the name", f.Name, f.Part)
					}
				}
			}
			if gz != tc.gz || parts != tc.parts {
				t.Errorf("got %d gzip files and %d parts, want %d and %d", gz, parts, tc.gz, tc.parts)
			}
			if len(d.lines) != d.m.Resources {
				t.Errorf("read %d lines, manifest says %d", len(d.lines), d.m.Resources)
			}
		})
	}
}

func TestManifestMatchesFiles(t *testing.T) {
	t.Parallel()
	d := generate(t, synth.Options{Patients: 10, Gzip: synth.GzipSome, SplitParts: 2})
	onDisk, err := synth.ReadManifest(d.dir)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(d.m, onDisk); diff != "" {
		t.Errorf("manifest.json differs from the returned manifest (-returned +file):\n%s", diff)
	}
	lines := map[string]int{}
	types := map[string]int{}
	for _, l := range d.lines {
		lines[l.file]++
		types[l.typ]++
	}
	var bytes, total int64
	for _, f := range d.m.Files {
		st, err := os.Stat(filepath.Join(d.dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() != f.Bytes {
			t.Errorf("%s: %d bytes on disk, manifest says %d", f.Name, st.Size(), f.Bytes)
		}
		if lines[f.Name] != f.Lines {
			t.Errorf("%s: %d lines, manifest says %d", f.Name, lines[f.Name], f.Lines)
		}
		var n int64
		for _, raw := range readLines(t, filepath.Join(d.dir, f.Name)) {
			n += int64(len(raw)) + 1
		}
		if n != f.NDJSONBytes {
			t.Errorf("%s: %d NDJSON bytes, manifest says %d", f.Name, n, f.NDJSONBytes)
		}
		bytes += f.Bytes
		total += n
	}
	if diff := cmp.Diff(types, d.m.Types); diff != "" {
		t.Errorf("types (-files +manifest):\n%s", diff)
	}
	if bytes != d.m.Bytes || total != d.m.NDJSONBytes {
		t.Errorf("bytes %d/%d, manifest says %d/%d", bytes, total, d.m.Bytes, d.m.NDJSONBytes)
	}
	for typ, ids := range d.m.Samples {
		if len(ids) == 0 {
			t.Errorf("no samples of %s", typ)
		}
		for _, id := range ids {
			if _, ok := d.index[typ+"/"+id]; !ok {
				t.Errorf("sample %s/%s is not in the files", typ, id)
			}
		}
	}
}

func TestPadding(t *testing.T) {
	t.Parallel()
	plain := generate(t, synth.Options{Patients: 3})
	padded := generate(t, synth.Options{Patients: 3, Padding: 2000})
	if plain.m.Resources != padded.m.Resources {
		t.Fatalf("padding changed the number of resources: %d, %d", plain.m.Resources, padded.m.Resources)
	}
	for _, l := range padded.lines {
		if len(l.raw) < 2000 {
			t.Fatalf("%s is %d bytes with Padding 2000", l.id, len(l.raw))
		}
	}
	if extra := (padded.m.NDJSONBytes - plain.m.NDJSONBytes) / int64(plain.m.Resources); extra < 2000 || extra > 2200 {
		t.Errorf("padding added %d bytes per resource, want about 2000", extra)
	}
}

func TestRefusesToOverwriteAndClean(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keep := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(keep, []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := synth.Options{Patients: 2}
	if _, err := synth.Generate(context.Background(), dir, opts); err != nil {
		t.Fatalf("first Generate: %v", err)
	}
	if _, err := synth.Generate(context.Background(), dir, opts); !errors.Is(err, synth.ErrExists) {
		t.Fatalf("second Generate: got %v, want ErrExists", err)
	}
	if err := synth.Clean(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "notes.txt" {
		t.Errorf("after Clean the directory holds %v, want only notes.txt", entries)
	}
	if _, err := synth.Generate(context.Background(), dir, opts); err != nil {
		t.Errorf("Generate after Clean: %v", err)
	}
}

func TestCancelLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := synth.Generate(ctx, dir, synth.Options{Patients: 50}); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a cancelled run left %d files, e.g. %s", len(entries), entries[0].Name())
	}
}

func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string]synth.Options{
		"no patients":       {},
		"negative scale":    {Patients: 1, Scale: -1},
		"unknown gzip":      {Patients: 1, Gzip: "most"},
		"too many dangling": {Patients: 2, DanglingRefs: 3},
		"bad id prefix":     {Patients: 1, IDPrefix: "a/b"},
		"long id prefix":    {Patients: 1, IDPrefix: strings.Repeat("a", 17)},
		"negative padding":  {Patients: 1, Padding: -1},
		"negative window":   {Patients: 1, ShuffleWindow: -1},
		"negative parts":    {Patients: 1, SplitParts: -2},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out")
			if _, err := synth.Generate(context.Background(), dir, opts); err == nil {
				t.Errorf("Generate(%+v): no error", opts)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("invalid options created the directory: %v", err)
			}
		})
	}
}

// TestManifestSamplesAreNeverEmpty: at a small scale some kinds of
// resource get no lines; the manifest then names no samples for them,
// rather than an empty list a reader would index.
func TestManifestSamplesAreNeverEmpty(t *testing.T) {
	t.Parallel()
	for seed := range int64(8) {
		m, err := synth.Generate(context.Background(), t.TempDir(), synth.Options{Patients: 1, Seed: seed + 1})
		if err != nil {
			t.Fatal(err)
		}
		for typ, ids := range m.Samples {
			if len(ids) == 0 {
				t.Errorf("seed %d: samples of %s: an empty list (%d lines of it)", seed+1, typ, m.Types[typ])
			}
		}
	}
}
