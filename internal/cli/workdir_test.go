package cli

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bundles returns how many Bundles the fake received.
func (f *fhirFake) bundles() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// writeGood writes n Patients that the fake server creates.
func writeGood(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"resourceType":"Patient","id":"p%d"}`+"\n", i)
	}
	if err := os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestWorkDirUnusable: a work directory that cannot be made is refused
// before anything is read or sent, with its name and a hint, by upload
// and verify alike.
func TestWorkDirUnusable(t *testing.T) {
	fake := newFHIRFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := writeGood(t, 3)
	file := filepath.Join(t.TempDir(), "afile")
	if err := os.WriteFile(file, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(file, "work")
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"upload --work-dir", []string{"upload", "-i", dir, "--work-dir", bad}, nil},
		{"upload WORK_DIR", []string{"upload", "-i", dir}, map[string]string{"WORK_DIR": bad}},
		{"verify --work-dir", []string{"verify", "-i", dir, "--work-dir", bad}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append(tc.args, "--fhir-url", srv.URL+"/fhir", "--checkpoint-dir", t.TempDir())
			if tc.args[0] == "verify" {
				args = append(tc.args, "--fhir-url", srv.URL+"/fhir")
			}
			code := RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Lookup: func(k string) (string, bool) {
				v, ok := tc.env[k]
				return v, ok
			}})
			if code != ExitFatal {
				t.Errorf("exit %d, want %d", code, ExitFatal)
			}
			for _, want := range []string{"minio-to-fhir: error: work directory " + bad, "not a directory", "minio-to-fhir: hint: set --work-dir (WORK_DIR)"} {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("stderr lacks %q:\n%s", want, errb.String())
				}
			}
			if fake.bundles() != 0 {
				t.Errorf("%d Bundles sent", fake.bundles())
			}
		})
	}
}

// TestDamagedCheckpoint: an upload stopped after some Bundles leaves a
// checkpoint; damaged, the rerun stops with its name and line and sends
// nothing; --fresh then sends everything.
func TestDamagedCheckpoint(t *testing.T) {
	fake := newFHIRFake()
	srv := httptest.NewServer(fake)
	defer srv.Close()
	dir := writeGood(t, 6)
	ckpt := t.TempDir()
	upload := func(ctx context.Context, extra ...string) (int, string) {
		var out, errb bytes.Buffer
		args := append([]string{"upload", "-i", dir, "-s", "1", "-c", "1", "--fhir-url", srv.URL + "/fhir",
			"--checkpoint-dir", ckpt, "--failure-log", filepath.Join(t.TempDir(), "f.log")}, extra...)
		code := RunEnv(ctx, args, Env{Stdout: &out, Stderr: &errb, Lookup: func(string) (string, bool) { return "", false }})
		return code, errb.String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for range 3 {
			<-fake.arrived
		}
		cancel()
	}()
	if code, stderr := upload(ctx); code != ExitInterrupted {
		t.Fatalf("first upload: exit %d, want %d (stopped)\n%s", code, ExitInterrupted, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(ckpt, "*.ckpt"))
	if len(files) != 1 {
		t.Fatalf("%d checkpoints after a stopped upload, want 1", len(files))
	}
	data, err := os.ReadFile(files[0])
	if err != nil || bytes.Count(data, []byte("\n")) == 0 {
		t.Fatalf("checkpoint %s: %q, %v", files[0], data, err)
	}
	if err := os.WriteFile(files[0], append([]byte("{damaged\n"), data...), 0o600); err != nil {
		t.Fatal(err)
	}
	sent := fake.bundles()
	code, stderr := upload(context.Background())
	if code != ExitFatal || !strings.Contains(stderr, "checkpoint "+files[0]+": line 1 is damaged; --fresh starts over") {
		t.Errorf("rerun on a damaged checkpoint: exit %d, want %d and a message naming it\n%s", code, ExitFatal, stderr)
	}
	if fake.bundles() != sent {
		t.Errorf("the rerun on a damaged checkpoint sent %d Bundles", fake.bundles()-sent)
	}
	if code, stderr := upload(context.Background(), "--fresh"); code != ExitOK {
		t.Fatalf("--fresh: exit %d\n%s", code, stderr)
	}
	if got := fake.bundles() - sent; got != 6 {
		t.Errorf("--fresh sent %d Bundles of 1, want 6", got)
	}
}
