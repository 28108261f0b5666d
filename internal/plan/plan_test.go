package plan

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// writeFiles creates files under dir; names ending in .gz are compressed.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		data := []byte(content)
		if strings.HasSuffix(name, ".gz") {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			if _, err := zw.Write(data); err != nil {
				t.Fatal(err)
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			data = buf.Bytes()
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func res(typ, id string) string { return `{"resourceType":"` + typ + `","id":"` + id + `"}` + "\n" }

// testInput is a folder of Synthea- and MIMIC-like files.
var testInput = map[string]string{
	"Patient.ndjson":                  res("Patient", "p1") + "\n" + res("Patient", "p2") + "  \n\r\n" + res("Patient", "p3"),
	"MimicEncounterED.ndjson":         res("Encounter", "e3"),
	"MimicEncounter.ndjson":           res("Encounter", "e1") + res("Encounter", "e2"),
	"sub/MimicEncounterICU.ndjson.gz": res("Encounter", "e4") + "\n" + res("Encounter", "e5"),
	"Organization.000.ndjson.gz":      res("Organization", "o1"),
	"Practitioner.ndjson":             res("Practitioner", "pr1") + `{"resourceType":"Practitioner"` + "\n",
	"data.ndjson":                     "\n" + res("Condition", "c1") + res("Condition", "c2"),
	"export.ndjson":                   `{"no":"type"}` + "\n" + res("Observation", "x1"),
	"notes.ndjson":                    `{"hello":"world"}` + "\n",
	"other.ndjson":                    res("NotAType", "n1"),
	"empty.ndjson":                    "",
	"readme.txt":                      "not an input",
}

type fileView struct {
	Name  string
	Type  string
	Lines int
}

type stepView struct {
	Types []string
	Files []fileView
}

func view(p *Plan) (steps []stepView, skipped []string) {
	for _, s := range p.Steps {
		sv := stepView{Types: s.Types}
		for _, f := range s.Files {
			sv.Files = append(sv.Files, fileView{filepath.ToSlash(f.Name), f.ResourceType, f.Lines})
		}
		steps = append(steps, sv)
	}
	for _, f := range p.Skipped {
		skipped = append(skipped, filepath.ToSlash(f.Name))
	}
	slices.Sort(skipped) // in input order; the order is no promise
	return steps, skipped
}

func listDir(t *testing.T, files map[string]string) []source.File {
	t.Helper()
	dir := t.TempDir()
	writeFiles(t, dir, files)
	fs, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return fs
}

func TestBuild(t *testing.T) {
	tests := []struct {
		name        string
		opts        Options
		want        []stepView
		wantLines   int
		wantSkipped []string
	}{
		{
			name: "counted",
			want: []stepView{
				{Types: []string{"Organization"}, Files: []fileView{{"Organization.000.ndjson.gz", "Organization", 1}}},
				{Types: []string{"Practitioner"}, Files: []fileView{{"Practitioner.ndjson", "Practitioner", 2}}},
				{Types: []string{"Patient"}, Files: []fileView{{"Patient.ndjson", "Patient", 3}}},
				{Types: []string{"Encounter"}, Files: []fileView{
					{"MimicEncounter.ndjson", "Encounter", 2},
					{"MimicEncounterED.ndjson", "Encounter", 1},
					{"sub/MimicEncounterICU.ndjson.gz", "Encounter", 2},
				}},
				{Types: []string{"Condition"}, Files: []fileView{{"data.ndjson", "Condition", 2}}},
				// Observation -> Procedure -> Condition
				{Types: []string{"Observation"}, Files: []fileView{{"export.ndjson", "Observation", 2}}},
			},
			wantLines:   15,
			wantSkipped: []string{"empty.ndjson", "notes.ndjson", "other.ndjson"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := listDir(t, testInput)
			slices.Reverse(files) // Build must sort, not rely on the source
			p, err := Build(context.Background(), files, tt.opts)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			steps, skipped := view(p)
			if diff := cmp.Diff(tt.want, steps); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSkipped, skipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			for _, f := range p.Skipped {
				if f.Err == nil {
					t.Errorf("skipped %s has no Err", f.Name)
				}
			}
			if got := p.Lines(); got != tt.wantLines {
				t.Errorf("Lines() = %d, want %d", got, tt.wantLines)
			}
			if got, want := p.Files(), 8; got != want {
				t.Errorf("Files() = %d, want %d", got, want)
			}
		})
	}
}

func TestBuildLongLineCounted(t *testing.T) {
	files := listDir(t, map[string]string{
		"Binary.ndjson": res("Binary", "b1") + `{"resourceType":"Binary","id":"b2","data":"` + strings.Repeat("A", 200) + `"}` + "\n" + res("Binary", "b3"),
	})
	p, err := Build(context.Background(), files, Options{MaxLine: 100})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if got := p.Lines(); got != 3 {
		t.Errorf("Lines() = %d, want 3 (a line too long is still a resource to report)", got)
	}
}

func TestBuildBrokenGzip(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte("\n\n" + strings.Repeat(" ", 1000))); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.ndjson.gz"), buf.Bytes()[:buf.Len()/2], 0o644); err != nil {
		t.Fatal(err)
	}
	files, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Build(context.Background(), files, Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(p.Skipped) != 1 || !errors.Is(p.Skipped[0].Err, io.ErrUnexpectedEOF) {
		t.Errorf("skipped %v, want data.ndjson.gz with %v", p.Skipped, io.ErrUnexpectedEOF)
	}
}

func TestBuildKeepsListErrors(t *testing.T) {
	broken := errors.New("permission denied")
	files := []source.File{{Name: "Patient.ndjson", Err: broken}}
	p, err := Build(context.Background(), files, Options{})
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if len(p.Steps) != 0 || len(p.Skipped) != 1 || !errors.Is(p.Skipped[0].Err, broken) {
		t.Errorf("got steps %v, skipped %v; want no step and Patient.ndjson skipped with %v", p.Steps, p.Skipped, broken)
	}
}

func TestBuildCanceled(t *testing.T) {
	files := listDir(t, testInput)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, files, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want %v", err, context.Canceled)
	}
}

func TestStepLines(t *testing.T) {
	tests := []struct {
		name  string
		lines []int
		want  int
	}{
		{"none", nil, 0},
		{"sum", []int{2, 3}, 5},
		{"unknown", []int{2, -1}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Step
			for _, n := range tt.lines {
				s.Files = append(s.Files, File{Lines: n})
			}
			if got := s.Lines(); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
