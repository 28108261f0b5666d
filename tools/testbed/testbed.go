// Package testbed gives integration tests the endpoints of the project's
// test bed: a real HAPI FHIR server and a real MinIO on 127.0.0.1, started
// by scripts/testbed, and beds where HAPI runs on a real PostgreSQL, with
// one node or two. Tests fail, never skip, when it cannot be had.
package testbed

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Bed is one running test bed.
type Bed struct {
	// FHIRBaseURL is the HAPI base URL; with several nodes, their base
	// URLs joined by commas, as FHIR_BASE_URL takes them.
	FHIRBaseURL string
	// Nodes are the base URLs of the HAPI nodes, one for most beds.
	Nodes          []string
	MinIOEndpoint  string
	MinIOAccessKey string
	MinIOSecretKey string
	// FHIRDB is the postgresql:// URL of the database under HAPI (psql
	// takes it), set for the PostgreSQL beds.
	FHIRDB string
	// AuthUser and AuthPassword are set for a HAPI server with Basic auth on.
	AuthUser, AuthPassword string
	// State is the bed's state folder (pid files, logs, data).
	State string
}

// Settings say which test bed to start. The zero value is the default bed:
// HAPI with its shipped defaults and MinIO.
type Settings struct {
	Name string   // a short name; each name is its own bed, on its own ports
	Env  []string // extra settings for scripts/testbed, e.g. HAPI_AUTH_USER=u
	// Services is "hapi minio" by default.
	Services string
}

var (
	mu   sync.Mutex
	beds = map[string]*Bed{}
	errs = map[string]error{}
)

// Default returns the default test bed: HAPI with its shipped defaults and
// MinIO, on ports 18080 and 19000. scripts/testbed starts it unless it runs
// already (scripts/test starts it before the tests). The environment's
// FHIR_BASE_URL is never used, so that tests cannot write to a real server.
// With E2E_BED=postgres it is the PostgreSQL bed (see Postgres).
func Default(t testing.TB) *Bed {
	t.Helper()
	if OnPostgres() {
		return Postgres(t)
	}
	return Start(t, Settings{Name: "default"})
}

// OnPostgres tells whether E2E_BED=postgres asks the tests to run on the
// PostgreSQL bed instead of H2.
func OnPostgres() bool { return os.Getenv("E2E_BED") == "postgres" }

// PostgresSettings are those of the PostgreSQL bed: one HAPI on a real
// PostgreSQL, and MinIO, on ports 18090, 19010 and 15442. PostgreSQL keeps
// every commit it acknowledged, so HAPI may be killed and started again.
func PostgresSettings() Settings {
	return Settings{Name: "postgres", Env: []string{"HAPI_DB=postgres"}}
}

// Postgres returns the PostgreSQL bed (see PostgresSettings).
func Postgres(t testing.TB) *Bed {
	t.Helper()
	return Start(t, PostgresSettings())
}

// TwoNodesSettings are those of the two-node bed: two HAPI JVMs on ports
// 18092 and 18093 sharing one PostgreSQL on 15444, no MinIO.
func TwoNodesSettings() Settings {
	return Settings{Name: "nodes2", Services: "hapi", Env: []string{"HAPI_DB=postgres", "HAPI_NODES=2"}}
}

// TwoNodes returns the two-node bed (see TwoNodesSettings).
func TwoNodes(t testing.TB) *Bed {
	t.Helper()
	return Start(t, TwoNodesSettings())
}

// WithAuth returns a HAPI-only test bed with HTTP Basic auth switched on.
func WithAuth(t testing.TB) *Bed {
	t.Helper()
	b := Start(t, Settings{
		Name:     "auth",
		Services: "hapi",
		Env:      []string{"HAPI_AUTH_USER=tester", "HAPI_AUTH_PASSWORD=s3cret-testbed-pass"},
	})
	c := *b
	c.AuthUser, c.AuthPassword = "tester", "s3cret-testbed-pass"
	return &c
}

// ports gives each named bed its own ports (HAPI, MinIO and, for the
// PostgreSQL beds, PostgreSQL), away from the defaults a developer's demo
// uses. A bed of N HAPI nodes takes N consecutive ports from its first.
var ports = map[string][3]int{
	"default":  {18080, 19000},
	"auth":     {18081, 19001},
	"file":     {18082, 19002},
	"custom":   {18083, 19003},
	"postgres": {18090, 19010, 15442},
	"nodes2":   {18092, 19012, 15444},
}

