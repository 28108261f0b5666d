//go:build e2e

package e2e

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// secretCase is one run of a command with secrets set; every file it may
// write is under tmp.
type secretCase struct {
	name     string
	settings map[string]string
	args     []string
	want     int    // exit code; -1 for any
	wantText string // in stdout or stderr
}

// runSecretCases runs each case and checks that none of secrets (nor the
// canaries) shows in the output or in a file under its folder.
func runSecretCases(t *testing.T, secrets []string, cases []secretCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			settings := map[string]string{"XDG_STATE_HOME": filepath.Join(tmp, "state")}
			for k, v := range tc.settings {
				settings[k] = v
			}
			r := run(t, settings, args...)
			if tc.want >= 0 && r.code != tc.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, r.stdout, r.stderr)
			}
			if tc.wantText != "" && !strings.Contains(r.stdout+r.stderr, tc.wantText) {
				t.Errorf("the output does not say %q:\nstdout:\n%s\nstderr:\n%s", tc.wantText, r.stdout, r.stderr)
			}
			// The HTML report and its series must be there, or the check
			// that no secret is in them would be vacuous.
			for i, a := range args {
				if a == "--report-html" && i+1 < len(args) && (r.code == cli.ExitOK || strings.Contains(r.stdout, "Starting upload")) {
					files := []string{args[i+1]}
					if args[0] == "upload" {
						files = append(files, strings.TrimSuffix(args[i+1], ".html")+".series.json")
					}
					for _, f := range files {
						if _, err := os.Stat(f); err != nil {
							t.Errorf("the run wrote no %s: %v", f, err)
						}
					}
				}
			}
			assertNoSecret(t, append(canaryStrings(), secrets...), r, tmp)
		})
	}
}

// oneOrganization writes a folder with one Organization and returns it.
func oneOrganization(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "Organization.ndjson"),
		[]byte(fmt.Sprintf(`{"resourceType":"Organization","id":"%s","name":"secrets"}`+"\n", randomID(t))), 0o644))
	return dir
}

