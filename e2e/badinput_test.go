//go:build e2e

package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// badUpload runs upload on dir with the canary settings, a failure log,
// a report and a checkpoint folder of its own under tmp.
func badUpload(t *testing.T, base, dir, tmp string, extra ...string) (result, string, string) {
	t.Helper()
	flog, report := filepath.Join(tmp, "failures.log"), filepath.Join(tmp, "report.json")
	settings := canarySettings(tmp)
	settings["FHIR_BASE_URL"] = base
	args := append([]string{"upload", "-i", dir, "-s", "5", "--failure-log", flog, "--report", report,
		"--checkpoint-dir", filepath.Join(tmp, "ckpt")}, extra...)
	r := run(t, settings, args...)
	assertNoCanary(t, r, tmp, dir)
	return r, flog, report
}

// negativeCount finds a count printed as a negative number.
var negativeCount = regexp.MustCompile(`-1 (resources|NDJSON)|\(-1`)

// TestBadInputCorpus uploads testdata/badinput (and the cases made at run
// time) in one run: every bad line and file is named with its line, the
// failure log holds every resource that did not land, the rest lands,
// and the exit code is 3.
func TestBadInputCorpus(t *testing.T) {
	bed := testbed.Default(t)
	tmp := t.TempDir()
	c := copyCorpus(t, filepath.Join(tmp, "in"))
	r, flog, report := badUpload(t, bed.FHIRBaseURL, c.dir, tmp)
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	if m := negativeCount.FindString(r.stdout); m != "" {
		t.Errorf("the plan prints an unknown count as %q (the truncated .gz could not be counted):\n%s", m, r.stdout)
	}

	// Each rejected line: a warning with file and line, and a failure
	// record with the reason and the line itself, so it can be sent again.
	const lines = "Patient_lines.ndjson"
	rejected := []struct {
		line int
		want string
	}{
		{2, "not valid JSON"}, {3, "found an array"}, {4, "found a string"}, {5, "no resourceType"},
		{6, `"Patientt" is not a FHIR R4 resource type`}, {7, "no id"}, {8, "invalid id"}, {9, "at most 64"},
		{16, "not valid UTF-8"}, {19, "not valid JSON"},
	}
	failures := readFailures(t, flog)
	for _, rj := range rejected {
		where := fmt.Sprintf("%s: line %d:", lines, rj.line)
		if stderrLine(r.stderr, where, rj.want) == "" {
			t.Errorf("no warning %q ... %q on stderr", where, rj.want)
		}
		rec, ok := failures[fmt.Sprintf("%s:%d", lines, rj.line)]
		switch {
		case !ok:
			t.Errorf("%s line %d is not in the failure log", lines, rj.line)
		case !strings.Contains(rec.Error, rj.want):
			t.Errorf("%s line %d: failure log says %q, want %q", lines, rj.line, rec.Error, rj.want)
		case len(rec.Resource) == 0 && rec.Raw == "" && !strings.Contains(rec.Error, "not copied"):
			t.Errorf("%s line %d: the failure record holds neither the resource nor the raw line", lines, rj.line)
		}
	}
	// The purely numeric id passes our checks; HAPI refuses it.
	if rec := failures[fmt.Sprintf("%s:10", lines)]; rec.Status != 400 || !strings.Contains(rec.Error, "HAPI-0960") || rec.ID != c.num {
		t.Errorf("numeric id: failure record %+v, want status 400 with HAPI-0960 for id %s", rec, c.num)
	}
	if len(failures) != len(rejected)+1 {
		t.Errorf("the failure log has %d records, want %d", len(failures), len(rejected)+1)
	}
	if data, err := os.ReadFile(flog); err == nil && !utf8.Valid(data) {
		t.Errorf("the failure log is not valid UTF-8 (so not valid JSON): the line with bytes that are not UTF-8 is copied into it as it is")
	}
	if stderrLine(r.stderr, lines+": line 14:", "Organization") == "" {
		t.Errorf("no warning that line 14 holds an Organization in a Patient file:\n%s", r.stderr)
	}

	// Whole files: named on stderr and in the report.
	sum := readReport(t, report)
	problems := map[string]transfer.FileProblem{}
	for _, fp := range sum.FileProblems {
		problems[fp.File] = fp
	}
	gzName := "Observation_truncated.ndjson.gz"
	fileCases := []struct {
		file, want string
		problem    bool // a file that could not be read (whole or in part): in the report, exit 3
	}{
		{gzName, "unexpected EOF", true},
		{"loop.ndjson", "symbolic links", true},
		{"untyped.ndjson", "neither its name nor its first line", true},
		{"x.ndjson", "folder", true},
		{"Condition_empty.ndjson", "", false},
	}
	for _, fc := range fileCases {
		if stderrLine(r.stderr, fc.file, fc.want) == "" {
			t.Errorf("no message names %s (%q) on stderr:\n%s", fc.file, fc.want, r.stderr)
		}
		if _, ok := problems[fc.file]; fc.problem && !ok {
			t.Errorf("%s is not among the report's file problems: %+v", fc.file, sum.FileProblems)
		}
	}
	if p := problems[gzName]; p.Line != c.gzLines+1 || stderrLine(r.stderr, fmt.Sprintf("%s: line %d", gzName, c.gzLines+1)) == "" {
		t.Errorf("truncated .gz: problem %+v, want it at line %d (after %d whole lines), named so on stderr", p, c.gzLines+1, c.gzLines)
	}

	// What is valid lands; what is not, does not.
	s := server{base: bed.FHIRBaseURL}
	id := func(s string) string { return c.id + "-" + s }
	want := map[string]map[string]string{ // type -> id -> version
		"Patient": {id("p1"): "1", id("p2"): "1", id("bom1"): "1", id("bom2"): "1", id("bom3"): "1",
			id("dup"): "1", id("cross"): "1"}, // each written once: its last occurrence
		"Organization": {id("org"): "1"},
		"Parameters":   {id("params"): "1"}, // an R4 type HAPI stores
		"Observation":  {},
	}
	for i := 1; i <= c.gzLines; i++ {
		want["Observation"][id(fmt.Sprintf("gz%d", i))] = "1"
	}
	for typ, ids := range want {
		list := make([]string, 0, len(ids))
		for i := range ids {
			list = append(list, i)
		}
		got := s.versions(t, typ, list)
		for i, v := range ids {
			if got[i] != v {
				t.Errorf("%s/%s: version %q on the server, want %q", typ, i, got[i], v)
			}
		}
	}
	for i := c.gzLines + 1; i <= c.gzLines+3; i++ {
		if got := s.versions(t, "Observation", []string{id(fmt.Sprintf("gz%d", i))}); len(got) != 0 {
			t.Errorf("Observation gz%d is on the server, but it comes after the break in the gzip stream", i)
		}
	}
	absent := []string{id("badjson"), id("array"), id("notype"), id("notfhir"), id("params"), id("latin1"), id("truncated"), c.num}
	if got := s.versions(t, "Patient", absent); len(got) != 0 {
		t.Errorf("rejected lines are on the server: %v", got)
	}
	// The later of two lines with the same id is the one written, within a
	// file and across files (in name order); the earlier is skipped.
	if got := sum.ByType["Patient"].DuplicatesSkipped; got != 2 {
		t.Errorf("Patient duplicates skipped: %d, want 2 (line 13 of Patient_lines, and Patient_dup_a)", got)
	}
	if p := s.read(t, "Patient", id("dup")); p["gender"] != "female" {
		t.Errorf("Patient/%s: gender %v, want female (the later line)", id("dup"), p["gender"])
	}
	if p := s.read(t, "Patient", id("cross")); !strings.Contains(fmt.Sprint(p["name"]), "SecondFile") {
		t.Errorf("Patient/%s: name %v, want the one of Patient_dup_b.ndjson", id("cross"), p["name"])
	}
	if p := s.read(t, "Patient", id("bom1")); p["gender"] != "female" {
		t.Errorf("Patient/%s (after a BOM): gender %v, want female", id("bom1"), p["gender"])
	}
}

