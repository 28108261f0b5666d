package synth_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

func TestDeterministic(t *testing.T) {
	t.Parallel()
	opts := synth.Options{Patients: 15, Seed: 42, Gzip: synth.GzipSome, SplitParts: 2, ShuffleWindow: 100}
	a, b := t.TempDir(), t.TempDir()
	ma, err := synth.Generate(context.Background(), a, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Workers = 1 // the number of workers must not change the output
	mb, err := synth.Generate(context.Background(), b, opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ma, mb); diff != "" {
		t.Errorf("manifests differ (-first +second):\n%s", diff)
	}
	for _, f := range append(ma.Files, synth.File{Name: synth.ManifestName}) {
		ba, _ := os.ReadFile(filepath.Join(a, f.Name))
		bb, _ := os.ReadFile(filepath.Join(b, f.Name))
		if !bytes.Equal(ba, bb) {
			t.Errorf("%s differs between two runs with the same options", f.Name)
		}
	}

	opts.Seed = 43
	c := t.TempDir()
	if _, err := synth.Generate(context.Background(), c, opts); err != nil {
		t.Fatal(err)
	}
	ba, erra := os.ReadFile(filepath.Join(a, "MimicEncounter_part1.ndjson"))
	bc, errc := os.ReadFile(filepath.Join(c, "MimicEncounter_part1.ndjson"))
	if erra != nil || errc != nil {
		t.Fatal(errors.Join(erra, errc))
	}
	if bytes.Equal(ba, bc) {
		t.Errorf("seeds 42 and 43 made the same chartevents")
	}
}

func TestEveryFileAndType(t *testing.T) {
	t.Parallel()
	d := shared(t)
	var names []string
	seen := map[string]bool{}
	for _, f := range d.m.Files {
		if s := source(f.Name); !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
		if f.Lines == 0 {
			t.Errorf("%s is empty", f.Name)
		}
	}
	want := synth.FileNames()
	if diff := cmp.Diff(sorted(want), sorted(names)); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(want) != 30 {
		t.Errorf("got %d MIMIC files, want 30", len(want))
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func TestSizeOfTwentyPatients(t *testing.T) {
	t.Parallel()
	d := shared(t)
	if n := d.m.Resources; n < 3000 || n > 5000 {
		t.Errorf("20 patients made %d resources, want 3000-5000", n)
	}
	if avg := d.m.NDJSONBytes / int64(d.m.Resources); avg < 200 || avg > 500 {
		t.Errorf("average resource is %d bytes, want 200-500", avg)
	}
	opts := d.m.Options
	opts.Scale = 2
	double, err := synth.Generate(context.Background(), t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	labs, labs2 := d.m.Sources["MimicObservationLabevents"], double.Sources["MimicObservationLabevents"]
	if labs2 < labs*18/10 || labs2 > labs*22/10 {
		t.Errorf("Scale 2 made %d labevents, Scale 1 %d: want about twice", labs2, labs)
	}
	if got, want := double.Sources["MimicEncounter"], d.m.Sources["MimicEncounter"]; got != want {
		t.Errorf("Scale 2 made %d hospital encounters, want %d (encounters do not scale)", got, want)
	}
}

func TestReferencesResolve(t *testing.T) {
	t.Parallel()
	d := shared(t)
	n := 0
	for _, l := range d.lines {
		for _, e := range l.refs {
			n++
			if _, ok := d.index[e.target]; !ok {
				t.Errorf("%s %s: %s -> %s resolves to nothing", l.file, l.id, e.path, e.target)
			}
		}
	}
	if n < 2*len(d.lines) {
		t.Errorf("got %d references in %d resources, want more", n, len(d.lines))
	}
}

// TestReferenceStructure checks that every reference the MIMIC field notes
// name is there, from the right file to the right file.
func TestReferenceStructure(t *testing.T) {
	t.Parallel()
	d := shared(t)
	type link struct{ from, path, to string }
	got := map[link]int{}
	for _, l := range d.lines {
		for _, e := range l.refs {
			to := source(d.lines[d.index[e.target]].file)
			got[link{source(l.file), e.path, to}]++
		}
	}
	for _, want := range []link{
		{"MimicLocation", "managingOrganization", "MimicOrganization"},
		{"MimicLocation", "partOf", "MimicLocation"},
		{"MimicPatient", "managingOrganization", "MimicOrganization"},
		{"MimicEncounter", "subject", "MimicPatient"},
		{"MimicEncounter", "location.location", "MimicLocation"},
		{"MimicEncounter", "serviceProvider", "MimicOrganization"},
		{"MimicEncounterED", "partOf", "MimicEncounter"},
		{"MimicEncounterICU", "partOf", "MimicEncounter"},
		{"MimicCondition", "subject", "MimicPatient"},
		{"MimicCondition", "encounter", "MimicEncounter"},
		{"MimicConditionED", "encounter", "MimicEncounterED"},
		{"MimicProcedure", "subject", "MimicPatient"},
		{"MimicProcedure", "encounter", "MimicEncounter"},
		{"MimicProcedureICU", "encounter", "MimicEncounterICU"},
		{"MimicMedicationMix", "ingredient.itemReference", "MimicMedication"},
		{"MimicMedicationRequest", "medicationReference", "MimicMedication"},
		{"MimicMedicationRequest", "medicationReference", "MimicMedicationMix"},
		{"MimicMedicationRequest", "subject", "MimicPatient"},
		{"MimicMedicationRequest", "encounter", "MimicEncounter"},
		{"MimicMedicationDispense", "authorizingPrescription", "MimicMedicationRequest"},
		{"MimicMedicationAdministration", "request", "MimicMedicationRequest"},
		{"MimicMedicationAdministration", "subject", "MimicPatient"},
		{"MimicMedicationAdministrationICU", "context", "MimicEncounterICU"},
		{"MimicMedicationStatementED", "subject", "MimicPatient"},
		{"MimicMedicationStatementED", "context", "MimicEncounterED"},
		{"MimicMedicationStatementED", "medicationReference", "MimicMedication"},
		{"MimicObservationLabevents", "specimen", "MimicSpecimenLab"},
		{"MimicObservationMicroTest", "specimen", "MimicSpecimen"},
		{"MimicObservationMicroTest", "hasMember", "MimicObservationMicroOrg"},
		{"MimicObservationMicroOrg", "derivedFrom", "MimicObservationMicroTest"},
		{"MimicObservationMicroOrg", "hasMember", "MimicObservationMicroSusc"},
		{"MimicObservationMicroSusc", "derivedFrom", "MimicObservationMicroOrg"},
		{"MimicObservationChartevents", "encounter", "MimicEncounterICU"},
		{"MimicObservationED", "partOf", "MimicProcedureED"},
		{"MimicObservationVitalSignsED", "partOf", "MimicProcedureED"},
		{"MimicSpecimen", "subject", "MimicPatient"},
		{"MimicSpecimenLab", "subject", "MimicPatient"},
	} {
		if got[want] == 0 {
			t.Errorf("no reference %s.%s -> %s", want.from, want.path, want.to)
		}
	}
	partOf := got[link{"MimicLocation", "partOf", "MimicLocation"}]
	if locs := d.m.Sources["MimicLocation"]; partOf == 0 || partOf == locs {
		t.Errorf("%d of %d locations have partOf, want some", partOf, locs)
	}
}

func TestMicroCycles(t *testing.T) {
	t.Parallel()
	d := shared(t)
	cycles := 0
	for _, test := range d.lines {
		if source(test.file) != "MimicObservationMicroTest" {
			continue
		}
		members := targets(test, "hasMember")
		if len(members) > 0 {
			cycles++
		}
		for _, org := range members {
			o := d.lines[d.index[org]]
			if diff := cmp.Diff([]string{d.key(test)}, targets(o, "derivedFrom")); diff != "" {
				t.Errorf("%s derivedFrom (-want +got):\n%s", org, diff)
			}
			suscs := targets(o, "hasMember")
			if len(suscs) < 2 || len(suscs) > 4 {
				t.Errorf("%s has %d susceptibilities, want 2-4", org, len(suscs))
			}
			for _, s := range suscs {
				if diff := cmp.Diff([]string{org}, targets(d.lines[d.index[s]], "derivedFrom")); diff != "" {
					t.Errorf("%s derivedFrom (-want +got):\n%s", s, diff)
				}
			}
		}
	}
	if cycles == 0 || cycles != d.m.MicroCycles {
		t.Errorf("found %d micro cycles, manifest says %d", cycles, d.m.MicroCycles)
	}
}

func targets(l line, path string) []string {
	var out []string
	for _, e := range l.refs {
		if e.path == path {
			out = append(out, e.target)
		}
	}
	return out
}

// TestNotInDependencyOrder reads the files in name order (as an S3 listing
// gives them) and checks that many references point forward, within a file
// and across files.
func TestNotInDependencyOrder(t *testing.T) {
	t.Parallel()
	d := shared(t)
	var forward, total, sameFileForward, sameFile int
	for _, l := range d.lines {
		for _, e := range l.refs {
			to := d.lines[d.index[e.target]]
			total++
			if to.pos > l.pos {
				forward++
			}
			if to.file == l.file {
				sameFile++
				if to.pos > l.pos {
					sameFileForward++
				}
			}
		}
	}
	if forward*4 < total {
		t.Errorf("%d of %d references point forward, want at least a quarter", forward, total)
	}
	if sameFileForward == 0 || sameFileForward == sameFile {
		t.Errorf("%d of %d references within a file point forward, want some but not all", sameFileForward, sameFile)
	}
}

func TestLookupRemakesEveryLine(t *testing.T) {
	t.Parallel()
	opts := synth.Options{Patients: 8, Seed: 77, IDPrefix: "x1-", Padding: 30, DanglingRefs: 2}
	d := generate(t, opts)
	for _, l := range d.lines {
		got, err := synth.Lookup(opts, l.typ, l.id)
		if err != nil {
			t.Fatalf("Lookup(%s): %v", d.key(l), err)
		}
		if !bytes.Equal(got, l.raw) {
			t.Fatalf("Lookup(%s):\ngot  %s\nwant %s", d.key(l), got, l.raw)
		}
	}
	for _, tc := range []struct{ typ, id string }{
		{"Patient", "x1-pat-8"},            // one patient too far
		{"Observation", "x1-pat-1"},        // wrong type
		{"Patient", "pat-1"},               // no prefix
		{"Observation", "x1-lab-1-999"},    // no such lab
		{"Observation", "x1-lab-1-01"},     // not the canonical spelling
		{"Medication", "x1-med-99999"},     // outside the pool
		{"Encounter", "x1-enc-dangling-0"}, // the target of a dangling reference
		{"Observation", "x1-msusc-1-0"},    // too few indices
	} {
		if _, err := synth.Lookup(opts, tc.typ, tc.id); !errors.Is(err, synth.ErrNotFound) {
			t.Errorf("Lookup(%s/%s): got %v, want ErrNotFound", tc.typ, tc.id, err)
		}
	}
}

func TestDanglingRefs(t *testing.T) {
	t.Parallel()
	d := generate(t, synth.Options{Patients: 10, Seed: 13, DanglingRefs: 7})
	var got []synth.Dangling
	for _, l := range d.lines {
		for _, e := range l.refs {
			if _, ok := d.index[e.target]; !ok {
				got = append(got, synth.Dangling{Source: source(l.file), ResourceType: l.typ, ID: l.id, Reference: e.target})
			}
		}
	}
	want := append([]synth.Dangling(nil), d.m.Dangling...)
	for i := range want {
		want[i].Path = ""
	}
	less := func(a, b synth.Dangling) bool { return a.ID < b.ID }
	if diff := cmp.Diff(want, got, cmpSort(less)); diff != "" {
		t.Errorf("dangling references (-manifest +files):\n%s", diff)
	}
	if len(got) != 7 {
		t.Errorf("got %d dangling references, want 7", len(got))
	}
}

func TestPatientsFor(t *testing.T) {
	t.Parallel()
	opts := synth.Options{Patients: 1}
	p, err := synth.PatientsFor(opts, 6000, 0)
	if err != nil {
		t.Fatal(err)
	}
	m, err := synth.Generate(context.Background(), t.TempDir(), synth.Options{Patients: p})
	if err != nil {
		t.Fatal(err)
	}
	if m.Resources < 5000 || m.Resources > 7000 {
		t.Errorf("PatientsFor(6000 resources) = %d patients, who made %d resources", p, m.Resources)
	}
}
