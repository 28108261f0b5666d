//go:build e2e

// Package e2e runs the tool against the real test bed: a HAPI FHIR JPA
// server and a MinIO server started by scripts/testbed.
package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// sampleData returns testdata/sample/<name> of the repository: a sample
// export whose files are gzip-compressed NDJSON (*.ndjson.gz).
func sampleData(t *testing.T, name string) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "testdata", "sample", name)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("sample data missing: %v", err)
	}
	return dir
}

// readNDJSON returns the bytes of an NDJSON file, decompressed when its
// name ends in .gz.
func readNDJSON(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(name, ".gz") {
		return data
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return out
}

// ndjsonFiles returns the *.ndjson and *.ndjson.gz files of dir (not its
// subfolders) in lexical order, the order the plan reads them in.
func ndjsonFiles(t *testing.T, dir, pattern string) []string {
	t.Helper()
	plain, err := filepath.Glob(filepath.Join(dir, pattern+".ndjson"))
	must(t, err)
	gz, err := filepath.Glob(filepath.Join(dir, pattern+".ndjson.gz"))
	must(t, err)
	files := append(plain, gz...)
	slices.Sort(files)
	return files
}

// randomID returns a short unique id prefix for a test's resources.
func randomID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b)
}

// result is one run of the CLI.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the CLI in-process with exactly the settings given (the
// process environment is not read), from dir (a temp dir if "").
// stateDirs holds each test's XDG_STATE_HOME (*testing.T -> folder).
var stateDirs sync.Map

// stateHome returns the test's own state folder, where the runs of one
// test keep their checkpoints and the ledger of finished loads: a test
// resumes its own loads, and no test skips files because another loaded
// them.
func stateHome(t *testing.T) string {
	if d, ok := stateDirs.Load(t); ok {
		return d.(string)
	}
	d := t.TempDir()
	stateDirs.Store(t, d)
	return d
}

func run(t *testing.T, settings map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	state := stateHome(t)
	code := cli.RunEnv(ctx, args, cli.Env{
		Stdout: &out, Stderr: &errb,
		Lookup: func(k string) (string, bool) {
			v, ok := settings[k]
			if !ok && k == "XDG_STATE_HOME" {
				return state, true
			}
			return v, ok
		},
	})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// server is a minimal raw FHIR client for checking what landed.
type server struct {
	base       string
	user, pass string
}

func (s server) do(t *testing.T, method, path string, body []byte, form url.Values) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.base+"/"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/fhir+json")
	// HAPI answers a search like one of the last minute from its cache,
	// even one that another client made: a check would see the past.
	req.Header.Set("Cache-Control", "no-cache")
	switch {
	case body != nil:
		req.Header.Set("Content-Type", "application/fhir+json")
	case form != nil:
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if s.user != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Minute}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// versions returns id -> meta.versionId for the given ids of a type that
// are on the server.
func (s server) versions(t *testing.T, typ string, ids []string) map[string]string {
	t.Helper()
	got := map[string]string{}
	for start := 0; start < len(ids); start += 50 { // HAPI pages at 50
		chunk := ids[start:min(start+50, len(ids))]
		form := url.Values{"_id": {strings.Join(chunk, ",")}, "_elements": {"id,meta"}, "_count": {"50"}}
		code, body := s.do(t, "POST", typ+"/_search", nil, form)
		if code != 200 {
			t.Fatalf("search %s: HTTP %d: %s", typ, code, body)
		}
		var b struct {
			Entry []struct {
				Resource struct {
					ID   string `json:"id"`
					Meta struct {
						VersionID string `json:"versionId"`
					} `json:"meta"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			t.Fatal(err)
		}
		for _, e := range b.Entry {
			got[e.Resource.ID] = e.Resource.Meta.VersionID
		}
	}
	return got
}

// read returns a resource, or fails the test.
func (s server) read(t *testing.T, typ, id string) map[string]any {
	t.Helper()
	code, body := s.do(t, "GET", typ+"/"+id, nil, nil)
	if code != 200 {
		t.Fatalf("GET %s/%s: HTTP %d: %s", typ, id, code, body)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// ndjsonIDs reads type -> ids -> line from a folder of NDJSON files.
func ndjsonIDs(t *testing.T, dir string) map[string]map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]map[string]any{}
	for _, f := range ndjsonFiles(t, dir, "*") {
		data := readNDJSON(t, f)
		for _, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			typ, id := m["resourceType"].(string), m["id"].(string)
			if out[typ] == nil {
				out[typ] = map[string]map[string]any{}
			}
			out[typ][id] = m
		}
	}
	return out
}

func fhirSettings(base string) map[string]string {
	return map[string]string{"FHIR_BASE_URL": base}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
