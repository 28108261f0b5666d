package refs

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sampleData is the repository's sample exports (gzip-compressed NDJSON).
var sampleData = filepath.Join("..", "..", "testdata", "sample")

func TestEach(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"none", `{"resourceType":"Patient","id":"1"}`, nil},
		{"top level", `{"reference":"Patient/1"}`, []string{"Patient/1"}},
		{"nested and arrays", `{"subject":{"reference":"Patient/1"},"performer":[{"reference":"Practitioner/2"},{"display":"x"},{"reference":"Organization/3"}]}`,
			[]string{"Patient/1", "Practitioner/2", "Organization/3"}},
		{"contained", `{"contained":[{"resourceType":"Medication","id":"m","manufacturer":{"reference":"Organization/9"}}],"medicationReference":{"reference":"#m"}}`,
			[]string{"Organization/9", "#m"}},
		{"extension", `{"extension":[{"url":"u","valueReference":{"reference":"Location/4"}}]}`, []string{"Location/4"}},
		{"text in a value", `{"note":"\"reference\":\"Patient/x\"","display":"reference"}`, nil},
		{"value named reference", `{"a":"reference","b":["reference",1]}`, nil},
		{"non-string value skipped", `{"reference":{"reference":"Patient/5"},"x":{"reference":null},"y":{"reference":3}}`, []string{"Patient/5"}},
		{"whitespace", "{ \"reference\" \t:\n \"Patient/6\" }", []string{"Patient/6"}},
		{"escaped value", `{"reference":"Patient\/7"}`, []string{"Patient/7"}},
		{"escaped quote", `{"reference":"a\"b","c":"\\","reference":"d"}`, []string{`a"b`, "d"}},
		{"escaped key", `{"refer\u0065nce":"Patient/8"}`, []string{"Patient/8"}},
		{"other keys", `{"references":"x","Reference":"y","_reference":"z","referenc":"w"}`, nil},
		{"repeated key", `{"reference":"a","reference":"b"}`, []string{"a", "b"}},
		{"empty value", `{"reference":""}`, []string{""}},
		{"unicode", `{"reference":"Patient/é"}`, []string{"Patient/é"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fastRefs([]byte(tt.in))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Each(%s) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestEachInvalidInput(t *testing.T) {
	for _, in := range []string{``, `"`, `{"reference`, `{"reference":"abc`, `{"reference":`, `{"reference"  `, `{"a\`, `\"reference":"x"`} {
		fastRefs([]byte(in)) // must not panic
	}
}

// TestEachEncounterCount checks the count on one real file against the
// slow implementation, and that there are many references to check.
func TestEachEncounterCount(t *testing.T) {
	fast, slow := 0, 0
	forEachLine(t, filepath.Join(sampleData, "synthea-smart-bulk-10-patients", "Encounter.000.ndjson.gz"), func(line []byte) {
		Each(line, func([]byte) { fast++ })
		s, err := slowRefs(line)
		if err != nil {
			t.Fatal(err)
		}
		slow += len(s)
	})
	if fast != slow {
		t.Errorf("got %d references, want %d", fast, slow)
	}
	if fast < 1000 {
		t.Errorf("got %d references, want at least 1000", fast)
	}
}

// TestEachSampleData compares Each with the slow implementation on every
// line of every file of the sample data.
func TestEachSampleData(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sampleData, "*", "*.ndjson.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 20 {
		t.Fatalf("got %d sample files in %s, want at least 20", len(files), sampleData)
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f))+"/"+filepath.Base(f), func(t *testing.T) {
			n := 0
			forEachLine(t, f, func(line []byte) {
				n++
				want, err := slowRefs(line)
				if err != nil {
					t.Fatalf("line %d: %v", n, err)
				}
				got := fastRefs(line)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("line %d: got %q, want %q", n, got, want)
				}
			})
		})
	}
}

// forEachLine calls fn with each non-empty line of the gzip-compressed
// NDJSON file.
func forEachLine(t *testing.T, name string, fn func(line []byte)) {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatalf("sample data: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("sample data %s: %v", name, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		if len(sc.Bytes()) > 0 {
			fn(sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
}
