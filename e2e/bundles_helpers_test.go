//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// syntheaBundles returns the root of Synthea 3.3.0's default output
// (format "transaction") or its collection variant ("collection") of n
// patients with the given seed, made by scripts/synthea -f (once: it is
// kept in the cache). fhir/ holds the Bundles, metadata/ a file that is
// not FHIR. Do not write to it.
func syntheaBundles(t *testing.T, format string, patients, seed int) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "synthea"), "-f", format, "-p", strconv.Itoa(patients), "-s", strconv.Itoa(seed))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/synthea -f %s: %v\n%s", format, err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	if files, _ := filepath.Glob(filepath.Join(dir, "fhir", "*.json")); len(files) < 3 {
		t.Fatalf("scripts/synthea printed %q, which holds %d Bundle files", dir, len(files))
	}
	return dir
}

// bundleEntries reads every fhir/*.json Bundle of dir plainly (whole, as
// a test may) and returns type -> ids of the resources of its entries,
// the number of entries, and the files' Bundle types.
func bundleEntries(t *testing.T, dir string) (map[string][]string, int, map[string]int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "fhir", "*.json"))
	must(t, err)
	seen := map[string]map[string]bool{}
	kinds := map[string]int{}
	entries := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		must(t, err)
		var b struct {
			Type  string
			Entry []struct {
				Resource struct{ ResourceType, ID string }
			}
		}
		must(t, json.Unmarshal(data, &b))
		kinds[b.Type]++
		for _, e := range b.Entry {
			entries++
			if seen[e.Resource.ResourceType] == nil {
				seen[e.Resource.ResourceType] = map[string]bool{}
			}
			seen[e.Resource.ResourceType][e.Resource.ID] = true
		}
	}
	out := map[string][]string{}
	for typ, ids := range seen {
		for id := range ids {
			out[typ] = append(out[typ], id)
		}
		sort.Strings(out[typ])
	}
	return out, entries, kinds
}

// allVersions returns "Type/id" -> versionId of every id given that is
// on the server.
func allVersions(t *testing.T, s server, ids map[string][]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for typ, list := range ids {
		for id, v := range s.versions(t, typ, list) {
			out[typ+"/"+id] = v
		}
	}
	return out
}

// bundleFailures reads a failure log as "file entry N" (or "file:N")
// -> record.
func bundleFailures(t *testing.T, path string) map[string]transfer.Failure {
	t.Helper()
	out := map[string]transfer.Failure{}
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return out
	}
	must(t, err)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var rec transfer.Failure
		must(t, json.Unmarshal(sc.Bytes(), &rec))
		key := fmt.Sprintf("%s:%d", rec.File, rec.Line)
		if rec.Entry > 0 {
			key = fmt.Sprintf("%s entry %d", rec.File, rec.Entry)
		}
		out[key] = rec
	}
	must(t, sc.Err())
	return out
}
