//go:build e2e

package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestWorkDirFull plans into a work directory on a 32 KiB file system
// (a tmpfs the test mounts: it needs root, as CI is): the upload stops
// with the full disk named and a hint, before sending anything. With room,
// the same command then loads everything.
func TestWorkDirFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Fatal("this test mounts a small tmpfs: run it as root (scripts/test in CI is)")
	}
	bed := testbed.Default(t)
	dir, m := mimicData(t, 5)
	small := filepath.Join(t.TempDir(), "small")
	must(t, os.Mkdir(small, 0o700))
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=32k", "tmpfs", small).CombinedOutput(); err != nil {
		t.Fatalf("mount a tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", small).Run() })
	tmp := t.TempDir()
	args := []string{"upload", "-i", dir, "--failure-log", filepath.Join(tmp, "f.log"), "--report", filepath.Join(tmp, "report.json")}
	settings := fhirSettings(bed.FHIRBaseURL)
	settings["WORK_DIR"] = small

	r := run(t, settings, args...)
	if r.code != cli.ExitFatal {
		t.Fatalf("exit %d, want %d with a full work directory\n%s\n%s", r.code, cli.ExitFatal, r.stdout, r.stderr)
	}
	for _, want := range []string{"no space left on device", "minio-to-fhir: hint: the disk of the work directory"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "Starting upload") {
		t.Errorf("the upload started with a full work directory:\n%s", r.stdout)
	}

	settings["WORK_DIR"] = tmp
	r = run(t, settings, args...)
	if r.code != cli.ExitOK {
		t.Fatalf("with room: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	checkAllLanded(t, server{base: bed.FHIRBaseURL}, dir, m)
}
