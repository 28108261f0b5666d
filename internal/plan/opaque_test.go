package plan

import (
	"context"
	"testing"
)

// TestStoredBundleReferencesNoDependency: a Bundle stored as a resource (a
// document, or an entry of a collection that is itself a Bundle) holds
// references that resolve inside it. They are no dependency: no warning
// for a target missing from the input, and no step after the types they
// name (the HL7 examples' Bundle-72ac8493 gave 361 false warnings).
func TestStoredBundleReferencesNoDependency(t *testing.T) {
	doc := `{"resourceType":"Bundle","id":"doc","type":"document","entry":[` +
		`{"fullUrl":"http://ex.org/Observation/o1","resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/gone"}}},` +
		`{"fullUrl":"http://ex.org/Composition/c","resource":{"resourceType":"Composition","id":"c","subject":{"reference":"Patient/p"},"section":[{"entry":[{"reference":"Observation/o1"}]}]}}]}`
	files := listDir(t, map[string]string{
		"Bundle.ndjson":      doc + "\n",
		"Patient.ndjson":     res("Patient", "p"),
		"Observation.ndjson": `{"resourceType":"Observation","id":"o2","subject":{"reference":"Patient/gone2"}}` + "\n",
	})
	p, err := Build(context.Background(), files, Options{Order: OrderData})
	if err != nil {
		t.Fatal(err)
	}
	var dangling []string
	for _, d := range p.Analysis.Dangling {
		dangling = append(dangling, d.To)
	}
	if len(dangling) != 1 || dangling[0] != "Patient/gone2" {
		t.Errorf("dangling: got %v, want [Patient/gone2] (the Observation's own, not the stored Bundle's)", dangling)
	}
	step := map[string]int{}
	for i, st := range p.Steps {
		for _, typ := range st.Types {
			step[typ] = i
		}
	}
	if step["Bundle"] > step["Patient"] {
		t.Errorf("Bundle in step %d, after Patient (step %d): its entries' references made it depend", step["Bundle"], step["Patient"])
	}
}
