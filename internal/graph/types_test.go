package graph

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTypeOrder(t *testing.T) {
	classic := []string{
		"Organization", "Location", "Patient", "Encounter", "Condition", "Observation",
		"Procedure", "Medication", "Specimen", "MedicationRequest",
	}
	tests := []struct {
		name    string
		present []string
		edges   map[[2]string]int
		want    []TypeGroup
	}{
		{"none", nil, nil, []TypeGroup{}},
		{"classic order without edges", []string{"Patient", "Zeta", "Organization", "Alpha"}, nil,
			[]TypeGroup{{Types: []string{"Organization"}}, {Types: []string{"Patient"}}, {Types: []string{"Alpha"}}, {Types: []string{"Zeta"}}}},
		{"specimen before observation", []string{"Observation", "Specimen", "Patient"},
			map[[2]string]int{{"Observation", "Specimen"}: 10, {"Observation", "Patient"}: 10, {"Specimen", "Patient"}: 3},
			[]TypeGroup{{Types: []string{"Patient"}}, {Types: []string{"Specimen"}}, {Types: []string{"Observation"}}}},
		{"practitioner before encounter", []string{"Encounter", "Practitioner", "Patient", "Organization"},
			map[[2]string]int{{"Encounter", "Practitioner"}: 1, {"Encounter", "Patient"}: 1, {"Practitioner", "Organization"}: 1},
			[]TypeGroup{{Types: []string{"Organization"}}, {Types: []string{"Patient"}}, {Types: []string{"Practitioner"}}, {Types: []string{"Encounter"}}}},
		{"self edge", []string{"Encounter", "Location"},
			map[[2]string]int{{"Encounter", "Encounter"}: 5, {"Location", "Location"}: 0, {"Encounter", "Location"}: 2},
			[]TypeGroup{{Types: []string{"Location"}}, {Types: []string{"Encounter"}, Cyclic: true}}},
		{"two types in a cycle", []string{"Procedure", "Observation", "Patient", "Condition"},
			map[[2]string]int{{"Procedure", "Observation"}: 1, {"Observation", "Procedure"}: 1, {"Observation", "Patient"}: 1, {"Condition", "Observation"}: 1},
			[]TypeGroup{{Types: []string{"Patient"}}, {Types: []string{"Observation", "Procedure"}, Cyclic: true}, {Types: []string{"Condition"}}}},
		{"edges to absent types ignored", []string{"Encounter"},
			map[[2]string]int{{"Encounter", "Practitioner"}: 7, {"Group", "Encounter"}: 1},
			[]TypeGroup{{Types: []string{"Encounter"}}}},
		{"duplicates in present", []string{"Patient", "Patient"}, nil, []TypeGroup{{Types: []string{"Patient"}}}},
		{"dependency beats classic position", []string{"Organization", "Location"},
			map[[2]string]int{{"Organization", "Location"}: 1},
			[]TypeGroup{{Types: []string{"Location"}}, {Types: []string{"Organization"}}}},
		{"ready group with best type first", []string{"MedicationRequest", "Medication", "Encounter", "Patient"},
			map[[2]string]int{{"MedicationRequest", "Medication"}: 1, {"Encounter", "Patient"}: 1, {"Medication", "Medication"}: 1},
			[]TypeGroup{{Types: []string{"Patient"}}, {Types: []string{"Encounter"}}, {Types: []string{"Medication"}, Cyclic: true}, {Types: []string{"MedicationRequest"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TypeOrder(tt.present, tt.edges, classic)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("TypeOrder mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
