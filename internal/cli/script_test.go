package cli

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain makes the test binary also the minio-to-fhir command of the
// scripts, with Run as its main, and "exits", which runs it and checks
// its exit code.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"minio-to-fhir": func() { os.Exit(scriptMain(os.Args[1:])) },
		"exits":         exitsMain,
	})
}

// scriptMain is cmd/minio-to-fhir's main.
func scriptMain(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, args, os.Stdout, os.Stderr)
}

// exitsMain is "exits CODE minio-to-fhir ARGS...": it runs the command
// and succeeds when it exits with CODE.
func exitsMain() {
	if len(os.Args) < 3 || os.Args[2] != "minio-to-fhir" {
		fmt.Fprintln(os.Stderr, "usage: exits CODE minio-to-fhir [args...]")
		os.Exit(2)
	}
	want, err := strconv.Atoi(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "exits: %v\n", err)
		os.Exit(2)
	}
	if got := scriptMain(os.Args[3:]); got != want {
		fmt.Fprintf(os.Stderr, "exits: exit code %d, want %d\n", got, want)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestScripts runs testdata/script/*.txtar: the command line as users
// meet it, against fake servers on 127.0.0.1.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                "../../testdata/script",
		RequireUniqueNames: true,
		UpdateScripts:      *update,
		Setup:              scriptSetup,
		Cmds:               map[string]func(*testscript.TestScript, bool, []string){"fhir": cmdFHIR, "s3": cmdS3, "closedport": cmdClosedPort},
	})
}

type fakesKey struct{}

// fakes are the servers a script started.
type fakes struct{ fhir *fhirFake }

func scriptSetup(e *testscript.Env) error {
	// Checkpoints go below the work folder, not to the real home.
	e.Setenv("XDG_STATE_HOME", e.WorkDir+"/state")
	e.Setenv("HOME", e.WorkDir+"/home")
	// Under -race every command would sleep 1s at exit (the race
	// runtime's default atexit_sleep_ms).
	e.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	e.Values[fakesKey{}] = &fakes{}
	return nil
}

// startServer serves h on 127.0.0.1 until the script ends.
func startServer(ts *testscript.TestScript, h http.Handler) *httptest.Server {
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	ts.Defer(srv.Close)
	return srv
}

// cmdFHIR drives the fake FHIR server:
//
//	fhir start [USER PASSWORD]  start it (demanding Basic credentials) and set FHIR_URL
//	fhir hold                   Bundles wait from now on
//	fhir await N                wait until N Bundles arrived (10s at most)
//	fhir release [DELAY]        let the held Bundles through (after DELAY)
//	fhir requests               print one line per Bundle received
//	fhir entries                print one line per entry received: method, URL, resource
func cmdFHIR(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: fhir start|hold|await N|release|requests|entries")
	}
	fk := ts.Value(fakesKey{}).(*fakes)
	if args[0] != "start" && fk.fhir == nil {
		ts.Fatalf("fhir: not started")
	}
	f := fk.fhir
	switch args[0] {
	case "start":
		f = newFHIRFake()
		if len(args) == 3 {
			f.user, f.password = args[1], args[2]
		}
		fk.fhir = f
		srv := startServer(ts, f)
		ts.Defer(func() { f.release() }) // before srv.Close: held handlers end
		ts.Setenv("FHIR_URL", srv.URL+"/fhir")
	case "hold":
		f.mu.Lock()
		f.hold = make(chan struct{})
		f.mu.Unlock()
	case "await":
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		timeout := time.After(10 * time.Second)
		for range n {
			select {
			case <-f.arrived:
			case <-timeout:
				ts.Fatalf("fhir await: fewer than %d Bundles in 10s", n)
			}
		}
	case "release":
		if len(args) == 2 {
			d, err := time.ParseDuration(args[1])
			ts.Check(err)
			time.Sleep(d)
		}
		f.release()
	case "requests":
		out := ts.Stdout() // set even when nothing came
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, r := range f.requests {
			fmt.Fprintln(out, r)
		}
	case "entries":
		out := ts.Stdout()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, e := range f.entries {
			fmt.Fprintln(out, e)
		}
	default:
		ts.Fatalf("fhir: unknown %q", args[0])
	}
}

func (f *fhirFake) release() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hold != nil {
		close(f.hold)
		f.hold = nil
	}
}

// cmdS3 starts a fake S3 server with bucket "fhir" holding the files under
// the folder DIR, and sets MINIO_ENDPOINT to it: "s3 start DIR".
func cmdS3(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[0] != "start" {
		ts.Fatalf("usage: s3 start DIR")
	}
	srv := startServer(ts, &s3Fake{bucket: "fhir", dir: ts.MkAbs(args[1]), modTime: time.Date(2026, 11, 30, 9, 15, 0, 0, time.UTC)})
	ts.Setenv("MINIO_ENDPOINT", strings.TrimPrefix(srv.URL, "http://"))
}

// cmdClosedPort sets the variable NAME to 127.0.0.1:PORT, a port nothing
// listens on: "closedport NAME".
func cmdClosedPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: closedport NAME")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := l.Addr().String()
	ts.Check(l.Close())
	ts.Setenv(args[0], addr)
}
