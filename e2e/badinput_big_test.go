//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestBadInputHugeLine: a 100 MB line between two good ones is named with
// its line and logged whole; the good lines land. The line breaks JSON
// near its start, so that the test spends its time on reading, sending
// and logging 100 MB rather than on parsing it three times under -race.
func TestBadInputHugeLine(t *testing.T) {
	bed := testbed.Default(t)
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "in")
	must(t, os.Mkdir(dir, 0o755))
	id := randomID(t)
	f, err := os.Create(filepath.Join(dir, "Observation.ndjson"))
	must(t, err)
	w := bufio.NewWriterSize(f, 1<<20)
	obs := func(n string) string {
		return `{"resourceType":"Observation","id":"` + id + `-` + n + `","status":"final","code":{"text":"ok"}}` + "\n"
	}
	w.WriteString(obs("before"))
	w.WriteString(`{"resourceType":"Observation","id":"` + id + `-huge","status":"final","note":[`)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 100 {
		w.Write(chunk)
	}
	w.WriteString("\n" + obs("after"))
	must(t, w.Flush())
	must(t, f.Close())

	start := time.Now()
	r, flog, _ := badUpload(t, bed.FHIRBaseURL, dir, tmp)
	t.Logf("upload of a 100 MB line: exit %d after %v", r.code, time.Since(start).Round(time.Millisecond))
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	if stderrLine(r.stderr, "Observation.ndjson: line 2:", "not valid JSON") == "" {
		t.Errorf("no warning names line 2:\n%s", r.stderr)
	}
	// The log is read as lines: decoding 100 MB of JSON under -race is slow.
	data, err := os.ReadFile(flog)
	must(t, err)
	logLines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
	if len(logLines) != 1 || !bytes.HasPrefix(logLines[0], []byte(`{"file":"Observation.ndjson","line":2,`)) || len(logLines[0]) < 100<<20 {
		t.Errorf("the failure log does not hold line 2 whole: %d records, the first %.100s (%d bytes)", len(logLines), logLines[0], len(logLines[0]))
	}
	got := (server{base: bed.FHIRBaseURL}).versions(t, "Observation", []string{id + "-before", id + "-after", id + "-huge"})
	if got[id+"-before"] != "1" || got[id+"-after"] != "1" || got[id+"-huge"] != "" {
		t.Errorf("on the server: %v, want the lines before and after at version 1, not the huge one", got)
	}
}

// TestBadInputUnreadable: a file and a folder without read permission are
// named with the reason; the rest lands. Root reads everything, so as
// root the built binary runs as nobody.
func TestBadInputUnreadable(t *testing.T) {
	bed := testbed.Default(t)
	tmp, err := os.MkdirTemp("", "badinput-perm-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(tmp) })
	must(t, os.Chmod(tmp, 0o755))
	dir := filepath.Join(tmp, "in")
	out := filepath.Join(tmp, "out")
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Mkdir(out, 0o777))
	must(t, os.Chmod(out, 0o777))
	org, pat := randomID(t), randomID(t)
	must(t, os.WriteFile(filepath.Join(dir, "Organization.ndjson"), []byte(`{"resourceType":"Organization","id":"`+org+`"}`+"\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(`{"resourceType":"Patient","id":"`+pat+`"}`+"\n"), 0o644))
	must(t, os.Mkdir(filepath.Join(dir, "locked"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "locked", "Practitioner.ndjson"), []byte(`{"resourceType":"Practitioner","id":"`+pat+`"}`+"\n"), 0o644))
	must(t, os.Chmod(filepath.Join(dir, "Patient.ndjson"), 0))
	must(t, os.Chmod(filepath.Join(dir, "locked"), 0))

	args := []string{"upload", "-i", dir, "--failure-log", filepath.Join(out, "failures.log"), "--report", filepath.Join(out, "report.json"),
		"--checkpoint-dir", filepath.Join(out, "ckpt")}
	settings := canarySettings(out)
	settings["FHIR_BASE_URL"] = bed.FHIRBaseURL
	var r result
	if os.Geteuid() != 0 {
		r = run(t, settings, args...)
	} else {
		r = runAsNobody(t, tmp, settings, args...)
	}
	assertNoCanary(t, r, out)
	if r.code != cli.ExitFailures {
		t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	for _, name := range []string{"Patient.ndjson", "locked"} {
		if stderrLine(r.stderr, name, "permission denied") == "" {
			t.Errorf("no message names %s as unreadable:\n%s", name, r.stderr)
		}
	}
	if got := (server{base: bed.FHIRBaseURL}).versions(t, "Organization", []string{org}); got[org] != "1" {
		t.Errorf("the readable file did not land: %v", got)
	}
}

// runAsNobody builds the command and runs it as user nobody, with only
// the given settings in its environment.
func runAsNobody(t *testing.T, dir string, settings map[string]string, args ...string) result {
	t.Helper()
	root, err := testbed.RepoRoot()
	must(t, err)
	bin := filepath.Join(dir, "minio-to-fhir")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/minio-to-fhir")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + dir}
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run as nobody: %v", err)
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}
