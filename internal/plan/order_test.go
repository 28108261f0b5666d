package plan

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
)

// TestDepsAcyclic walks the dependency graph as Order sees it (the table,
// and the core types for R4 types missing from it) and fails on a cycle.
func TestDepsAcyclic(t *testing.T) {
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var visit func(typ string, path []string)
	visit = func(typ string, path []string) {
		switch state[typ] {
		case onPath:
			t.Errorf("cycle: %v", append(path, typ))
			return
		case done:
			return
		}
		state[typ] = onPath
		for _, d := range depsOf(typ) {
			visit(d, append(path, typ))
		}
		state[typ] = done
	}
	for _, typ := range fhirtype.R4 {
		visit(typ, nil)
	}
	for typ := range deps {
		visit(typ, nil)
	}
}

// TestDepsNames catches typos: every type in the table is an R4 type,
// none depends on itself or on a type that Order puts last anyway.
func TestDepsNames(t *testing.T) {
	for typ, ds := range deps {
		if !fhirtype.Known(typ) {
			t.Errorf("deps has a row for %q, not an R4 type", typ)
		}
		if late[typ] {
			t.Errorf("deps has a row for %q, which goes last anyway", typ)
		}
		for _, d := range ds {
			if !fhirtype.Known(d) {
				t.Errorf("%s depends on %q, not an R4 type", typ, d)
			}
			if d == typ {
				t.Errorf("%s depends on itself", typ)
			}
			if late[d] {
				t.Errorf("%s depends on %s, which Order puts after everything", typ, d)
			}
		}
		if n := len(slices.Compact(slices.Sorted(slices.Values(ds)))); n != len(ds) {
			t.Errorf("%s lists a dependency twice", typ)
		}
	}
	for _, typ := range append(append([]string{}, core...), Classic...) {
		if _, ok := deps[typ]; !ok {
			t.Errorf("%s has no row in deps", typ)
		}
	}
	for typ := range late {
		if !fhirtype.Known(typ) {
			t.Errorf("late type %q is not an R4 type", typ)
		}
	}
}

// stepIndex maps each type to its step. It fails the test when a type is
// missing, repeated or not asked for.
func stepIndex(t *testing.T, present []string, steps [][]string) map[string]int {
	t.Helper()
	idx := map[string]int{}
	for i, s := range steps {
		if len(s) == 0 {
			t.Errorf("step %d is empty", i)
		}
		for _, typ := range s {
			if _, dup := idx[typ]; dup {
				t.Errorf("%s is in two steps", typ)
			}
			idx[typ] = i
		}
	}
	for _, typ := range present {
		if _, ok := idx[typ]; !ok {
			t.Errorf("%s is in no step", typ)
		}
	}
	if len(idx) != len(present) {
		t.Errorf("got %d types in the steps, want %d", len(idx), len(present))
	}
	return idx
}

// checkDeps fails when a present type is not in a later step than a
// present type it depends on, directly or through absent types.
func checkDeps(t *testing.T, present []string, steps [][]string) {
	t.Helper()
	idx := stepIndex(t, present, steps)
	want := map[string]bool{}
	for _, typ := range present {
		want[typ] = true
	}
	for _, typ := range present {
		seen := map[string]bool{typ: true}
		queue := slices.Clone(depsOf(typ))
		for len(queue) > 0 {
			d := queue[0]
			queue = queue[1:]
			if seen[d] {
				continue
			}
			seen[d] = true
			if !want[d] {
				queue = append(queue, depsOf(d)...)
				continue
			}
			if idx[d] >= idx[typ] {
				t.Errorf("%s (step %d) depends on %s (step %d)", typ, idx[typ], d, idx[d])
			}
		}
	}
	// Types that go last are in the last step.
	for _, typ := range present {
		if late[typ] && idx[typ] != len(steps)-1 {
			t.Errorf("%s is in step %d of %d, want the last", typ, idx[typ], len(steps))
		}
	}
}

// before fails unless each pair's first type comes in an earlier step.
func before(t *testing.T, steps [][]string, pairs ...[2]string) {
	t.Helper()
	idx := map[string]int{}
	for i, s := range steps {
		for _, typ := range s {
			idx[typ] = i
		}
	}
	for _, p := range pairs {
		a, okA := idx[p[0]]
		b, okB := idx[p[1]]
		if !okA || !okB || a >= b {
			t.Errorf("%s is in step %d, %s in step %d; want %s first (steps %v)", p[0], a, p[1], b, p[0], steps)
		}
	}
}

