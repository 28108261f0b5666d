package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fakeFHIR answers /metadata and batch Bundles: every entry is created,
// except ids starting with "bad", which fail with an OperationOutcome.
func fakeFHIR(t *testing.T) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		if strings.HasSuffix(r.URL.Path, "/metadata") {
			fmt.Fprint(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","software":{"name":"Fake FHIR","version":"1.0"}}`)
			return
		}
		var b struct {
			Type  string `json:"type"`
			Entry []struct {
				Request struct{ URL string } `json:"request"`
			} `json:"entry"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		var entries []string
		for _, e := range b.Entry {
			_, id, _ := strings.Cut(e.Request.URL, "/")
			if strings.HasPrefix(id, "bad") {
				entries = append(entries, `{"response":{"status":"400 Bad Request","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"HAPI-1094: Resource Patient/nobody not found"}]}}}`)
				continue
			}
			entries = append(entries, `{"response":{"status":"201 Created"}}`)
		}
		fmt.Fprintf(w, `{"resourceType":"Bundle","type":"%s-response","entry":[%s]}`, b.Type, strings.Join(entries, ","))
	}))
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
	got := strings.NewReplacer(dir, "DIR", logPath, "FAILURELOG").Replace(out.String() + "--- stderr\n" + errb.String())
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
