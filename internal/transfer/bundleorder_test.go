package transfer

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// res is a resource "Type/id" referencing the given references.
func res(key string, references ...string) string {
	typ, id, _ := strings.Cut(key, "/")
	var parts []string
	for _, r := range references {
		parts = append(parts, fmt.Sprintf(`{"reference":%q}`, r))
	}
	return fmt.Sprintf(`{"resourceType":%q,"id":%q,"link":[%s]}`, typ, id, strings.Join(parts, ","))
}

func batchOf(lines ...string) *batch {
	b := &batch{kind: fhir.Batch, bundle: fhir.NewBuilder(fhir.Batch)}
	for i, l := range lines {
		var m struct{ ResourceType, ID string }
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			panic(err)
		}
		b.bundle.Add(m.ResourceType, m.ID, []byte(l))
		b.entries = append(b.entries, entry{file: "f.ndjson", line: i + 1, typ: m.ResourceType, id: m.ID})
	}
	return b
}

func TestOrderEntries(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []int // the lines (1-based), in the order sent
	}{
		{"no references", []string{res("Patient/a"), res("Patient/b")}, []int{1, 2}},
		{"references backwards only", []string{res("Patient/a"), res("Observation/o", "Patient/a")}, []int{1, 2}},
		{"a forward reference", []string{res("Observation/o", "Patient/a"), res("Patient/a")}, []int{2, 1}},
		{"a chain", []string{res("Observation/a", "Observation/b"), res("Observation/b", "Observation/c"), res("Observation/c")}, []int{3, 2, 1}},
		{"the rest keeps its order", []string{
			res("Patient/x"), res("Observation/o", "Patient/p"), res("Patient/y"), res("Patient/p"), res("Patient/z"),
		}, []int{1, 3, 4, 2, 5}},
		{"a versioned reference and an absolute one to another server", []string{
			res("Observation/o", "Patient/p/_history/2", "http://elsewhere.org/fhir/Patient/q"), res("Patient/q"), res("Patient/p"),
		}, []int{2, 3, 1}},
		{"a cycle keeps its order", []string{
			res("Observation/a", "Observation/b"), res("Observation/b", "Observation/a"), res("Observation/c", "Observation/a"),
		}, []int{1, 2, 3}},
		{"a cycle after its target", []string{
			res("Observation/a", "Observation/b", "Patient/p"), res("Observation/b", "Observation/a"), res("Patient/p"),
		}, []int{3, 1, 2}},
		{"a repeated id stays in order", []string{
			res("Patient/p"), res("Observation/o", "Patient/p", "Patient/q"), res("Patient/p"), res("Patient/q"),
		}, []int{1, 3, 4, 2}},
		{"a self reference", []string{res("Observation/a", "Observation/a"), res("Patient/p")}, []int{1, 2}},
		{"conditional, contained and urn references are no dependency", []string{
			res("Observation/o", "Patient?identifier=x", "#c", "urn:uuid:6c0fb2a5-5e5f-4e6e-9e47-0e8a4c8c3b1a"), res("Patient/p"),
		}, []int{1, 2}},
		{"one entry", []string{res("Observation/a", "Patient/p")}, []int{1}},
		{"a stored Bundle's references are its own", []string{res("Bundle/b", "Patient/p"), res("Patient/p")}, []int{1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := batchOf(tt.lines...)
			orderEntries(b)
			var got []int
			for _, e := range b.entries {
				got = append(got, e.line)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got lines %v, want %v", got, tt.want)
			}
			// The Bundle follows the entries, with each resource's bytes as read.
			var bundle struct {
				Type  string
				Entry []struct {
					Request  struct{ URL string }
					Resource json.RawMessage
				}
			}
			if err := json.Unmarshal(b.bundle.Bytes(), &bundle); err != nil {
				t.Fatalf("bundle: %v", err)
			}
			if bundle.Type != "batch" || len(bundle.Entry) != len(tt.want) {
				t.Fatalf("bundle of type %q with %d entries", bundle.Type, len(bundle.Entry))
			}
			for k, line := range tt.want {
				e := b.entries[k]
				if got, want := bundle.Entry[k].Request.URL, e.typ+"/"+e.id; got != want {
					t.Errorf("entry %d: url %s, want %s", k, got, want)
				}
				if got, want := string(b.bundle.Resource(k)), tt.lines[line-1]; got != want {
					t.Errorf("entry %d: resource %s, want %s", k, got, want)
				}
			}
		})
	}
}

func TestOrderEntriesLeavesAnOrderedBundleAlone(t *testing.T) {
	b := batchOf(res("Patient/a"), res("Observation/o", "Patient/a"))
	bl := b.bundle
	orderEntries(b)
	if b.bundle != bl {
		t.Error("the Bundle was rewritten though its order was right")
	}
}

// TestRunStaticOrderPutsTargetsFirst: with --order static, a file whose
// lines reference later lines is sent with the targets first.
func TestRunStaticOrderPutsTargetsFirst(t *testing.T) {
	dir := writeFiles(t, map[string][]string{
		"Observation.ndjson": {
			res("Observation/panel", "Observation/m1", "Observation/m2"),
			res("Observation/m1"),
			res("Observation/m2"),
			res("Observation/other"),
		},
	})
	s := &fakeSender{}
	sum, err := New(s, Options{BatchSize: 10, Concurrency: 1, Retry: fastRetry}).Run(t.Context(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"Observation/m1", "Observation/m2", "Observation/panel", "Observation/other"}}
	if !reflect.DeepEqual(s.bundles, want) {
		t.Errorf("got %v, want %v", s.bundles, want)
	}
	if sum.Created != 4 {
		t.Errorf("created %d, want 4", sum.Created)
	}
}
