package bundle

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// spooled reads every spool file of res as "origin Type: data" lines and
// "origin !error" for refusals, and returns the other files' names.
func spooled(t *testing.T, res *Result) (lines []string, others []string) {
	t.Helper()
	for _, f := range res.Files {
		if !strings.HasPrefix(f.Name, "Bundle entries [") {
			s := f.Name
			if f.Err != nil {
				s += " !" + f.Err.Error()
			}
			others = append(others, s)
			continue
		}
		ls, err := f.OpenLines(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		for {
			l, err := ls.Next()
			if err == io.EOF {
				break
			}
			var le *source.LineError
			switch {
			case errors.As(err, &le):
				lines = append(lines, le.File+" entry "+strconv.Itoa(le.Num)+" "+f.KnownType+" !"+le.Error())
			case err != nil:
				t.Fatal(err)
			default:
				lines = append(lines, l.File+" entry "+strconv.Itoa(l.Num)+" "+f.KnownType+": "+string(l.Data))
			}
		}
		ls.Close()
	}
	sort.Strings(lines)
	return lines, others
}

// expandTree writes files (slash-separated names, under a new folder),
// lists the folder as upload does and expands it. Close the Result.
func expandTree(t *testing.T, files map[string]string) *Result {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	list, err := source.Dir{Path: dir}.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := Expand(context.Background(), list, Options{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func gz(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s)) // into memory
	_ = w.Close()
	return b.String()
}

func TestExpand(t *testing.T) {
	files := map[string]string{
		// A transaction as Synthea writes it: pretty-printed, POST, fullUrl
		// urn:uuid, a reference forward and one to another file.
		"fhir/A_Patient.json": `{
  "resourceType": "Bundle", "type": "transaction",
  "entry": [ {
    "fullUrl": "urn:uuid:obs1",
    "resource": { "resourceType": "Observation", "id": "obs1",
      "subject": { "reference": "urn:uuid:pat1" },
      "performer": [ { "reference": "urn:uuid:org1" } ],
      "hasMember": [ { "reference": "#c1" } ] },
    "request": { "method": "POST", "url": "Observation" }
  }, {
    "fullUrl": "urn:uuid:pat1",
    "resource": { "resourceType": "Patient", "id": "pat1",
      "generalPractitioner": [ { "reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1" } ] },
    "request": { "method": "POST", "url": "Patient" }
  }, {
    "fullUrl": "urn:uuid:doc1",
    "resource": { "resourceType": "DocumentReference", "id": "doc1",
      "identifier": [ { "value": "urn:uuid:obs1" } ],
      "subject": { "reference": "urn:uuid:pat1" } },
    "request": { "method": "POST", "url": "DocumentReference" }
  }, {
    "request": { "method": "DELETE", "url": "Patient/old" }
  }, {
    "fullUrl": "urn:uuid:noid",
    "request": { "method": "POST", "url": "Patient" }
  } ]
}`,
		"fhir/hospitalInformation1.json.gz": gz(`{"resourceType":"Bundle","type":"batch","entry":[
{"fullUrl":"urn:uuid:org1","resource":{"resourceType":"Organization","id":"org1"},"request":{"method":"POST","url":"Organization","ifNoneExist":"identifier=x|1"}},
{"fullUrl":"urn:uuid:9a1e7e52-3cbb-4a53-8ef7-2b1d5b0c1e11","resource":{"resourceType":"Location","managingOrganization":{"reference":"urn:uuid:org1"}},"request":{"method":"POST","url":"Location"}},
{"resource":{"resourceType":"Location"},"request":{"method":"POST","url":"Location"}},
{"resource":{"resourceType":"Spaceship","id":"s1"}}]}`),
		"fhir/searchset.json": `{"resourceType":"Bundle","type":"searchset","entry":[
{"resource":{"resourceType":"Patient","id":"pat2"},"search":{"mode":"match"}},
{"resource":{"resourceType":"OperationOutcome","id":"oo"},"search":{"mode":"outcome"}}]}`,
		"fhir/cut.json":           `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"cut1"}},{"resource":{"resourceType":"Patient","id":"cu`,
		"fhir/response.json":      `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201 Created"}}]}`,
		"fhir/doc.json":           `{"resourceType":"Bundle","id":"d1","type":"document","entry":[{"fullUrl":"urn:uuid:in-doc","resource":{"resourceType":"Composition","id":"c"}}]}`,
		"fhir/doc-late.json":      `{"resourceType":"Bundle","id":"d2","entry":[{"resource":{"resourceType":"Composition","id":"c2"}}],"type":"document"}`,
		"fhir/single.json":        `{"resourceType":"Practitioner","id":"pr1","x":{"reference":"urn:uuid:org1"}}`,
		"fhir/broken.json":        `{"resourceType": tru`,
		"metadata/run.json":       `{"runID":"x","seed":7}`,
		"metadata/list.json":      `[1,2]`,
		"fhir/parameters.json":    `{"resourceType":"Parameters","parameter":[{"name":"inputFormat","valueString":"application/fhir+ndjson"}]}`,
		"metadata/Patient.ndjson": `{"resourceType":"Patient","id":"nd1"}` + "\n",
	}
	res := expandTree(t, files)
	defer res.Close()
	lines, others := spooled(t, res)
	noID := " with no id: the resource has none, and neither its fullUrl nor its request.url names one (the server would make one up, and a second load would write it again)"
	want := []string{
		`fhir/A_Patient.json entry 1 Observation: {"resourceType":"Observation","id":"obs1","subject":{"reference":"Patient/pat1"},"performer":[{"reference":"Organization/org1"}],"hasMember":[{"reference":"#c1"}]}`,
		`fhir/A_Patient.json entry 2 Patient: {"resourceType":"Patient","id":"pat1","generalPractitioner":[{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|1"}]}`,
		`fhir/A_Patient.json entry 3 DocumentReference: {"resourceType":"DocumentReference","id":"doc1","identifier":[{"value":"urn:uuid:obs1"}],"subject":{"reference":"Patient/pat1"}}`,
		`fhir/A_Patient.json entry 5 Basic !the entry has no resource`,
		`fhir/cut.json entry 1 Patient: {"resourceType":"Patient","id":"cut1"}`,
		`fhir/cut.json entry 2 Basic !the file is cut short or broken after entry 1: unexpected EOF; the entries before it are read`,
		`fhir/doc-late.json entry 1 Bundle: {"resourceType":"Bundle","id":"d2","entry":[{"resource":{"resourceType":"Composition","id":"c2"}}],"type":"document"}`,
		`fhir/doc.json entry 1 Bundle: {"resourceType":"Bundle","id":"d1","type":"document","entry":[{"fullUrl":"urn:uuid:in-doc","resource":{"resourceType":"Composition","id":"c"}}]}`,
		`fhir/hospitalInformation1.json.gz entry 1 Organization: {"resourceType":"Organization","id":"org1"}`,
		`fhir/hospitalInformation1.json.gz entry 2 Location: {"id":"9a1e7e52-3cbb-4a53-8ef7-2b1d5b0c1e11","resourceType":"Location","managingOrganization":{"reference":"Organization/org1"}}`,
		`fhir/hospitalInformation1.json.gz entry 3 Location !Location` + noID,
		`fhir/hospitalInformation1.json.gz entry 4 Basic !unknown resourceType "Spaceship": not a FHIR R4 resource type`,
		`fhir/searchset.json entry 1 Patient: {"resourceType":"Patient","id":"pat2"}`,
		`fhir/single.json entry 1 Practitioner: {"resourceType":"Practitioner","id":"pr1","x":{"reference":"Organization/org1"}}`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("spooled entries (-want +got):\n%s", diff)
	}
	wantOthers := []string{
		"fhir/broken.json !not valid JSON: unexpected EOF",
		"fhir/response.json !a batch-response Bundle is a server's answer to a request, not data to load: give the Bundle that was sent",
		"metadata/Patient.ndjson",
	}
	sort.Strings(others)
	if diff := cmp.Diff(wantOthers, others); diff != "" {
		t.Errorf("other files (-want +got):\n%s", diff)
	}
	st := res.Stats
	st.NotFHIR = nil
	wantStats := Stats{Files: 7, Bundles: 4, Entries: 15, Resources: 10, IDsFromURL: 1, Refused: 4,
		NotWritten:         map[string]int{"DELETE": 1, "search outcome": 1},
		NotWrittenExamples: []string{"fhir/A_Patient.json entry 4 (DELETE Patient/old)", "fhir/searchset.json entry 2 (search outcome)"},
		IfNoneExist:        1, FullURLs: 5, Rewritten: 5}
	if diff := cmp.Diff(wantStats, st); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	// Each file read as JSON, with the first resource written from it.
	wantRead := map[string]string{
		"fhir/A_Patient.json":               "Observation/obs1",
		"fhir/hospitalInformation1.json.gz": "Organization/org1",
		"fhir/searchset.json":               "Patient/pat2",
		"fhir/cut.json":                     "Patient/cut1",
		"fhir/response.json":                "",
		"fhir/doc.json":                     "Bundle/d1",
		"fhir/doc-late.json":                "Bundle/d2",
		"fhir/single.json":                  "Practitioner/pr1",
		"fhir/broken.json":                  "",
		"metadata/run.json":                 "",
		"metadata/list.json":                "",
		"fhir/parameters.json":              "",
	}
	if diff := cmp.Diff(wantRead, res.Read); diff != "" {
		t.Errorf("files read and their first resource (-want +got):\n%s", diff)
	}
	wantNotFHIR := []NotFHIR{
		{File: "fhir/parameters.json", Why: "a Parameters resource with no id, so nothing to write it under"},
		{File: "metadata/list.json", Why: "JSON, but not a FHIR resource or Bundle (not an object)"},
		{File: "metadata/run.json", Why: "JSON, but not a FHIR resource or Bundle (no resourceType)"},
	}
	if diff := cmp.Diff(wantNotFHIR, res.Stats.NotFHIR); diff != "" {
		t.Errorf("not FHIR (-want +got):\n%s", diff)
	}
	spool := res.dir
	if err := res.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spool); !os.IsNotExist(err) {
		t.Errorf("spool %s left after Close: %v", spool, err)
	}
}

func TestExpandNoBundles(t *testing.T) {
	in := []source.File{{Name: "Patient.ndjson"}}
	res, err := Expand(context.Background(), in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 || res.dir != "" {
		t.Errorf("got %d files, spool %q; want the input as it is and no spool", len(res.Files), res.dir)
	}
}

// TestExpandBundleLines: an NDJSON file whose lines are transaction
// Bundles (blazectl's input) is unpacked, each line a Bundle named
// file:line; NDJSON files of resources stay as they are.
func TestExpandBundleLines(t *testing.T) {
	tx := func(entries string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + entries + `]}`
	}
	content := tx(`{"fullUrl":"urn:uuid:p1","resource":{"resourceType":"Patient","id":"p1"},"request":{"method":"POST","url":"Patient"}}`) + "\n\n" +
		tx(`{"resource":{"resourceType":"Observation","id":"o1","subject":{"reference":"urn:uuid:p1"}},"request":{"method":"PUT","url":"Observation/o1"}},{"request":{"method":"GET","url":"Patient/p1"}}`) + "\n" +
		`{"resourceType":"Bundle","type":"transaction","entry":[{"resou` + "\n" +
		`{"resourceType":"Patient","id":"p2"}` + "\n"
	res := expandTree(t, map[string]string{"blaze/bundles.ndjson": content, "Patient.ndjson": `{"resourceType":"Patient","id":"nd"}` + "\n"})
	defer res.Close()
	lines, others := spooled(t, res)
	want := []string{
		`blaze/bundles.ndjson:1 entry 1 Patient: {"resourceType":"Patient","id":"p1"}`,
		`blaze/bundles.ndjson:3 entry 1 Observation: {"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/p1"}}`,
		`blaze/bundles.ndjson:4 entry 1 Basic !not valid JSON: unexpected EOF`,
		`blaze/bundles.ndjson:5 entry 1 Patient: {"resourceType":"Patient","id":"p2"}`,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("spooled (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Patient.ndjson"}, others); diff != "" {
		t.Errorf("other files (-want +got):\n%s", diff)
	}
	if st := res.Stats; st.Files != 1 || st.Bundles != 2 || st.NotWritten["GET"] != 1 || st.Rewritten != 1 {
		t.Errorf("stats %+v: want 1 file, 2 Bundles, 1 GET not written, 1 reference rewritten", st)
	}
}

// TestExpandStoredBundleNotRewritten: an entry that is itself a Bundle is
// stored as it is: its references resolve inside it, by its own entries'
// fullUrls, so a fullUrl of the same value elsewhere in the input does not
// rewrite them (a document or message stored whole likewise).
func TestExpandStoredBundleNotRewritten(t *testing.T) {
	inner := `{"resourceType":"Bundle","id":"inner","type":"collection","entry":[{"fullUrl":"urn:uuid:p9","resource":{"resourceType":"Patient","id":"p9"}},` +
		`{"fullUrl":"urn:uuid:o9","resource":{"resourceType":"Observation","id":"o9","subject":{"reference":"urn:uuid:p9"}}}]}`
	files := map[string]string{
		"outer.json": `{"resourceType":"Bundle","type":"collection","entry":[` +
			`{"fullUrl":"urn:uuid:p9","resource":{"resourceType":"Patient","id":"p9"}},` +
			`{"fullUrl":"urn:uuid:o8","resource":{"resourceType":"Observation","id":"o8","subject":{"reference":"urn:uuid:p9"}}},` +
			`{"fullUrl":"http://ex.org/Bundle/inner","resource":` + inner + `}]}`,
		"doc.json": `{"resourceType":"Bundle","id":"d","type":"document","entry":[{"resource":{"resourceType":"Composition","id":"c","subject":{"reference":"urn:uuid:p9"}}}]}`,
	}
	res := expandTree(t, files)
	defer res.Close()
	lines, _ := spooled(t, res)
	want := []string{
		`doc.json entry 1 Bundle: {"resourceType":"Bundle","id":"d","type":"document","entry":[{"resource":{"resourceType":"Composition","id":"c","subject":{"reference":"urn:uuid:p9"}}}]}`,
		`outer.json entry 1 Patient: {"resourceType":"Patient","id":"p9"}`,
		`outer.json entry 2 Observation: {"resourceType":"Observation","id":"o8","subject":{"reference":"Patient/p9"}}`,
		`outer.json entry 3 Bundle: ` + inner,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("spooled entries (-want +got):\n%s", diff)
	}
	if got := res.Stats.Rewritten; got != 1 {
		t.Errorf("rewritten: got %d, want 1 (the outer Observation's only)", got)
	}
}
