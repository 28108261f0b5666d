package testbed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SQL runs query on the bed's PostgreSQL database (FHIRDB) with psql and
// returns what it prints: the rows unaligned, one a line, columns split by
// '|'. vars are psql variables "name=value", which the query uses as
// :'name' (a quoted literal), so values need no quoting of their own.
func (b *Bed) SQL(ctx context.Context, query string, vars ...string) (string, error) {
	if b.FHIRDB == "" {
		return "", errors.New("this test bed has no PostgreSQL database (no FHIR_DB)")
	}
	args, password, err := psqlArgs(b.FHIRDB, vars)
	if err != nil {
		return "", err
	}
	psql, err := psqlPath()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, psql, args...)
	// The password goes in the environment, never on the command line.
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10")
	cmd.Stdin = strings.NewReader(query)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("psql: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(stdout.String()), nil
}

// Count runs a query that answers one number, such as select count(*),
// and fails the test when it cannot.
func (b *Bed) Count(t testing.TB, query string, vars ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := b.SQL(ctx, query, vars...)
	if err != nil {
		t.Fatalf("count in PostgreSQL: %v", err)
	}
	n, err := strconv.Atoi(out)
	if err != nil {
		t.Fatalf("count in PostgreSQL: the answer %q is not one number", out)
	}
	return n
}

// ResourceCounts counts, per resource type, the resources in HAPI's
// hfj_resource table whose id starts with prefix and that are not deleted.
// HAPI keeps other rows in it too (deleted resources, other tests' data).
func (b *Bed) ResourceCounts(t testing.TB, prefix string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := b.SQL(ctx, `select res_type, count(*) from hfj_resource
where res_deleted_at is null and left(fhir_id, length(:'prefix')) = :'prefix'
group by res_type;`, "prefix="+prefix)
	if err != nil {
		t.Fatalf("count resources in PostgreSQL: %v", err)
	}
	counts, err := parseCounts(out)
	if err != nil {
		t.Fatalf("count resources in PostgreSQL: %v", err)
	}
	return counts
}

// parseCounts reads psql's unaligned "name|number" rows.
func parseCounts(out string) (map[string]int, error) {
	counts := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		name, num, ok := strings.Cut(line, "|")
		n, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("unexpected row %q", line)
		}
		counts[name] = n
	}
	return counts, nil
}

// psqlArgs gives psql's arguments for the database URL and variables, and
// the URL's password apart.
func psqlArgs(dbURL string, vars []string) (args []string, password string, err error) {
	u, err := url.Parse(dbURL)
	if err != nil || (u.Scheme != "postgresql" && u.Scheme != "postgres") || u.Host == "" {
		return nil, "", errors.New("FHIR_DB is not a postgresql:// URL")
	}
	if u.User != nil {
		password, _ = u.User.Password()
		u.User = url.User(u.User.Username())
	}
	args = []string{"-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", u.String()}
	for _, v := range vars {
		if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
			return nil, "", fmt.Errorf("psql variable %q is not name=value", v)
		}
		args = append(args, "-v", v)
	}
	return args, password, nil
}

// psqlPath finds psql: on the PATH, or in the newest PostgreSQL of
// Debian's packages.
func psqlPath() (string, error) {
	if p, err := exec.LookPath("psql"); err == nil {
		return p, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/psql")
	if len(found) == 0 {
		return "", errors.New("psql not found: install PostgreSQL's client (apt-get install postgresql-client)")
	}
	// The newest major version: compare the numbers, not the strings.
	sort.Slice(found, func(i, j int) bool { return pgMajor(found[i]) > pgMajor(found[j]) })
	return found[0], nil
}

func pgMajor(path string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(path))))
	return n
}
