package plan

import (
	"context"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// resWith is a resource line with one more member, to make content differ.
func resWith(typ, id, name string) string {
	return `{"resourceType":"` + typ + `","id":"` + id + `","name":"` + name + `"}` + "\n"
}

// written lists, as file:line, the lines of the plan's files that Written
// keeps, in input order.
func written(t *testing.T, p *Plan) []string {
	t.Helper()
	var out []string
	var files []File
	for _, st := range p.Steps {
		files = append(files, st.Files...)
	}
	slices.SortFunc(files, func(a, b File) int {
		if a.Name < b.Name {
			return -1
		}
		return 1
	})
	for _, f := range files {
		_, err := eachLine(context.Background(), f, 1<<20, func(typ string, _ int, id []byte, line source.Line) {
			if p.Analysis.Written(typ, string(id), line.File, line.Num) {
				out = append(out, filepath.ToSlash(line.File)+":"+strconv.Itoa(line.Num))
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestDuplicates(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		want    Duplicates
		written []string
		// superseded are the files with an occurrence not written.
		superseded []string
	}{
		{
			name:    "no duplicates",
			files:   map[string]string{"Patient.ndjson": res("Patient", "a") + res("Patient", "b")},
			written: []string{"Patient.ndjson:1", "Patient.ndjson:2"},
		},
		{
			name:  "within one file, the last line",
			files: map[string]string{"Patient.ndjson": res("Patient", "a") + res("Patient", "b") + "\n" + res("Patient", "a")},
			want: Duplicates{IDs: 1, Superseded: 1, Examples: []DuplicateExample{
				{Resource: "Patient/a", At: []string{"Patient.ndjson:1", "Patient.ndjson:4"}, Occurrences: 2}}},
			written: []string{"Patient.ndjson:2", "Patient.ndjson:4"}, // a file's own repeats: none superseded by another file
		},
		{
			name: "across files, the lexically last file",
			files: map[string]string{
				"Organization.ndjson":         resWith("Organization", "o1", "new") + res("Organization", "o2"),
				"Organization.1690000.ndjson": resWith("Organization", "o1", "old") + res("Organization", "o3"),
			},
			want: Duplicates{IDs: 1, Differing: 1, Superseded: 1, Examples: []DuplicateExample{
				{Resource: "Organization/o1", At: []string{"Organization.1690000.ndjson:1", "Organization.ndjson:1"}, Occurrences: 2, Differing: true}}},
			written:    []string{"Organization.1690000.ndjson:2", "Organization.ndjson:1", "Organization.ndjson:2"},
			superseded: []string{"Organization.1690000.ndjson"},
		},
		{
			name: "lexical order of the relative path, subfolders included",
			files: map[string]string{
				// "a.ndjson" < "a/..." ('.' < '/') < "b/..." < "b/z/..."
				"a.ndjson":               res("Patient", "p"),
				"a/Patient.ndjson":       res("Patient", "p"),
				"b/z/Patient.ndjson":     res("Patient", "p") + res("Patient", "q"),
				"b/Patient.ndjson":       res("Patient", "q") + res("Patient", "p"),
				"b/Patient.0.ndjson.gz":  res("Patient", "q"),
				"c/Encounter.ndjson":     res("Encounter", "p"), // another type: no duplicate
				"0/deep/Patient.ndjson":  res("Patient", "q"),
				"b/z/zz/Patient.ndjson":  "",
				"b/z/Patient.ndjson.gz2": "not an input",
			},
			want: Duplicates{IDs: 2, Superseded: 6, Examples: []DuplicateExample{
				{Resource: "Patient/q", At: []string{"0/deep/Patient.ndjson:1", "b/Patient.0.ndjson.gz:1", "b/Patient.ndjson:1", "b/z/Patient.ndjson:2"}, Occurrences: 4},
				{Resource: "Patient/p", At: []string{"a.ndjson:1", "a/Patient.ndjson:1", "b/Patient.ndjson:2", "b/z/Patient.ndjson:1"}, Occurrences: 4},
			}},
			written:    []string{"b/z/Patient.ndjson:1", "b/z/Patient.ndjson:2", "c/Encounter.ndjson:1"},
			superseded: []string{"0/deep/Patient.ndjson", "a.ndjson", "a/Patient.ndjson", "b/Patient.0.ndjson.gz", "b/Patient.ndjson"},
		},
		{
			name: "identical content, and an example names the first sites and the last",
			files: map[string]string{
				"Patient.ndjson": res("Patient", "a") + res("Patient", "a") + res("Patient", "a") + res("Patient", "a") + res("Patient", "a") + res("Patient", "b"),
			},
			want: Duplicates{IDs: 1, Superseded: 4, Examples: []DuplicateExample{
				{Resource: "Patient/a", At: []string{"Patient.ndjson:1", "Patient.ndjson:2", "Patient.ndjson:3", "Patient.ndjson:5"}, Occurrences: 5}}},
			written: []string{"Patient.ndjson:5", "Patient.ndjson:6"},
		},
		{
			name: "differing content is counted per id",
			files: map[string]string{
				"Patient.ndjson": res("Patient", "same") + resWith("Patient", "diff", "1") + res("Patient", "same") + resWith("Patient", "diff", "2") + resWith("Patient", "diff", "1"),
			},
			want: Duplicates{IDs: 2, Differing: 1, Superseded: 3, Examples: []DuplicateExample{
				{Resource: "Patient/same", At: []string{"Patient.ndjson:1", "Patient.ndjson:3"}, Occurrences: 2},
				{Resource: "Patient/diff", At: []string{"Patient.ndjson:2", "Patient.ndjson:4", "Patient.ndjson:5"}, Occurrences: 3, Differing: true},
			}},
			written: []string{"Patient.ndjson:3", "Patient.ndjson:5"},
		},
	}
	orders := []Options{{Order: OrderData}, {Order: OrderStatic}}
	for _, tt := range tests {
		for _, opts := range orders {
			t.Run(tt.name+"/"+opts.Order, func(t *testing.T) {
				files := listDir(t, tt.files)
				slices.Reverse(files) // the rule is the input's order, not the source's
				p, err := Build(context.Background(), files, opts)
				if err != nil {
					t.Fatalf("Build: %v", err)
				}
				for i := range p.Analysis.Duplicates.Examples {
					ex := &p.Analysis.Duplicates.Examples[i]
					for j := range ex.At {
						ex.At[j] = filepath.ToSlash(ex.At[j])
					}
				}
				if diff := cmp.Diff(tt.want, p.Analysis.Duplicates); diff != "" {
					t.Errorf("Duplicates (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(tt.written, written(t, p)); diff != "" {
					t.Errorf("written lines (-want +got):\n%s", diff)
				}
				var superseded []string
				for _, st := range p.Steps {
					for _, f := range st.Files {
						if p.Analysis.Superseded(f.Name) {
							superseded = append(superseded, filepath.ToSlash(f.Name))
						}
					}
				}
				slices.Sort(superseded)
				if diff := cmp.Diff(tt.superseded, superseded); diff != "" {
					t.Errorf("files superseded in (-want +got):\n%s", diff)
				}
				for _, f := range tt.superseded {
					if !p.Analysis.SupersededAny(func(name string) bool { return filepath.ToSlash(name) == f }) {
						t.Errorf("SupersededAny does not find %s", f)
					}
				}
				if p.Analysis.SupersededAny(func(name string) bool { return !slices.Contains(tt.superseded, filepath.ToSlash(name)) }) {
					t.Error("SupersededAny finds a file not superseded")
				}
			})
		}
	}
}

// TestWrittenNilAndUnseen: a plan that did not read the data, and lines
// the plan did not see, write every line.
func TestWrittenNilAndUnseen(t *testing.T) {
	var a *Analysis
	if !a.Written("Patient", "a", "Patient.ndjson", 1) {
		t.Error("nil Analysis: got false, want true")
	}
	if a.Superseded("Patient.ndjson") || a.SupersededAny(func(string) bool { return true }) {
		t.Error("nil Analysis: a file superseded")
	}
	files := listDir(t, map[string]string{"Patient.ndjson": res("Patient", "a") + res("Patient", "a")})
	p, err := Build(context.Background(), files, Options{Order: OrderData})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		typ, id, file string
		line          int
		want          bool
	}{
		{"Patient", "a", "Patient.ndjson", 1, false},
		{"Patient", "a", "Patient.ndjson", 2, true},
		{"Patient", "b", "Patient.ndjson", 1, true},
		{"Encounter", "a", "Patient.ndjson", 1, true},
	} {
		if got := p.Analysis.Written(c.typ, c.id, c.file, c.line); got != c.want {
			t.Errorf("Written(%s, %s, %s, %d): got %v, want %v", c.typ, c.id, c.file, c.line, got, c.want)
		}
	}
}

// TestDuplicatesLinkLastOnly: the references of an occurrence that is not
// written do not order the resource (they would make a false cycle here).
func TestDuplicatesLinkLastOnly(t *testing.T) {
	files := listDir(t, map[string]string{
		"Encounter.ndjson": `{"resourceType":"Encounter","id":"a","partOf":{"reference":"Encounter/b"}}` + "\n" +
			`{"resourceType":"Encounter","id":"b","partOf":{"reference":"Encounter/a"}}` + "\n" +
			res("Encounter", "a"),
	})
	p, err := Build(context.Background(), files, Options{Order: OrderData})
	if err != nil {
		t.Fatal(err)
	}
	a := p.Analysis
	if a.Cycles != 0 || a.Edges != 1 || a.References != 1 {
		t.Errorf("got %d cycles, %d edges, %d references; want 0, 1, 1", a.Cycles, a.Edges, a.References)
	}
	if got := place(t, a, "Encounter", "b"); got.Wave != 1 {
		t.Errorf("Encounter/b: got %+v, want wave 1", got)
	}
}
