package fhirtype

import "testing"

func TestFromFileName(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string // "" when the name names no type
	}{
		{"plain", "Patient.ndjson", "Patient"},
		{"numbered part", "Patient.000.ndjson", "Patient"},
		{"underscore suffix", "Patient_part1.ndjson", "Patient"},
		{"prefix", "MimicPatient.ndjson", "Patient"},
		{"camel suffix", "MimicObservationLabevents.ndjson", "Observation"},
		{"longest type wins", "MimicMedicationDispenseED.ndjson", "MedicationDispense"},
		{"gzip", "MimicEncounterICU.ndjson.gz", "Encounter"},
		{"medication", "MimicMedicationMix.ndjson", "Medication"},
		{"medication administration", "MimicMedicationAdministrationICU.ndjson", "MedicationAdministration"},
		{"medication statement", "MimicMedicationStatementED.ndjson", "MedicationStatement"},
		{"specimen", "MimicSpecimenLab.ndjson", "Specimen"},
		{"observation micro", "MimicObservationMicroSusc.ndjson", "Observation"},
		{"practitioner role", "PractitionerRole.000.ndjson", "PractitionerRole"},
		{"organization affiliation", "OrganizationAffiliation.ndjson", "OrganizationAffiliation"},
		{"nested path", "dir/sub/Condition.ndjson", "Condition"},
		{"nested windows path", `dir\sub\Condition.ndjson`, "Condition"},
		{"folder name ignored", "Patient/data.ndjson", ""},
		{"no type", "data.ndjson", ""},
		{"type continued by lower case", "Patientdata.ndjson", ""},
		{"plural", "Patients.ndjson", "Patient"},
		{"lower case", "patient.ndjson", ""},
		{"no extension", "Observation", "Observation"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := FromFileName(tt.file)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("FromFileName(%q) = %q, %v; want %q, %v", tt.file, got, ok, tt.want, tt.want != "")
			}
		})
	}
}

// TestFromFileNameEveryType checks that each R4 type is found in its own
// file name, alone and behind a prefix: no type is shadowed by another.
func TestFromFileNameEveryType(t *testing.T) {
	for _, typ := range R4 {
		for _, file := range []string{typ + ".ndjson", "Mimic" + typ + "ED.ndjson.gz", "x/" + typ + "_1.ndjson"} {
			if got, ok := FromFileName(file); got != typ || !ok {
				t.Errorf("FromFileName(%q) = %q, %v; want %q, true", file, got, ok, typ)
			}
		}
	}
}

// TestR4 checks the size of the list and that no name is repeated. FHIR
// 4.0.1 defines 146 concrete resource types: the same names, one for one,
// as the ResourceType enum of HAPI's org.hl7.fhir.r4 model (145 is an often
// quoted but wrong count).
func TestR4(t *testing.T) {
	if got, want := len(R4), 146; got != want {
		t.Errorf("len(R4) = %d, want %d", got, want)
	}
	seen := map[string]bool{}
	for _, typ := range R4 {
		if seen[typ] {
			t.Errorf("R4 lists %q twice", typ)
		}
		seen[typ] = true
	}
}

// Parameters and OperationOutcome are R4 types, and HAPI 8.8 stores them
// (PUT answers 201, GET returns them): they are sent like the others.
func TestKnown(t *testing.T) {
	tests := []struct {
		name  string
		typ   string
		known bool
	}{
		{"patient", "Patient", true},
		{"bundle", "Bundle", true},
		{"parameters", "Parameters", true},
		{"operation outcome", "OperationOutcome", true},
		{"lower case", "patient", false},
		{"R5 only", "NutritionIntake", false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Known(tt.typ); got != tt.known {
				t.Errorf("Known(%q) = %v, want %v", tt.typ, got, tt.known)
			}
		})
	}
}

func TestInternIndex(t *testing.T) {
	for i, name := range R4 {
		got, gi, ok := InternIndex([]byte(name))
		if !ok || got != name || gi != i {
			t.Fatalf("InternIndex(%q) = %q, %d, %v; want %q, %d, true", name, got, gi, ok, name, i)
		}
		if j, ok := Index(name); !ok || j != i {
			t.Fatalf("Index(%q) = %d, %v; want %d, true", name, j, ok, i)
		}
	}
	for _, bad := range []string{"", "patient", "Patient ", "Foo"} {
		if _, _, ok := InternIndex([]byte(bad)); ok {
			t.Errorf("InternIndex(%q) knows it", bad)
		}
		if _, ok := Index(bad); ok {
			t.Errorf("Index(%q) knows it", bad)
		}
	}
}