func TestOrder(t *testing.T) {
	synthea := []string{"AllergyIntolerance", "Condition", "Device", "DocumentReference", "Encounter", "Immunization",
		"Location", "MedicationRequest", "Organization", "Patient", "Practitioner", "PractitionerRole", "Procedure"}
	mimic := []string{"Organization", "Location", "Patient", "Encounter", "Condition", "Procedure", "Medication",
		"MedicationRequest", "MedicationDispense", "MedicationAdministration", "MedicationStatement", "Observation", "Specimen"}
	tests := []struct {
		name    string
		present []string
		before  [][2]string
	}{
		{
			name:    "Synthea",
			present: synthea,
			before: [][2]string{
				{"Organization", "Practitioner"}, {"Practitioner", "Encounter"}, {"Patient", "Encounter"},
				{"Encounter", "Condition"}, {"Condition", "Procedure"}, {"Location", "Encounter"},
			},
		},
		{
			name:    "MIMIC",
			present: mimic,
			before: [][2]string{
				{"Specimen", "Observation"}, {"Procedure", "Observation"},
				{"Medication", "MedicationRequest"}, {"MedicationRequest", "MedicationDispense"},
				{"Patient", "Encounter"}, {"Encounter", "Condition"},
			},
		},
		{
			name:    "Provenance last",
			present: []string{"Provenance", "Patient", "Observation", "Encounter"},
			before:  [][2]string{{"Observation", "Provenance"}, {"Encounter", "Provenance"}, {"Patient", "Provenance"}},
		},
		{
			name:    "late types alone",
			present: []string{"Provenance", "List"},
		},
		{
			name:    "unknown R4 type after the core types",
			present: []string{"Basic", "Patient", "Encounter", "Organization"},
			before:  [][2]string{{"Patient", "Basic"}, {"Encounter", "Basic"}, {"Organization", "Basic"}},
		},
		{
			name:    "dependency through an absent type",
			present: []string{"Observation", "Patient"}, // Observation -> Specimen -> Patient, also direct
			before:  [][2]string{{"Patient", "Observation"}},
		},
		{
			name:    "chain through absent types",
			present: []string{"Slot", "Organization"}, // Slot -> Schedule -> Location -> Organization
			before:  [][2]string{{"Organization", "Slot"}},
		},
		{
			name:    "not an R4 type",
			present: []string{"Foo", "Patient"},
		},
		{
			name:    "every R4 type",
			present: fhirtype.R4,
			before:  [][2]string{{"Practitioner", "Encounter"}, {"Encounter", "Condition"}, {"Specimen", "Observation"}, {"Patient", "Basic"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := staticOrder(tt.present)
			checkDeps(t, tt.present, steps)
			before(t, steps, tt.before...)
			// The input order and map iteration do not change the result.
			rev := slices.Clone(tt.present)
			slices.Reverse(rev)
			for i := 0; i < 3; i++ {
				if diff := cmp.Diff(steps, staticOrder(rev)); diff != "" {
					t.Fatalf("Order differs for the same types (-first +again):\n%s", diff)
				}
			}
		})
	}
}

// TestOrderSubsets checks the dependency rule for random sets of types.
func TestOrderSubsets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		var present []string
		for _, typ := range fhirtype.R4 {
			if r.IntN(8) == 0 {
				present = append(present, typ)
			}
		}
		checkDeps(t, present, staticOrder(present))
		if t.Failed() {
			t.Fatalf("set %d: %v", i, present)
		}
	}
}

func TestOrderTies(t *testing.T) {
	// Within a step the classic order comes first, then the names.
	got := staticOrder([]string{"Substance", "Endpoint", "Organization"})
	want := [][]string{{"Endpoint", "Substance"}, {"Organization"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	got = staticOrder([]string{"Specimen", "Procedure", "Medication", "Organization", "Patient"})
	if diff := cmp.Diff([][]string{{"Organization"}, {"Patient", "Medication"}, {"Procedure", "Specimen"}}, got); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	if got := staticOrder(nil); len(got) != 0 {
		t.Errorf("staticOrder(nil) = %v, want no steps", got)
	}
}

// staticOrder sorts types into steps by the static table (OrderStatic), as analyze does: each
// step holds types that depend on none of the types in its own or later
// steps. A type depends on the present types its row names, directly or
// through types that are not present; late types depend on every other
// present type. Ties keep the classic order. It is typeSteps, the
// ordering of both orders, over staticEdges.
func staticOrder(present []string) [][]string {
	edges := staticEdges(present)
	return typeSteps(graph.TypeOrder(present, edges, Classic), edges)
}
