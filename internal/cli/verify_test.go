package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeStore answers /metadata, _id searches (POST Type/_search) and
// counts (GET Type?_summary=count) from resources it holds.
func fakeStore(t *testing.T, resources ...string) *httptest.Server {
	t.Helper()
	byKey := map[string]string{}
	for _, r := range resources {
		var m struct{ ResourceType, ID string }
		if err := json.Unmarshal([]byte(r), &m); err != nil {
			t.Fatal(err)
		}
		byKey[m.ResourceType+"/"+m.ID] = r
	}
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		path := strings.TrimPrefix(r.URL.Path, "/fhir/")
		switch {
		case path == "metadata":
			fmt.Fprint(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","software":{"name":"Fake FHIR","version":"1.0"}}`)
		case strings.HasSuffix(path, "/_search"):
			typ := strings.TrimSuffix(path, "/_search")
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			var entries []string
			for _, id := range strings.Split(r.PostForm.Get("_id"), ",") {
				if res, ok := byKey[typ+"/"+id]; ok {
					entries = append(entries, `{"resource":`+res+`,"search":{"mode":"match"}}`)
				}
			}
			fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","entry":[%s]}`, strings.Join(entries, ","))
		case r.URL.Query().Get("_summary") == "count":
			n := 0
			for k := range byKey {
				if strings.HasPrefix(k, path+"/") {
					n++
				}
			}
			fmt.Fprintf(w, `{"resourceType":"Bundle","type":"searchset","total":%d}`, n)
		default:
			http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), 400)
		}
	}))
}

func runVerifyCLI(t *testing.T, base string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := RunEnv(context.Background(), append([]string{"verify"}, args...), Env{Stdout: &out, Stderr: &errb, Lookup: func(k string) (string, bool) {
		if k == "FHIR_BASE_URL" {
			return base, true
		}
		return "", false
	}})
	return code, out.String(), errb.String()
}

func writeInput(t *testing.T, files map[string][]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, lines := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestVerifyOutputGolden(t *testing.T) {
	srv := fakeStore(t,
		`{"resourceType":"Organization","id":"o1","meta":{"versionId":"1"},"name":"Org"}`,
		`{"resourceType":"Patient","id":"p1","meta":{"versionId":"1","lastUpdated":"2026-01-01T00:00:00Z"},"active":true}`,
		`{"resourceType":"Patient","id":"p2","meta":{"versionId":"2"},"active":false}`,
		`{"resourceType":"Patient","id":"p4","meta":{"versionId":"1","profile":["http://a","http://b"]}}`,
	)
	defer srv.Close()
	dir := writeInput(t, map[string][]string{
		"Organization.1700000000000.ndjson": {`{"resourceType":"Organization","id":"o1","name":"Old"}`},
		"Organization.ndjson":               {`{"resourceType":"Organization","id":"o1","name":"Org"}`},
		"Patient.ndjson": {
			`{"resourceType":"Patient","id":"p1","active":true}`,
			`{"resourceType":"Patient","id":"p2","active":true}`,
			`{"resourceType":"Patient","id":"p3"}`,
			`{"resourceType":"Patient","id":"p4","meta":{"profile":["http://b","http://a"]},"name":[]}`,
			`{"resourceType":"Patient",`,
		},
	})
	code, stdout, stderr := runVerifyCLI(t, srv.URL+"/fhir", "-i", dir)
	if code != ExitFailures {
		t.Errorf("exit %d, want %d", code, ExitFailures)
	}
	checkGolden(t, "verify.golden", strings.ReplaceAll(stdout+"--- stderr\n"+stderr, dir, "DIR"))
}

func TestVerifyCompleteAndJSON(t *testing.T) {
	srv := fakeStore(t,
		`{"resourceType":"Patient","id":"p1","meta":{"versionId":"1"},"active":true}`,
		`{"resourceType":"Patient","id":"p2","meta":{"versionId":"1"}}`,
	)
	defer srv.Close()
	dir := writeInput(t, map[string][]string{"Patient.ndjson": {`{"resourceType":"Patient","id":"p1","active":true}`, `{"resourceType":"Patient","id":"p2"}`}})

	code, stdout, _ := runVerifyCLI(t, srv.URL+"/fhir", "-i", dir, "-q")
	if want := "Result: complete: all 2 resources are on the server with the same content, each at version 1\n"; code != ExitOK || stdout != want {
		t.Errorf("got exit %d, %q; want 0, %q", code, stdout, want)
	}
	code, stdout, _ = runVerifyCLI(t, srv.URL+"/fhir", "-i", dir, "--json")
	var rep struct {
		Complete bool `json:"complete"`
		Total    struct {
			Input, Found, Missing int
		} `json:"total"`
		Types []struct{ Type string } `json:"types"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if code != ExitOK || !rep.Complete || rep.Total.Input != 2 || rep.Total.Found != 2 || len(rep.Types) != 1 {
		t.Errorf("--json: got exit %d, %+v", code, rep)
	}
	// The nodes of a cluster share one database: the first one is read
	// (the second here is a closed port).
	code, stdout, stderr := runVerifyCLI(t, srv.URL+"/fhir,http://127.0.0.1:1/fhir", "-i", dir, "-q")
	if !strings.HasPrefix(stdout, "Result: complete") || code != ExitOK {
		t.Errorf("two nodes: got exit %d, %q %q; want 0, complete", code, stdout, stderr)
	}
}

func TestVerifyUsageAndErrors(t *testing.T) {
	dir := writeInput(t, map[string][]string{"Patient.ndjson": {`{"resourceType":"Patient","id":"p1"}`}})
	tests := []struct {
		name     string
		base     string
		args     []string
		code     int
		inStderr string
	}{
		{"batch size", "http://127.0.0.1:1/fhir", []string{"-i", dir, "-s", "0"}, ExitUsage, "--batch-size 0 is out of range"},
		{"concurrency", "http://127.0.0.1:1/fhir", []string{"-i", dir, "-c", "100"}, ExitUsage, "--concurrency 100 is out of range"},
		{"unknown flag", "http://127.0.0.1:1/fhir", []string{"--order", "data"}, ExitUsage, "flag provided but not defined"},
		{"bad base", "ftp://x", []string{"-i", dir}, ExitUsage, "FHIR_BASE_URL"},
		{"a node twice", "http://127.0.0.1:1/fhir,http://127.0.0.1:1/fhir", []string{"-i", dir}, ExitUsage, "is given twice"},
		{"no server", "http://127.0.0.1:1/fhir", []string{"-i", dir}, ExitFatal, "hint: is a FHIR server running"},
		{"no input", "", []string{"-i", filepath.Join(dir, "nothing")}, ExitFatal, "nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := tt.base
			if base == "" {
				srv := fakeStore(t)
				defer srv.Close()
				base = srv.URL + "/fhir"
			}
			code, _, stderr := runVerifyCLI(t, base, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
				t.Errorf("got exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.inStderr)
			}
		})
	}
	code, stdout, _ := runVerifyCLI(t, "", "--help")
	if code != ExitOK || !strings.Contains(stdout, "Usage: minio-to-fhir verify") {
		t.Errorf("--help: got exit %d, %q", code, stdout)
	}
}