func with(base map[string]string, kv ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// freePort returns a port on 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestSecretsFHIR runs upload with canary credentials through success and
// the error paths of the FHIR side, with -v on, and checks that no secret
// shows anywhere; the same for a base URL with user info.
func TestSecretsFHIR(t *testing.T) {
	bed := testbed.Default(t)
	auth := testbed.WithAuth(t)
	dir := oneOrganization(t)
	up := func(extra ...string) []string {
		return append([]string{"upload", "-i", dir, "-v", "--failure-log", "$TMP/f.log", "--report", "$TMP/r.json",
			"--checkpoint-dir", "$TMP/ckpt", "--timeout", "5s", "--retries", "2"}, extra...)
	}
	basic := map[string]string{"FHIR_AUTH_ENABLED": "true", "FHIR_USERNAME": canaryUser, "FHIR_PASSWORD": canaryPassword,
		"FHIR_TOKEN": canaryToken, "MINIO_SECRET_KEY": canaryMinIO}
	token := map[string]string{"FHIR_TOKEN": canaryToken, "FHIR_PASSWORD": canaryPassword, "MINIO_SECRET_KEY": canaryMinIO}

	// A proxy that refuses: 401 on the server check, 403 on a batch.
	u, err := url.Parse(bed.FHIRBaseURL)
	must(t, err)
	deny, err := fp.Start(u.Host)
	must(t, err)
	t.Cleanup(func() { deny.Close() })
	deny.Always(fp.Method("GET", "/fhir/metadata"), fp.Fault{Kind: fp.Status, Code: 401})
	forbid, err := fp.Start(u.Host)
	must(t, err)
	t.Cleanup(func() { forbid.Close() })
	forbid.Always(batches(), fp.Fault{Kind: fp.Status, Code: 403})
	down := freePort(t)
	userURL := func(host, path string) string { return "http://user:" + canaryURLPass + "@" + host + path }

	runSecretCases(t, []string{auth.AuthPassword}, []secretCase{
		{"basic, success", with(basic, "FHIR_BASE_URL", bed.FHIRBaseURL), up(), cli.ExitOK, "Failed: 0"},
		{"basic, the default HTML report", with(basic, "FHIR_BASE_URL", bed.FHIRBaseURL), up(), cli.ExitOK, "upload_report.html (time series: "},
		{"basic, --report-html", with(basic, "FHIR_BASE_URL", bed.FHIRBaseURL), up("--report-html", "$TMP/r.html", "--series-interval", "100ms"), cli.ExitOK, "Failed: 0"},
		{"token, --json --report-html", with(token, "FHIR_BASE_URL", bed.FHIRBaseURL), up("--json", "--report-html", "$TMP/r.html"), cli.ExitOK, `"series"`},
		{"real password, --report-html", with(basic, "FHIR_BASE_URL", auth.FHIRBaseURL, "FHIR_USERNAME", auth.AuthUser, "FHIR_PASSWORD", auth.AuthPassword), up("--report-html", "$TMP/r.html"), cli.ExitOK, "Failed: 0"},
		{"URL with user info, --report-html", with(nil, "FHIR_BASE_URL", userURL(u.Host, "/fhir")), up("--report-html", "$TMP/r.html"), cli.ExitOK, "Failed: 0"},
		{"verify, --report-html", with(basic, "FHIR_BASE_URL", userURL(u.Host, "/fhir")), []string{"verify", "-i", dir, "--report-html", "$TMP/v.html"}, cli.ExitOK, "Result: complete"},
		{"token refused on a batch, --report-html", with(token, "FHIR_BASE_URL", "http://"+forbid.Addr()+"/fhir"), up("--report-html", "$TMP/r.html"), cli.ExitAuth, "403"},
		{"token, success", with(token, "FHIR_BASE_URL", bed.FHIRBaseURL), up(), cli.ExitOK, "Failed: 0"},
		{"token, --json", with(token, "FHIR_BASE_URL", bed.FHIRBaseURL), up("--json"), cli.ExitOK, `"failed": 0`},
		{"token, --dry-run", with(token, "FHIR_BASE_URL", bed.FHIRBaseURL), up("--dry-run"), cli.ExitOK, "Dry run"},
		{"real password, success", with(basic, "FHIR_BASE_URL", auth.FHIRBaseURL, "FHIR_USERNAME", auth.AuthUser, "FHIR_PASSWORD", auth.AuthPassword), up(), cli.ExitOK, "Failed: 0"},
		{"wrong password", with(basic, "FHIR_BASE_URL", auth.FHIRBaseURL), up(), cli.ExitAuth, "not authorized"},
		{"token refused at the check", with(token, "FHIR_BASE_URL", "http://"+deny.Addr()+"/fhir"), up(), cli.ExitAuth, "not authorized"},
		{"token refused on a batch", with(token, "FHIR_BASE_URL", "http://"+forbid.Addr()+"/fhir"), up(), cli.ExitAuth, "403"},
		{"server down", with(basic, "FHIR_BASE_URL", "http://"+down+"/fhir"), up(), cli.ExitFatal, "connection refused"},
		{"URL with user info, success", with(nil, "FHIR_BASE_URL", userURL(u.Host, "/fhir")), up(), cli.ExitOK, "Failed: 0"},
		{"URL with user info, flag", nil, up("--fhir-url", userURL(u.Host, "/fhir")), cli.ExitOK, "Failed: 0"},
		{"URL with user info, down", with(nil, "FHIR_BASE_URL", userURL(down, "/fhir")), up(), cli.ExitFatal, "connection refused"},
		{"URL with user info, not FHIR", with(nil, "FHIR_BASE_URL", userURL(u.Host, "/nofhir")), up(), cli.ExitFatal, "error:"},
		{"URL with user info, refused", with(nil, "FHIR_BASE_URL", userURL(deny.Addr(), "/fhir")), up(), cli.ExitAuth, "not authorized"},
		{"URL with user info, bad port", with(nil, "FHIR_BASE_URL", "http://user:"+canaryURLPass+"@127.0.0.1:port/fhir"), up(), cli.ExitUsage, "FHIR_BASE_URL"},
		{"URL with user info, not http", with(nil, "FHIR_BASE_URL", "ftp://user:"+canaryURLPass+"@127.0.0.1/fhir"), up(), cli.ExitUsage, "FHIR_BASE_URL"},
		{"URL with user info, no scheme", with(nil, "FHIR_BASE_URL", "user:"+canaryURLPass+"@127.0.0.1:8080/fhir"), up(), cli.ExitUsage, "FHIR_BASE_URL"},
		{"help", basic, []string{"upload", "--help"}, cli.ExitOK, "Usage"},
		{"bad flag", basic, []string{"upload", "--no-such-flag"}, cli.ExitUsage, "no-such-flag"},
	})
}

// TestSecretsEnvFile: secrets in a .env file stay secret, also when the
// file cannot be parsed.
func TestSecretsEnvFile(t *testing.T) {
	bed := testbed.Default(t)
	dir := oneOrganization(t)
	envDir := t.TempDir()
	good := filepath.Join(envDir, "good.env")
	must(t, os.WriteFile(good, []byte("FHIR_BASE_URL="+bed.FHIRBaseURL+"\nFHIR_AUTH_ENABLED=true\nFHIR_USERNAME="+canaryUser+
		"\nFHIR_PASSWORD="+canaryPassword+"\nFHIR_TOKEN="+canaryToken+"\nMINIO_SECRET_KEY="+canaryMinIO+"\n"), 0o600))
	bad := filepath.Join(envDir, "bad.env")
	must(t, os.WriteFile(bad, []byte("FHIR_BASE_URL="+bed.FHIRBaseURL+"\nFHIR_PASSWORD=\""+canaryPassword+"\n"+canaryToken+" = = \"'\n"), 0o600))
	runSecretCases(t, nil, []secretCase{
		{"env file, success", nil, []string{"upload", "-i", dir, "--env-file", good, "--failure-log", "$TMP/f.log", "--checkpoint-dir", "$TMP/c", "-v"}, cli.ExitOK, "Failed: 0"},
		{"env file that does not parse", nil, []string{"upload", "-i", dir, "--env-file", bad, "--failure-log", "$TMP/f.log", "--checkpoint-dir", "$TMP/c"}, cli.ExitUsage, "env-file"},
		{"env file, list", nil, []string{"list", "--env-file", good, "--bucket", "nosuchbucket"}, cli.ExitFatal, "error:"},
	})
}

// TestSecretsMinIO runs list, download and upload from a bucket with the
// real MinIO secret (which must not show) and with canaries through the
// error paths, including an endpoint with user info.
func TestSecretsMinIO(t *testing.T) {
	bed := testbed.Default(t)
	d := makeDataset(t, 3, true)
	objects := map[string][]byte{}
	for file, data := range d.files {
		objects["export/"+file] = data
	}
	name := makeBucket(t, bed, objects)
	ok := minioSettings(bed)
	ok["FHIR_TOKEN"] = canaryToken
	wrong := with(ok, "MINIO_SECRET_KEY", canaryMinIO)
	cmds := func(bucket string) [][]string {
		return [][]string{
			{"list", "--bucket", bucket, "--prefix", "export", "--count"},
			{"download", "--bucket", bucket, "--prefix", "export", "-o", "$TMP/out"},
			{"upload", "-i", "s3://" + bucket + "/export", "-v", "--failure-log", "$TMP/f.log", "--report", "$TMP/r.json", "--checkpoint-dir", "$TMP/ckpt", "--report-html", "$TMP/r.html"},
		}
	}
	var cases []secretCase
	for _, c := range cmds(name) {
		cases = append(cases,
			secretCase{c[0] + ", success", ok, c, cli.ExitOK, ""},
			secretCase{c[0] + ", wrong secret", wrong, c, cli.ExitFatal, "MINIO_SECRET_KEY"},
			// Refused or ignored (the keys sign the requests): either way unseen.
			secretCase{c[0] + ", endpoint with user info", with(ok, "MINIO_ENDPOINT", "http://minio:"+canaryURLPass+"@"+bed.MinIOEndpoint), c, -1, ""},
			secretCase{c[0] + ", MinIO down", with(wrong, "MINIO_ENDPOINT", freePort(t)), c, cli.ExitFatal, "MINIO_ENDPOINT"},
		)
	}
	runSecretCases(t, []string{bed.MinIOSecretKey}, cases)
}