// bedPorts returns the ports of the bed named name, each moved by
// TESTBED_PORT_OFFSET when it is set, so that two checkouts can run their
// end-to-end tests side by side on one machine.
func bedPorts(name string) ([3]int, bool) {
	p, ok := ports[name]
	if !ok {
		return p, false
	}
	off, _ := strconv.Atoi(os.Getenv("TESTBED_PORT_OFFSET"))
	for i := range p {
		if p[i] != 0 {
			p[i] += off
		}
	}
	return p, true
}

// Start brings up (or finds running) the bed named s.Name and returns its
// endpoints. The bed stays up for later tests; scripts/test stops it.
func Start(t testing.TB, s Settings) *Bed {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if b, ok := beds[s.Name]; ok {
		return b
	}
	if err, ok := errs[s.Name]; ok {
		t.Fatalf("test bed %q: %v", s.Name, err)
	}
	b, err := start(s)
	if err != nil {
		errs[s.Name] = err
		t.Fatalf("test bed %q: %v", s.Name, err)
	}
	beds[s.Name] = b
	return b
}

// Restart runs scripts/testbed up again for the bed s names, which starts
// what of it no longer runs (say, a HAPI node a test killed) with the same
// settings, and waits until it is ready.
func Restart(t testing.TB, s Settings) {
	t.Helper()
	start := time.Now()
	if _, err := up(s); err != nil {
		t.Fatalf("restart test bed %q: %v", s.Name, err)
	}
	t.Logf("test bed %q up again after %v", s.Name, time.Since(start).Round(time.Millisecond))
}

// StateDir returns the state folder of the bed s names, where
// scripts/testbed keeps its pid files (hapi.pid, hapi-2.pid, ...,
// minio.pid, pg.pid) and logs.
func StateDir(s Settings) (string, error) {
	p, ok := bedPorts(s.Name)
	if !ok {
		return "", fmt.Errorf("no ports assigned to test bed %q", s.Name)
	}
	root := os.Getenv("TESTBED_STATE_ROOT")
	if root == "" {
		repo, err := RepoRoot()
		if err != nil {
			return "", err
		}
		root = filepath.Join(repo, ".testbed", "test")
	}
	return filepath.Join(root, fmt.Sprintf("bed-%d-%d", p[0], p[1])), nil
}

func start(s Settings) (*Bed, error) {
	vars, err := up(s)
	if err != nil {
		return nil, err
	}
	state, err := StateDir(s)
	if err != nil {
		return nil, err
	}
	b := &Bed{
		FHIRBaseURL:    vars["FHIR_BASE_URL"],
		MinIOEndpoint:  vars["MINIO_ENDPOINT"],
		MinIOAccessKey: vars["MINIO_ACCESS_KEY"],
		MinIOSecretKey: vars["MINIO_SECRET_KEY"],
		FHIRDB:         vars["FHIR_DB"],
		State:          state,
	}
	if b.FHIRBaseURL != "" {
		b.Nodes = strings.Split(b.FHIRBaseURL, ",")
	}
	return b, nil
}

// up runs scripts/testbed up for the bed s names and returns what it exports.
func up(s Settings) (map[string]string, error) {
	p, ok := bedPorts(s.Name)
	if !ok {
		return nil, fmt.Errorf("no ports assigned to test bed %q", s.Name)
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "testbed"), "up")
	// The bed's settings are exactly the ones given: a HAPI_*, MINIO_* or
	// PG_* variable of the caller's shell must not change what the tests
	// run on.
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "HAPI_") && !strings.HasPrefix(name, "MINIO_") && !strings.HasPrefix(name, "PG_") &&
			name != "TESTBED_SERVICES" {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, fmt.Sprintf("HAPI_PORT=%d", p[0]), fmt.Sprintf("MINIO_PORT=%d", p[1]))
	if p[2] != 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("PG_PORT=%d", p[2]))
	}
	if os.Getenv("TESTBED_STATE_ROOT") == "" {
		// The same place scripts/test uses, so both find the same beds.
		cmd.Env = append(cmd.Env, "TESTBED_STATE_ROOT="+filepath.Join(root, ".testbed", "test"))
	}
	if s.Services != "" {
		cmd.Env = append(cmd.Env, "TESTBED_SERVICES="+s.Services)
	}
	cmd.Env = append(cmd.Env, s.Env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("scripts/testbed up: %v\n%s", err, stderr.String())
	}
	return parseExports(stdout.String()), nil
}

// parseExports reads the "export NAME='value'" lines scripts/testbed prints.
func parseExports(out string) map[string]string {
	vars := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		vars[name] = strings.Trim(value, "'")
	}
	return vars
}

// RepoRoot returns the folder holding go.mod, from the test's working folder up.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working folder")
		}
		dir = parent
	}
}
