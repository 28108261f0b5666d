package fhirtype

import (
	"path"
	"strings"
	"testing"
)

// FuzzFromFileName checks that FromFileName never panics, agrees with a
// plain search over every type and position, names only R4 types found
// in the base name, and ignores folders and the .ndjson / .ndjson.gz
// ending.
func FuzzFromFileName(f *testing.F) {
	for _, s := range []string{
		"Patient.ndjson", "MimicMedicationDispenseED.ndjson.gz", "MimicObservationLabevents.ndjson",
		"Patients.ndjson", "Patientdata.ndjson", "dir/sub/Condition_1.ndjson", `dir\Encounter.ndjson`,
		"MedicationRequestMedication.ndjson", "PractitionerRoleX.ndjson.gz", "", ".ndjson.gz", "x/",
		"ÄPatient.ndjson", "Patient\xff.ndjson",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		got, ok := FromFileName(name)
		if ok != (got != "") {
			t.Fatalf("FromFileName(%q) = %q, %v", name, got, ok)
		}
		base := path.Base(strings.ReplaceAll(name, "\\", "/"))
		base = strings.TrimSuffix(strings.TrimSuffix(base, ".gz"), ".ndjson")
		if ok && (!Known(got) || !strings.Contains(base, got)) {
			t.Fatalf("FromFileName(%q) = %q: not an R4 type in the base name %q", name, got, base)
		}
		if want := slowFromBase(base); got != want {
			t.Fatalf("FromFileName(%q) = %q, the plain search finds %q", name, got, want)
		}
		if !strings.ContainsAny(name, `/\`) {
			if d, _ := FromFileName("some/folder/" + name); d != got {
				t.Fatalf("FromFileName(%q) = %q, but %q in a folder gives %q", name, got, name, d)
			}
		}
		a, _ := FromFileName(name + ".ndjson")
		b, _ := FromFileName(name + ".ndjson.gz")
		if a != b {
			t.Fatalf("%q.ndjson gives %q, %q.ndjson.gz gives %q", name, a, name, b)
		}
	})
}

// slowFromBase tries every R4 type at every position, in list order, and
// keeps the longest, the earliest on a tie.
func slowFromBase(base string) string {
	best := ""
	for i := 0; i < len(base); i++ {
		if !startsWord(base, i) {
			continue
		}
		for _, typ := range R4 {
			if len(typ) > len(best) && strings.HasPrefix(base[i:], typ) && !continuesWord(base, i+len(typ)) {
				best = typ
			}
		}
	}
	return best
}
