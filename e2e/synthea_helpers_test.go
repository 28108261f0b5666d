//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/verify"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// syntheaExport returns the folder of a Synthea 3.3.0 bulk export of n
// patients with the given seed, made by scripts/synthea (once: it keeps
// exports in its cache, so a rerun takes no time). Do not write to it.
func syntheaExport(t *testing.T, patients, seed int) string {
	t.Helper()
	root, err := testbed.RepoRoot()
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "synthea"), "-p", strconv.Itoa(patients), "-s", strconv.Itoa(seed))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/synthea -p %d -s %d: %v\n%s", patients, seed, err, stderr.String())
	}
	dir := strings.TrimSpace(string(out))
	if files, _ := filepath.Glob(filepath.Join(dir, "*.ndjson")); len(files) == 0 {
		t.Fatalf("scripts/synthea printed %q, a folder without NDJSON", dir)
	}
	return dir
}

// occurrence is one line of an export.
type occurrence struct {
	file string
	line int
	raw  []byte
}

// lastOccurrences reads every *.ndjson file of dir (not recursive) in
// lexical order of the names, then lines, and returns for each Type/id its
// last occurrence and the number of lines. It is the duplicate rule
// written again, plainly, to check the tool's.
func lastOccurrences(t *testing.T, dir string) (map[string]occurrence, map[string]int, int) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	must(t, err)
	sort.Strings(files)
	last, count, lines := map[string]occurrence{}, map[string]int{}, 0
	for _, f := range files {
		fh, err := os.Open(f)
		must(t, err)
		sc := bufio.NewScanner(fh)
		sc.Buffer(make([]byte, 1<<20), 64<<20)
		n := 0
		for sc.Scan() {
			n++
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			var m struct{ ResourceType, ID string }
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s:%d: %v", f, n, err)
			}
			key := m.ResourceType + "/" + m.ID
			last[key] = occurrence{file: filepath.Base(f), line: n, raw: append([]byte(nil), sc.Bytes()...)}
			count[key]++
			lines++
		}
		must(t, sc.Err())
		fh.Close()
	}
	return last, count, lines
}

// verifyReport is the JSON of verify --json.
type verifyReport struct {
	Complete bool `json:"complete"`
	verify.Report
}

// runVerify runs verify --json and decodes its report.
func runVerify(t *testing.T, settings map[string]string, args ...string) (int, verifyReport, result) {
	t.Helper()
	r := run(t, settings, append([]string{"verify", "--json"}, args...)...)
	var rep verifyReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("verify --json: exit %d, not a JSON report: %v\nstdout:\n%s\nstderr:\n%s", r.code, err, r.stdout, r.stderr)
	}
	return r.code, rep, r
}

// typeReport returns the report's row of a type.
func typeReport(rep verifyReport, typ string) verify.TypeReport {
	for _, tr := range rep.Types {
		if tr.Type == typ {
			return tr
		}
	}
	return verify.TypeReport{Type: typ}
}

// npiRef finds the NPIs of conditional references to Practitioners.
var npiRef = regexp.MustCompile(`Practitioner\?identifier=http://hl7.org/fhir/sid/us-npi\|([0-9]+)`)

// checkNPIsApart fails the test if a Practitioner of the export in dir has
// an NPI that the data in sample names in a conditional reference: loading
// both into one server makes those references match two Practitioners.
func checkNPIsApart(t *testing.T, dir, sample string) {
	t.Helper()
	referenced := map[string]bool{}
	for _, f := range ndjsonFiles(t, sample, "*") {
		data := readNDJSON(t, f)
		for _, m := range npiRef.FindAllSubmatch(data, -1) {
			referenced[string(m[1])] = true
		}
	}
	for _, f := range ndjsonFiles(t, dir, "Practitioner*") {
		data := readNDJSON(t, f)
		for _, line := range bytes.Split(data, []byte("\n")) {
			var p struct {
				ID         string
				Identifier []struct{ System, Value string }
			}
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			must(t, json.Unmarshal(line, &p))
			for _, id := range p.Identifier {
				if id.System == "http://hl7.org/fhir/sid/us-npi" && referenced[id.Value] {
					t.Fatalf("Practitioner/%s of %s has NPI %s, which %s references conditionally: pick another seed", p.ID, filepath.Base(f), id.Value, sample)
				}
			}
		}
	}
}