// TestBadInputOneAtATime runs each whole-file problem next to one good
// file: the message names the file, the good file lands, and the exit
// code says that not everything did.
func TestBadInputOneAtATime(t *testing.T) {
	bed := testbed.Default(t)
	tests := []struct {
		name, file string
		make       func(t *testing.T, dir string)
		want       string
		codes      []int // accepted exit codes
	}{
		{"empty file", "Condition.ndjson", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "Condition.ndjson"), nil, 0o644))
		}, "", []int{cli.ExitOK, cli.ExitFailures}},
		{"folder named x.ndjson", "x.ndjson", func(t *testing.T, dir string) {
			must(t, os.Mkdir(filepath.Join(dir, "x.ndjson"), 0o755))
		}, "folder", []int{cli.ExitFailures}},
		{"symbolic link loop", "Patient.ndjson", func(t *testing.T, dir string) {
			must(t, os.Symlink("Patient.ndjson", filepath.Join(dir, "Patient.ndjson")))
		}, "symbolic links", []int{cli.ExitFailures}},
		{"no type", "data.ndjson", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "data.ndjson"), []byte(`{"resourceType":"Nonsense","id":"a"}`+"\n"), 0o644))
		}, "neither its name nor its first line", []int{cli.ExitFailures}},
		{"not gzip", "Patient.ndjson.gz", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "Patient.ndjson.gz"), []byte(`{"resourceType":"Patient","id":"a"}`+"\n"), 0o644))
		}, "gzip", []int{cli.ExitFailures}},
		{"type differs from the file's", "Patient.ndjson", func(t *testing.T, dir string) {
			must(t, os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(`{"resourceType":"Location","id":"`+randomID(t)+`","name":"a"}`+"\n"), 0o644))
		}, "line 1: holds a Location", []int{cli.ExitOK, cli.ExitFailures}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			dir := filepath.Join(tmp, "in")
			must(t, os.Mkdir(dir, 0o755))
			org := randomID(t)
			must(t, os.WriteFile(filepath.Join(dir, "Organization.ndjson"), []byte(`{"resourceType":"Organization","id":"`+org+`","name":"good"}`+"\n"), 0o644))
			tc.make(t, dir)
			r, _, _ := badUpload(t, bed.FHIRBaseURL, dir, tmp)
			ok := false
			for _, c := range tc.codes {
				ok = ok || r.code == c
			}
			if !ok {
				t.Errorf("exit %d, want one of %v\nstdout:\n%s\nstderr:\n%s", r.code, tc.codes, r.stdout, r.stderr)
			}
			if stderrLine(r.stderr, tc.file, tc.want) == "" {
				t.Errorf("no message names %s (%q):\n%s", tc.file, tc.want, r.stderr)
			}
			if got := (server{base: bed.FHIRBaseURL}).versions(t, "Organization", []string{org}); got[org] != "1" {
				t.Errorf("the good file did not land: %v", got)
			}
		})
	}
}

// TestBadInputNoNDJSON: a folder without NDJSON files stops at once with
// a clear error, as does an input that does not exist.
func TestBadInputNoNDJSON(t *testing.T) {
	bed := testbed.Default(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "in")
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	// JSON that is no FHIR is skipped with a warning (a FHIR *.json file would be read).
	must(t, os.WriteFile(filepath.Join(dir, "data.json"), []byte(`{"note":"not FHIR"}`), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "README.txt"), []byte("nothing here"), 0o644))
	r, _, _ := badUpload(t, bed.FHIRBaseURL, dir, tmp)
	if r.code != cli.ExitFatal || stderrLine(r.stderr, "error:", "no NDJSON files", dir) == "" {
		t.Errorf("folder without NDJSON: exit %d, want 1 with an error naming the folder:\n%s", r.code, r.stderr)
	}
	missing := filepath.Join(tmp, "missing")
	r, _, _ = badUpload(t, bed.FHIRBaseURL, missing, tmp)
	if r.code != cli.ExitFatal || stderrLine(r.stderr, "error:", missing) == "" {
		t.Errorf("missing input: exit %d, want 1 with an error naming it:\n%s", r.code, r.stderr)
	}
}
