//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestUploadSynthea loads the Synthea sample into the default HAPI
// (referential integrity on) and checks every resource landed with its
// id, then that a second run changes nothing.
func TestUploadSynthea(t *testing.T) {
	bed := testbed.Default(t)
	dir := sampleData(t, "synthea-smart-bulk-10-patients")
	s := server{base: bed.FHIRBaseURL}
	want := ndjsonIDs(t, dir)
	tmp := t.TempDir()
	report := filepath.Join(tmp, "report.json")
	args := []string{"upload", "-i", dir, "-s", "100", "--failure-log", filepath.Join(tmp, "failures.log"), "--report", report}

	r := run(t, fhirSettings(bed.FHIRBaseURL), args...)
	if r.code != cli.ExitOK {
		t.Fatalf("upload: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range []string{"Testing FHIR server... ✓", "Found 13 NDJSON files (7,160 resources total)", "Total resources: 7,160", "Failed: 0"} {
		if !strings.Contains(r.stdout, line) {
			t.Errorf("stdout lacks %q:\n%s", line, r.stdout)
		}
	}
	types := make([]string, 0, len(want))
	for typ := range want {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		ids := make([]string, 0, len(want[typ]))
		for id := range want[typ] {
			ids = append(ids, id)
		}
		got := s.versions(t, typ, ids)
		if len(got) != len(ids) {
			t.Errorf("%s: %d of %d ids on the server", typ, len(got), len(ids))
		}
	}
	// Content: every resource, whole, without the tool's code.
	if n := checkWholeContent(t, s, dir); n != 7160 {
		t.Errorf("compared %d resources, want 7160", n)
	}

	// Again: the files are as the finished load read them, so nothing is
	// sent.
	r = run(t, fhirSettings(bed.FHIRBaseURL), args...)
	if r.code != cli.ExitOK {
		t.Fatalf("second upload: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "13 files unchanged since the load of ") || regexp.MustCompile(`(?m)^\s+Batch \d+`).MatchString(r.stdout) {
		t.Errorf("second upload: want nothing sent, 13 files unchanged:\n%s", r.stdout)
	}
	var again struct {
		transfer.Summary
		UnchangedFiles int `json:"unchangedFiles"`
	}
	data, err := os.ReadFile(report)
	must(t, err)
	must(t, json.Unmarshal(data, &again))
	if again.UnchangedFiles != 13 || again.Read != 0 {
		t.Errorf("second upload: report says %d files unchanged, %d resources read; want 13 and 0", again.UnchangedFiles, again.Read)
	}

	// With --fresh, everything is sent again and nothing changes on the
	// server.
	r = run(t, fhirSettings(bed.FHIRBaseURL), append(args, "--fresh")...)
	if r.code != cli.ExitOK {
		t.Fatalf("third upload (--fresh): exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var sum transfer.Summary
	data, err = os.ReadFile(report)
	must(t, err)
	must(t, json.Unmarshal(data, &sum))
	if sum.Unchanged != 7160 || sum.Created+sum.Updated+sum.Failed != 0 {
		t.Errorf("third run: got %d unchanged, %d created, %d updated, %d failed; want all 7160 unchanged", sum.Unchanged, sum.Created, sum.Updated, sum.Failed)
	}
	for _, typ := range []string{"Patient", "Encounter"} {
		ids := make([]string, 0, len(want[typ]))
		for id := range want[typ] {
			ids = append(ids, id)
		}
		for id, v := range s.versions(t, typ, ids) {
			if v != "1" {
				t.Errorf("%s/%s has version %s after three identical uploads, want 1", typ, id, v)
			}
		}
	}
}

// TestUploadBadInput: a bad line, a numeric id and a reference to a missing
// resource end in the failure log with file and line; the rest lands.
func TestUploadBadInput(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	id := randomID(t)
	dir := t.TempDir()
	patients := []string{
		fmt.Sprintf(`{"resourceType":"Patient","id":"%s-1","birthDate":"1980-01-01"}`, id),
		`{"resourceType":"Patient","id":"%s-broken",`,
		fmt.Sprintf(`{"resourceType":"Patient","id":"%s-2"}`, id),
		fmt.Sprintf(`{"resourceType":"Patient","id":"%d"}`, 900000+len(id)),
	}
	obs := []string{
		fmt.Sprintf(`{"resourceType":"Observation","id":"%s-o1","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s-1"}}`, id, id),
		fmt.Sprintf(`{"resourceType":"Observation","id":"%s-o2","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s-nobody"}}`, id, id),
	}
	must(t, os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(strings.Join(patients, "\n")+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "MimicObservationLabevents.ndjson"), []byte(strings.Join(obs, "\r\n")), 0o644))
	logPath := filepath.Join(t.TempDir(), "failures.log")

	r := run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", dir, "--failure-log", logPath)
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	want := map[string]string{
		"Patient.ndjson:2":                   "not valid JSON",
		"Patient.ndjson:4":                   "HAPI-0960",
		"MimicObservationLabevents.ndjson:2": "HAPI-1094",
	}
	f, err := os.Open(logPath)
	must(t, err)
	defer f.Close()
	sc := bufio.NewScanner(f)
	got := map[string]string{}
	for sc.Scan() {
		var rec transfer.Failure
		must(t, json.Unmarshal(sc.Bytes(), &rec))
		got[fmt.Sprintf("%s:%d", rec.File, rec.Line)] = rec.Error
	}
	if len(got) != len(want) {
		t.Errorf("failure log: got %v, want %v", got, want)
	}
	for where, text := range want {
		if !strings.Contains(got[where], text) {
			t.Errorf("failure log %s: got %q, want it to contain %q", where, got[where], text)
		}
	}
	for typ, ids := range map[string][]string{"Patient": {id + "-1", id + "-2"}, "Observation": {id + "-o1"}} {
		if v := s.versions(t, typ, ids); len(v) != len(ids) {
			t.Errorf("%s: got %v on the server, want %v", typ, v, ids)
		}
	}
	if !strings.Contains(r.stdout, "Failed: 3") || !strings.Contains(r.stdout, "Failed resources logged to: "+logPath) {
		t.Errorf("summary does not report the 3 failures:\n%s", r.stdout)
	}

	// Replay: with the missing Patient now on the server, uploading the
	// failure log lands the Observation; the other two fail again, under
	// the file and line they first came from.
	code, body := s.do(t, "PUT", "Patient/"+id+"-nobody", []byte(fmt.Sprintf(`{"resourceType":"Patient","id":"%s-nobody"}`, id)), nil)
	if code != 201 {
		t.Fatalf("PUT the missing patient: HTTP %d %s", code, body)
	}
	log2 := filepath.Join(t.TempDir(), "failures2.log")
	r = run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", logPath, "--failure-log", log2, "--checkpoint-dir", t.TempDir())
	if r.code != cli.ExitFailures {
		t.Fatalf("replay: exit %d, want %d\n%s\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	if v := s.versions(t, "Observation", []string{id + "-o2"}); len(v) != 1 {
		t.Errorf("replay did not land Observation/%s-o2", id)
	}
	data, err := os.ReadFile(log2)
	must(t, err)
	for _, where := range []string{`"file":"Patient.ndjson","line":2`, `"file":"Patient.ndjson","line":4`} {
		if !strings.Contains(string(data), where) {
			t.Errorf("replay failure log lacks %s:\n%s", where, data)
		}
	}
	if n := strings.Count(string(data), "\n"); n != 2 {
		t.Errorf("replay failure log has %d records, want 2:\n%s", n, data)
	}
}

// TestUploadAuth: Basic auth against HAPI with auth on; a wrong password
// stops at the server check with a clear message that does not show it.
func TestUploadAuth(t *testing.T) {
	bed := testbed.WithAuth(t)
	id := randomID(t)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "Organization.ndjson"), []byte(fmt.Sprintf(`{"resourceType":"Organization","id":"%s","name":"Auth test"}`+"\n", id)), 0o644))
	settings := map[string]string{"FHIR_BASE_URL": bed.FHIRBaseURL, "FHIR_AUTH_ENABLED": "true", "FHIR_USERNAME": bed.AuthUser, "FHIR_PASSWORD": bed.AuthPassword}
	logPath := filepath.Join(t.TempDir(), "f.log")
	if r := run(t, settings, "upload", "-i", dir, "--failure-log", logPath); r.code != cli.ExitOK {
		t.Fatalf("upload with credentials: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	s := server{base: bed.FHIRBaseURL, user: bed.AuthUser, pass: bed.AuthPassword}
	if v := s.versions(t, "Organization", []string{id}); len(v) != 1 {
		t.Errorf("Organization/%s not on the server", id)
	}
	settings["FHIR_PASSWORD"] = "canary-wrong-password-77"
	r := run(t, settings, "upload", "-i", dir, "--failure-log", logPath)
	if r.code != cli.ExitAuth {
		t.Errorf("wrong password: exit %d, want %d", r.code, cli.ExitAuth)
	}
	if !strings.Contains(r.stderr, "not authorized") || !strings.Contains(r.stderr, "hint: check FHIR_USERNAME and FHIR_PASSWORD") {
		t.Errorf("wrong password: unclear message:\n%s", r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "canary-wrong-password-77") {
		t.Errorf("the password shows in the output")
	}
}

// TestUploadPathlingSample loads the second Synthea sample (Goal, CarePlan,
// Claim, ExplanationOfBenefit, DiagnosticReport, ... ) with the order from
// the data: everything lands except the three resources no order can fix
// (two numeric ids, one reference to a Goal that is not in the data), and
// the earlier lines of duplicated ids, which are not sent.
func TestUploadPathlingSample(t *testing.T) {
	bed := testbed.Default(t)
	dir := sampleData(t, "synthea-pathling-9-patients")
	logPath := filepath.Join(t.TempDir(), "f.log")
	report := filepath.Join(t.TempDir(), "report.json")
	r := run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", dir, "-c", "4", "--failure-log", logPath, "--report", report, "--checkpoint-dir", t.TempDir())
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	for _, warn := range []string{"refers to Goal/01210ad4-56e9-4e8d-ab50-d014b07f725a, which is neither in the data nor on the server", "Numeric ids: 2 resources"} {
		if !strings.Contains(r.stdout+r.stderr, warn) {
			t.Errorf("the plan does not warn %q", warn)
		}
	}
	data, err := os.ReadFile(logPath)
	must(t, err)
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var rec transfer.Failure
		must(t, json.Unmarshal([]byte(line), &rec))
		got[rec.ResourceType+"/"+rec.ID] = rec.Error
	}
	want := map[string]string{
		"Questionnaire/3141":                            "HAPI-0960",
		"QuestionnaireResponse/3141":                    "HAPI-0960",
		"CarePlan/7ab71676-8460-434c-bd00-f1164820cc7d": "HAPI-1094",
	}
	if len(got) != len(want) {
		t.Errorf("failures: got %v, want %v", got, want)
	}
	for k, code := range want {
		if !strings.Contains(got[k], code) {
			t.Errorf("%s: got %q, want %s", k, got[k], code)
		}
	}
	// Five Practitioners come twice or three times: their six earlier
	// lines are not sent.
	if sum := readReport(t, report); sum.Read != 2789 || sum.Landed() != 2780 || sum.DuplicatesSkipped != 6 {
		t.Errorf("read %d landed %d duplicates skipped %d, want 2789, 2780 and 6", sum.Read, sum.Landed(), sum.DuplicatesSkipped)
	}
}
