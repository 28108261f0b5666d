//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// tagSystem marks the resources of a generated dataset, so that a search
// by tag counts exactly what a test wrote.
const tagSystem = "urn:minio-to-fhir:e2e"

// dataset is a small generated FHIR dataset in a folder: Organizations,
// Patients that reference them, Encounters that reference both, and
// Observations that reference a Patient and an Encounter. Every resource
// carries the dataset's tag.
type dataset struct {
	dir   string
	tag   string                               // the tag code, also the id prefix
	files map[string][]byte                    // file name -> bytes
	res   map[string]map[string]map[string]any // type -> id -> resource
}

// makeDataset writes a dataset with n Patients (n Encounters, 2n
// Observations, n/10+1 Organizations) to a new folder. gz writes the
// Observations gzipped.
func makeDataset(t *testing.T, n int, gz bool) *dataset {
	t.Helper()
	d := &dataset{dir: t.TempDir(), tag: randomID(t), files: map[string][]byte{}, res: map[string]map[string]map[string]any{}}
	meta := map[string]any{"tag": []any{map[string]any{"system": tagSystem, "code": d.tag}}}
	ref := func(typ, id string) map[string]any { return map[string]any{"reference": typ + "/" + id} }
	var orgs, pats, encs, obs []map[string]any
	for i := range n/10 + 1 {
		orgs = append(orgs, map[string]any{"resourceType": "Organization", "id": fmt.Sprintf("%s-org-%d", d.tag, i),
			"meta": meta, "name": fmt.Sprintf("Clinic %d of %s", i, d.tag), "active": true})
	}
	for i := range n {
		org := orgs[i%len(orgs)]["id"].(string)
		pid := fmt.Sprintf("%s-pat-%d", d.tag, i)
		pats = append(pats, map[string]any{"resourceType": "Patient", "id": pid, "meta": meta,
			"name":   []any{map[string]any{"family": fmt.Sprintf("Family%d", i), "given": []any{"Given" + d.tag}}},
			"gender": []string{"female", "male"}[i%2], "birthDate": fmt.Sprintf("19%02d-0%d-1%d", 40+i%60, 1+i%9, i%10),
			"managingOrganization": ref("Organization", org)})
		eid := fmt.Sprintf("%s-enc-%d", d.tag, i)
		encs = append(encs, map[string]any{"resourceType": "Encounter", "id": eid, "meta": meta, "status": "finished",
			"class":   map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
			"subject": ref("Patient", pid), "serviceProvider": ref("Organization", org),
			"period": map[string]any{"start": "2020-01-01T10:00:00Z", "end": "2020-01-01T11:00:00Z"}})
		for k := range 2 {
			obs = append(obs, map[string]any{"resourceType": "Observation", "id": fmt.Sprintf("%s-obs-%d-%d", d.tag, i, k), "meta": meta,
				"status": "final", "code": map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}}},
				"subject": ref("Patient", pid), "encounter": ref("Encounter", eid),
				"effectiveDateTime": "2020-01-01T10:30:00Z",
				"valueQuantity":     map[string]any{"value": 60 + i%40 + k, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}})
		}
	}
	d.write(t, "Organization.ndjson", orgs, false)
	d.write(t, "Patient.ndjson", pats, false)
	d.write(t, "Encounter.ndjson", encs, false)
	name := "Observation.ndjson"
	if gz {
		name += ".gz"
	}
	d.write(t, name, obs, gz)
	return d
}

func (d *dataset) write(t *testing.T, name string, rs []map[string]any, gz bool) {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range rs {
		b, err := json.Marshal(r)
		must(t, err)
		buf.Write(b)
		buf.WriteByte('\n')
		typ, id := r["resourceType"].(string), r["id"].(string)
		if d.res[typ] == nil {
			d.res[typ] = map[string]map[string]any{}
		}
		// The server's copy is compared with the resource as JSON reads it.
		var m map[string]any
		must(t, json.Unmarshal(b, &m))
		d.res[typ][id] = m
	}
	data := buf.Bytes()
	if gz {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, err := zw.Write(data)
		must(t, err)
		must(t, zw.Close())
		data = z.Bytes()
	}
	d.files[name] = data
	must(t, os.WriteFile(filepath.Join(d.dir, name), data, 0o644))
}

// total counts the dataset's resources.
func (d *dataset) total() int {
	n := 0
	for _, ids := range d.res {
		n += len(ids)
	}
	return n
}

