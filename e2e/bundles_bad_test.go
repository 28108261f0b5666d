//go:build e2e

package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestBundlesBadInput: each kind of bad Bundle input beside a good
// transaction Bundle. The bad part is named by file and entry (in the
// failure log too, when it is a resource), everything else lands, and the
// exit code says whether anything was refused.
func TestBundlesBadInput(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	pat := func(id string) string { return fmt.Sprintf(`{"resourceType":"Patient","id":"%s-%s"}`, p, id) }
	obs := func(id, subject string) string {
		return fmt.Sprintf(`{"resourceType":"Observation","id":"%s-%s","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:%s-%s"}}`, p, id, p, subject)
	}
	entry := func(fullURL, res string) string {
		return fmt.Sprintf(`{"fullUrl":"urn:uuid:%s-%s","resource":%s,"request":{"method":"POST","url":"x"}}`, p, fullURL, res)
	}
	bundle := func(typ string, entries ...string) string {
		return `{"resourceType":"Bundle","type":"` + typ + `","entry":[` + strings.Join(entries, ",") + `]}`
	}
	tests := []struct {
		name     string
		file     string // the bad file, in fhir/
		content  string
		code     int
		stderr   string // a line of stderr holds this
		failure  string // the failure log's key of the refused entry ("" none)
		landed   []string
		notThere []string
	}{
		{
			name:    "truncated",
			file:    "cut.json",
			content: strings.TrimSuffix(bundle("transaction", entry("c1", pat("c1")), entry("c2", obs("c2", "c1"))), "]}") + `,{"fullUrl":"urn:uuid:x","resou`,
			code:    cli.ExitFailures,
			stderr:  "fhir/cut.json: entry 3: the file is cut short or broken after entry 2: unexpected EOF",
			failure: "fhir/cut.json entry 3",
			landed:  []string{"Patient/c1", "Observation/c2"},
		},
		{
			name:    "entry with no resource",
			file:    "nores.json",
			content: bundle("batch", entry("n1", pat("n1")), `{"fullUrl":"urn:uuid:nothing","request":{"method":"POST","url":"Patient"}}`, entry("n3", obs("n3", "n1"))),
			code:    cli.ExitFailures,
			stderr:  "fhir/nores.json: entry 2: the entry has no resource",
			failure: "fhir/nores.json entry 2",
			landed:  []string{"Patient/n1", "Observation/n3"},
		},
		{
			name:    "entry with no id",
			file:    "noid.json",
			content: bundle("batch", entry("i1", pat("i1")), `{"resource":{"resourceType":"Patient","name":[{"family":"NoId"}]},"request":{"method":"POST","url":"Patient"}}`),
			code:    cli.ExitFailures,
			stderr:  "fhir/noid.json: entry 2: Patient with no id",
			failure: "fhir/noid.json entry 2",
			landed:  []string{"Patient/i1"},
		},
		{
			name:    "unknown resourceType",
			file:    "unknown.json",
			content: bundle("collection", `{"fullUrl":"urn:uuid:u0","resource":{"resourceType":"Starship","id":"enterprise"}}`, entry("u1", pat("u1"))),
			code:    cli.ExitFailures,
			stderr:  `fhir/unknown.json: entry 1: unknown resourceType "Starship"`,
			failure: "fhir/unknown.json entry 1",
			landed:  []string{"Patient/u1"},
		},
		{
			name:     "batch-response",
			file:     "response.json",
			content:  `{"resourceType":"Bundle","type":"batch-response","entry":[{"resource":` + pat("r1") + `,"response":{"status":"201 Created"}}]}`,
			code:     cli.ExitFailures,
			stderr:   "warning: fhir/response.json: skipped: a batch-response Bundle is a server's answer to a request, not data to load",
			notThere: []string{"Patient/r1"},
		},
		{
			name:    "not FHIR",
			file:    "parameters.json",
			content: `{"transactionTime":"2025-01-01","output":[{"type":"Patient","url":"x"}]}`,
			code:    cli.ExitOK,
			stderr:  "warning: fhir/parameters.json: skipped: JSON, but not a FHIR resource or Bundle (no resourceType)",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := strings.ReplaceAll(tc.name, " ", "-")
			good := bundle("transaction", entry(g+"-gp", pat(g+"-gp")), entry(g+"-go", obs(g+"-go", g+"-gp")))
			dir := writeTree(t, map[string]string{"fhir/good.json": good, "fhir/" + tc.file: tc.content})
			tmp := t.TempDir()
			r, flog, _ := badUpload(t, bed.FHIRBaseURL, dir, tmp)
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, r.stderr)
			}
			fails := bundleFailures(t, flog)
			if tc.failure != "" {
				if _, ok := fails[tc.failure]; !ok || len(fails) != 1 {
					t.Errorf("failure log %v: want exactly %s", keys(fails), tc.failure)
				}
			} else if len(fails) != 0 {
				t.Errorf("failure log %v: want none", keys(fails))
			}
			for _, k := range append([]string{"Patient/" + g + "-gp", "Observation/" + g + "-go"}, tc.landed...) {
				typ, id, _ := strings.Cut(k, "/")
				if vs := s.versions(t, typ, []string{p + "-" + id}); len(vs) != 1 {
					t.Errorf("%s/%s-%s is not on the server", typ, p, id)
				}
			}
			for _, k := range tc.notThere {
				typ, id, _ := strings.Cut(k, "/")
				if vs := s.versions(t, typ, []string{p + "-" + id}); len(vs) != 0 {
					t.Errorf("%s/%s-%s is on the server: the refused file was loaded", typ, p, id)
				}
			}
			if tc.failure != "" {
				// The failure log replays: the record names the entry again.
				r2 := run(t, canarySettings(tmp), "upload", "-i", flog, "--failure-log", filepath.Join(tmp, "again.log"),
					"--checkpoint-dir", filepath.Join(tmp, "ckpt2"), "--fhir-url", bed.FHIRBaseURL)
				if r2.code != cli.ExitFailures || !strings.Contains(r2.stderr, strings.Replace(tc.failure, " entry ", ": entry ", 1)) {
					t.Errorf("replay: exit %d, want %d naming %s\n%s", r2.code, cli.ExitFailures, tc.failure, r2.stderr)
				}
			}
		})
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
