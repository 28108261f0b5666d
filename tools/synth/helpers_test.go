package synth_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// line is one generated resource.
type line struct {
	file string // the file's name
	pos  int    // position over all files, taken in the manifest's (name) order
	typ  string
	id   string
	raw  []byte
	refs []edge
}

// edge is one reference inside a resource.
type edge struct {
	path   string // JSON path of the reference, e.g. "ingredient.itemReference"
	target string // Type/id
}

type dataset struct {
	dir   string
	m     synth.Manifest
	lines []line
	index map[string]int // Type/id -> position
}

func (d *dataset) key(l line) string { return l.typ + "/" + l.id }

// generate makes a data set in a temp dir and reads it back.
func generate(t *testing.T, opts synth.Options) *dataset {
	t.Helper()
	dir := t.TempDir()
	m, err := synth.Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return load(t, dir, m)
}

var (
	sharedOnce sync.Once
	sharedSet  *dataset
	sharedErr  error
	sharedDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
	}
	os.Exit(code)
}

// shared returns one data set of 20 patients (gzip some, split in 3 parts)
// that several tests read.
func shared(t *testing.T) *dataset {
	t.Helper()
	sharedOnce.Do(func() {
		dir, err := os.MkdirTemp("", "synth-shared-")
		if err != nil {
			sharedErr = err
			return
		}
		sharedDir = dir
		m, err := synth.Generate(context.Background(), dir, synth.Options{Patients: 20, Seed: 3, Gzip: synth.GzipSome, SplitParts: 3})
		if err != nil {
			sharedErr = err
			return
		}
		sharedSet = load(t, dir, m)
	})
	if sharedErr != nil {
		t.Fatalf("shared data set: %v", sharedErr)
	}
	if sharedSet == nil {
		t.Fatal("shared data set could not be read")
	}
	return sharedSet
}

var idRE = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

func load(t *testing.T, dir string, m synth.Manifest) *dataset {
	t.Helper()
	d := &dataset{dir: dir, m: m, index: map[string]int{}}
	for _, f := range m.Files {
		for i, raw := range readLines(t, filepath.Join(dir, f.Name)) {
			var obj map[string]any
			if err := json.Unmarshal(raw, &obj); err != nil {
				t.Fatalf("%s line %d: %v", f.Name, i+1, err)
			}
			typ, _ := obj["resourceType"].(string)
			id, _ := obj["id"].(string)
			if typ != f.ResourceType {
				t.Fatalf("%s line %d: resourceType %q, want %q", f.Name, i+1, typ, f.ResourceType)
			}
			if !idRE.MatchString(id) || !strings.ContainsAny(strings.ToLower(id), "abcdefghijklmnopqrstuvwxyz") {
				t.Fatalf("%s line %d: id %q is no valid alphanumeric FHIR client id", f.Name, i+1, id)
			}
			l := line{file: f.Name, pos: len(d.lines), typ: typ, id: id, raw: raw}
			walkRefs(obj, "", func(path, target string) { l.refs = append(l.refs, edge{path, target}) })
			if _, dup := d.index[d.key(l)]; dup {
				t.Fatalf("%s line %d: duplicate %s", f.Name, i+1, d.key(l))
			}
			d.index[d.key(l)] = l.pos
			d.lines = append(d.lines, l)
		}
	}
	return d
}

// readLines returns the lines of an .ndjson or .ndjson.gz file.
func readLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		gz, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = gz
	}
	var out [][]byte
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		out = append(out, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// walkRefs calls fn for every "reference" string inside v.
func walkRefs(v any, path string, fn func(path, target string)) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if s, ok := v[k].(string); ok && k == "reference" {
				fn(path, s)
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			walkRefs(v[k], p, fn)
		}
	case []any:
		for _, e := range v {
			walkRefs(e, path, fn)
		}
	}
}

// source is the MIMIC file name of a generated file name.
func source(name string) string {
	name = strings.TrimSuffix(strings.TrimSuffix(name, ".gz"), ".ndjson")
	if i := strings.Index(name, "_part"); i >= 0 {
		name = name[:i]
	}
	return name
}