func (d *dataset) ids(typ string) []string {
	ids := make([]string, 0, len(d.res[typ]))
	for id := range d.res[typ] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// countTagged asks the server how many resources of typ carry the tag,
// past HAPI's search cache.
func countTagged(t *testing.T, base, typ, tag string) int {
	t.Helper()
	q := url.Values{"_tag": {tagSystem + "|" + tag}, "_summary": {"count"}, "_total": {"accurate"}}
	req, err := http.NewRequest("GET", base+"/"+typ+"?"+q.Encode(), nil)
	must(t, err)
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := (&http.Client{Timeout: time.Minute}).Do(req)
	must(t, err)
	defer resp.Body.Close()
	var b struct {
		Total *int `json:"total"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&b); err != nil || resp.StatusCode != 200 || b.Total == nil {
		t.Fatalf("count %s tagged %s: HTTP %d, %v", typ, tag, resp.StatusCode, err)
	}
	return *b.Total
}

// checkLanded checks that the server holds exactly the dataset: per type
// the tagged count and every id, every resource at version 1 (a rerun or a
// retried batch sends identical content, which HAPI stores as no change),
// and a sample whose content matches the input.
func checkLanded(t *testing.T, base string, d *dataset) {
	t.Helper()
	s := server{base: base}
	types := make([]string, 0, len(d.res))
	for typ := range d.res {
		types = append(types, typ)
	}
	sort.Strings(types)
	for _, typ := range types {
		ids := d.ids(typ)
		if n := countTagged(t, base, typ, d.tag); n != len(ids) {
			t.Errorf("%s: %d resources with the dataset's tag on the server, want exactly %d", typ, n, len(ids))
		}
		got := s.versions(t, typ, ids)
		if len(got) != len(ids) {
			t.Errorf("%s: %d of %d ids on the server", typ, len(got), len(ids))
		}
		bad := 0
		for id, v := range got {
			if v != "1" {
				if bad < 5 {
					t.Errorf("%s/%s is at version %s, want 1: identical content sent again must not make a version", typ, id, v)
				}
				bad++
			}
		}
		// Content: the first, the middle and the last resource.
		for _, id := range []string{ids[0], ids[len(ids)/2], ids[len(ids)-1]} {
			checkContent(t, s, typ, id, d.res[typ][id])
		}
	}
}

// checkContent compares every element of want but meta with the server's
// copy.
func checkContent(t *testing.T, s server, typ, id string, want map[string]any) {
	t.Helper()
	got := s.read(t, typ, id)
	for k, w := range want {
		if k == "meta" {
			continue
		}
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s/%s %s: got %v, want %v", typ, id, k, got[k], w)
		}
	}
}

// faultRun is an upload of a dataset to the test bed's HAPI through a
// fault proxy, with its own failure log, report and checkpoint folder.
type faultRun struct {
	t      *testing.T
	bed    *testbed.Bed
	data   *dataset
	proxy  *faultproxy.Proxy
	tmp    string
	flog   string
	report string
	args   []string // extra flags for every run
	// input is what -i names: the dataset's folder unless set.
	input string
	// settings are laid over the canary settings, e.g. a real MinIO
	// endpoint and keys; secrets also lists them as must-not-show.
	settings map[string]string
	secrets  []string
	// lastStdout is what the last run printed.
	lastStdout string
}

func newFaultRun(t *testing.T, bed *testbed.Bed, d *dataset, args ...string) *faultRun {
	t.Helper()
	u, err := url.Parse(bed.FHIRBaseURL)
	must(t, err)
	p, err := faultproxy.Start(u.Host)
	must(t, err)
	t.Cleanup(func() { p.Close() })
	tmp := t.TempDir()
	return &faultRun{t: t, bed: bed, data: d, proxy: p, tmp: tmp,
		flog: filepath.Join(tmp, "failures.log"), report: filepath.Join(tmp, "report.json"), args: args}
}

// url is the FHIR base through the proxy.
func (f *faultRun) url() string { return "http://" + f.proxy.Addr() + "/fhir" }

// batches matches the batch Bundles the tool posts to the base.
func batches() faultproxy.Match { return faultproxy.Method("POST", "/fhir") }

// answered counts the requests that m matches and the server answered
// with 200.
func answered(p *faultproxy.Proxy, m faultproxy.Match) int {
	n := 0
	for _, e := range p.Events() {
		if e.Status == 200 && m(&http.Request{Method: e.Method, URL: &url.URL{Path: e.Path}}) {
			n++
		}
	}
	return n
}

// upload runs the upload with the canary settings and checks that no
// secret shows in what it printed or wrote.
func (f *faultRun) upload(extra ...string) result {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return f.uploadCtx(ctx, extra...)
}

// uploadCtx is upload with a context, which a test cancels as Ctrl-C does.
func (f *faultRun) uploadCtx(ctx context.Context, extra ...string) result {
	f.t.Helper()
	input := f.input
	if input == "" {
		input = f.data.dir
	}
	args := append([]string{"upload", "-i", input, "--fhir-url", f.url(),
		"--failure-log", f.flog, "--report", f.report, "--checkpoint-dir", filepath.Join(f.tmp, "ckpt")}, f.args...)
	args = append(args, extra...)
	start := time.Now()
	var out, errb bytes.Buffer
	settings := canarySettings(f.tmp)
	for k, v := range f.settings {
		settings[k] = v
	}
	code := cli.RunEnv(ctx, args, cli.Env{
		Stdout: &out, Stderr: &errb,
		Lookup: func(k string) (string, bool) { v, ok := settings[k]; return v, ok },
	})
	r := result{code: code, stdout: out.String(), stderr: errb.String()}
	f.lastStdout = r.stdout
	f.t.Logf("upload: exit %d after %v", r.code, time.Since(start).Round(time.Millisecond))
	assertNoSecret(f.t, append(canaryStrings(), f.secrets...), r, f.tmp, f.data.dir)
	return r
}

// failures returns the id, status and error of each failure-log record.
func (f *faultRun) failures() string {
	data, err := os.ReadFile(f.flog)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
		var rec transfer.Failure
		if json.Unmarshal(line, &rec) == nil {
			fmt.Fprintf(&b, "  %s:%d %s/%s: %d %s (batch %s)\n", rec.File, rec.Line, rec.ResourceType, rec.ID, rec.Status, rec.Error, rec.Batch)
		}
	}
	return b.String()
}

// summary reads the report of the last run.
func (f *faultRun) summary() transfer.Summary {
	f.t.Helper()
	return readReport(f.t, f.report)
}

// mustComplete checks a run that the tool should have carried through
// the faults on its own.
func (f *faultRun) mustComplete(r result) transfer.Summary {
	f.t.Helper()
	if r.code != 0 {
		f.t.Fatalf("exit %d, want 0: the retries should carry the run through\nstdout:\n%s\nstderr:\n%s\nfailure log:\n%s", r.code, r.stdout, r.stderr, f.failures())
	}
	sum := f.summary()
	if sum.Read != f.data.total() || sum.Landed() != f.data.total() || sum.Failed != 0 {
		f.t.Errorf("summary: read %d, landed %d, failed %d; want %d landed", sum.Read, sum.Landed(), sum.Failed, f.data.total())
	}
	if _, err := os.Stat(f.flog); err == nil {
		f.t.Errorf("a failure log was left after a run with nothing failed")
	}
	return sum
}

// mustStopClearly checks a run that must give up: a clear error (exit 1
// with an error and a hint) or failed resources (exit 3, each in the
// failure log with the server's reason). A run that completed (exit 0)
// fails the test.
func (f *faultRun) mustStopClearly(r result, wantText string) {
	f.t.Helper()
	switch r.code {
	case 0:
		f.t.Fatalf("exit 0: the run completed although the fault should have stopped it\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	case 1:
		if !strings.Contains(r.stderr, "minio-to-fhir: error: ") || !strings.Contains(r.stderr, "minio-to-fhir: hint: ") {
			f.t.Errorf("exit 1 without a clear error and hint:\n%s", r.stderr)
		}
	case 3:
		data, err := os.ReadFile(f.flog)
		if errors.Is(err, os.ErrNotExist) && strings.Contains(r.stdout, "Files with problems:") {
			break // no resource failed, files could not be read: the summary names them
		}
		if err != nil {
			f.t.Fatalf("exit 3 without a failure log or files with problems: %v\n%s", err, r.stdout)
		}
		for _, line := range bytes.Split(bytes.TrimSpace(data), []byte("\n")) {
			var rec transfer.Failure
			must(f.t, json.Unmarshal(line, &rec))
			if rec.File == "" || rec.Line == 0 || rec.ID == "" || rec.Error == "" {
				f.t.Errorf("failure record says too little: %s", line)
			}
		}
	default:
		f.t.Fatalf("exit %d, want 1 or 3\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if wantText != "" && !strings.Contains(r.stdout+r.stderr, wantText) {
		f.t.Errorf("the output does not say %q:\nstdout:\n%s\nstderr:\n%s", wantText, r.stdout, r.stderr)
	}
}

// finish runs the upload again without faults when the first run did not
// complete, then checks the server.
func (f *faultRun) finish(r result) {
	f.t.Helper()
	if r.code != 0 {
		f.proxy.Clear()
		r = f.upload()
		if r.code != 0 {
			f.t.Fatalf("rerun: exit %d, want 0\nstdout:\n%s\nstderr:\n%s\nfailure log:\n%s", r.code, r.stdout, r.stderr, f.failures())
		}
	}
	checkLanded(f.t, f.bed.FHIRBaseURL, f.data)
}
