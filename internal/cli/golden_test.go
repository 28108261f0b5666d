package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fakeFHIR serves a fhirFake.
func fakeFHIR(t *testing.T) *httptest.Server {
	t.Helper()
	return httptest.NewServer(newFHIRFake())
}

// masks hide what changes from run to run: durations, rates, paths.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d+(\.\d+)?s\b`), "X.Xs"},
	{regexp.MustCompile(`\(\d[\d,]* resources/s\)`), "(N resources/s)"},
	{regexp.MustCompile(`http://127\.0\.0\.1:\d+`), "http://127.0.0.1:PORT"},
}

func TestUploadOutputGolden(t *testing.T) {
	srv := fakeFHIR(t)
	defer srv.Close()
	dir := t.TempDir()
	write := func(name string, lines ...string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var pats []string
	for i := range 5 {
		pats = append(pats, fmt.Sprintf(`{"resourceType":"Patient","id":"p%d","managingOrganization":{"reference":"Organization/o1"}}`, i))
	}
	pats = append(pats, `{"resourceType":"Patient","id":"bad1"}`, `{"resourceType":"Patient",`)
	write("Patient.ndjson", pats...)
	write("Organization.ndjson", `{"resourceType":"Organization","id":"o1","name":"Org"}`)
	write("MimicEncounter.ndjson",
		`{"resourceType":"Encounter","id":"e2","status":"finished","class":{"code":"EMER"},"partOf":{"reference":"Encounter/e1"},"subject":{"reference":"Patient/p1"}}`,
		`{"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"IMP"},"subject":{"reference":"Patient/p1"}}`)
	logPath := filepath.Join(t.TempDir(), "failures.log")
	var out, errb bytes.Buffer
	code := RunEnv(context.Background(), []string{"upload", "-i", dir, "-s", "3", "-c", "1", "--failure-log", logPath, "--checkpoint-dir", t.TempDir()},
		Env{Stdout: &out, Stderr: &errb, Lookup: func(k string) (string, bool) {
			if k == "FHIR_BASE_URL" {
				return srv.URL + "/fhir", true
			}
			return "", false
		}})
	if code != ExitFailures {
		t.Errorf("exit %d, want %d", code, ExitFailures)
	}
	got := strings.NewReplacer(dir, "DIR", logPath, "FAILURELOG", filepath.Dir(logPath), "LOGDIR").Replace(out.String() + "--- stderr\n" + errb.String())
	checkGolden(t, "upload.golden", got)
}

// checkGolden compares output, masked, with testdata/name (-update
// rewrites it).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	for _, m := range masks {
		got = m.re.ReplaceAllString(got, m.with)
	}
	golden := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/cli -run Golden -update)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (go test ./internal/cli -run Golden -update rewrites it):\n--- got\n%s\n--- want\n%s", golden, got, want)
	}
}
