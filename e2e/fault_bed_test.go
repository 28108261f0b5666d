//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// The "file" test bed (HAPI with its H2 database in files, and MinIO, on
// 18082 and 19002) is the one these tests kill and restart: its data
// survives a restart, and no other test uses it. With E2E_BED=postgres it
// is the PostgreSQL bed, whose database keeps every commit too.

// fileBedSettings start HAPI on a file database that writes each commit
// at once. H2's default write delay (up to a second) would lose commits
// HAPI has already acknowledged when the process is killed, and a
// resumed upload rightly trusts what the server acknowledged.
func fileBedSettings(t *testing.T) testbed.Settings {
	t.Helper()
	if testbed.OnPostgres() {
		return testbed.PostgresSettings()
	}
	s := testbed.Settings{Name: "file"}
	state, err := testbed.StateDir(s)
	must(t, err)
	db := filepath.Join(state, "hapi-db", "h2")
	s.Env = []string{"HAPI_DB=file",
		"HAPI_JAVA_OPTS=-Dspring.datasource.url=jdbc:h2:file:" + db + ";DB_CLOSE_ON_EXIT=FALSE;TRACE_LEVEL_FILE=0;WRITE_DELAY=0"}
	return s
}

func fileBed(t *testing.T) *testbed.Bed {
	t.Helper()
	return testbed.Start(t, fileBedSettings(t))
}

// fileBedState is the state folder of the file bed, where scripts/testbed
// keeps its pid files.
func fileBedState(t *testing.T) string {
	t.Helper()
	state, err := testbed.StateDir(fileBedSettings(t))
	must(t, err)
	return state
}

// killFileBed kills a service of the file bed ("hapi" or "minio") at
// once, as a crash would, and waits until it is gone. It may run on a
// goroutine of its own, so it returns its error.
func killFileBed(state, service string) error {
	data, err := os.ReadFile(filepath.Join(state, service+".pid"))
	if err != nil {
		return err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return fmt.Errorf("bad pid file for %s: %q", service, data)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s (pid %d): %w", service, pid, err)
	}
	for deadline := time.Now().Add(20 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s (pid %d) still runs 20 s after SIGKILL", service, pid)
		}
	}
	return nil
}

// killWhen kills a service of the file bed once cond holds (checked every
// 20 ms, for at most two minutes), then calls after (if not nil). Wait on
// the channel it returns.
func killWhen(t *testing.T, service string, cond func() bool, after func()) <-chan struct{} {
	t.Helper()
	state := fileBedState(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if cond() {
				if err := killFileBed(state, service); err != nil {
					t.Error(err)
				} else {
					t.Logf("killed %s", service)
				}
				if after != nil {
					after()
				}
				return
			}
		}
		t.Errorf("%s was never killed: the condition did not come true", service)
	}()
	return done
}

// restartFileBed starts what is not running of the file bed again, with
// the settings testbed.Start gave it, and waits until it is ready.
func restartFileBed(t *testing.T) {
	t.Helper()
	testbed.Restart(t, fileBedSettings(t))
}

// TestFaultHAPIKilled kills HAPI (file-backed H2) in the middle of an
// upload and starts it again: the run stops with a clear error, and the
// rerun resumes and completes, with what landed before the crash still
// there.
func TestFaultHAPIKilled(t *testing.T) {
	bed := fileBed(t)
	f := newFaultRun(t, bed, makeDataset(t, faultPatients, true), "-s", "5", "-c", "2", "--retries", "3", "--timeout", "10s")
	f.proxy.Always(batches(), faultproxy.Fault{Delay: 150 * time.Millisecond})
	killed := killWhen(t, "hapi", func() bool { return answered(f.proxy, batches()) >= 8 }, nil)
	r := f.upload()
	<-killed
	f.mustStopClearly(r, "")
	restartFileBed(t)
	f.finish(r)
	if !strings.Contains(f.lastStdout, "Resuming an interrupted upload") {
		t.Errorf("the rerun did not resume from the checkpoint:\n%s", f.lastStdout)
	}
}
