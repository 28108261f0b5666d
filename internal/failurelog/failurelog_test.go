package failurelog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeDecode(t *testing.T) {
	tests := []struct {
		name string
		in   Record
		want Record // what Decode gives back
		data []byte // what Data gives back
	}{
		{
			name: "resource",
			in:   Record{File: "Patient.ndjson", Line: 3, ResourceType: "Patient", ID: "a", Status: 422, Error: "bad", Resource: []byte(`{"resourceType":"Patient","id":"a"}`), Batch: "s1/Patient.ndjson#1"},
			want: Record{File: "Patient.ndjson", Line: 3, ResourceType: "Patient", ID: "a", Status: 422, Error: "bad", Resource: []byte(`{"resourceType":"Patient","id":"a"}`), Batch: "s1/Patient.ndjson#1"},
			data: []byte(`{"resourceType":"Patient","id":"a"}`),
		},
		{
			name: "not JSON goes to raw",
			in:   Record{File: "x.ndjson", Line: 1, Error: "not JSON", Resource: []byte(`{"id":`)},
			want: Record{File: "x.ndjson", Line: 1, Error: "not JSON", Raw: `{"id":`},
			data: []byte(`{"id":`),
		},
		{
			name: "not UTF-8 is not kept",
			in:   Record{File: "x.ndjson", Line: 2, Error: "bad", Resource: []byte("\xff\xfe")},
			want: Record{File: "x.ndjson", Line: 2, Error: "bad (the line is not UTF-8 and is not copied here)"},
		},
		{
			name: "a Bundle file's entry",
			in:   Record{File: "fhir/Ñandú_Núñez.json", Line: 12, ResourceType: "Patient", Error: "no id", Resource: []byte(`{"resourceType":"Patient"}`)},
			want: Record{File: "fhir/Ñandú_Núñez.json", Line: 12, ResourceType: "Patient", Error: "no id", Resource: []byte(`{"resourceType":"Patient"}`)},
			data: []byte(`{"resourceType":"Patient"}`),
		},
		{
			name: "too long, no line",
			in:   Record{File: "x.ndjson", Line: 9, Error: "line 9 is too long"},
			want: Record{File: "x.ndjson", Line: 9, Error: "line 9 is too long"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := Encode(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.ContainsRune(b, '\n') {
				t.Fatalf("encoded record spans lines: %s", b)
			}
			got, ok := Decode(b)
			if !ok {
				t.Fatalf("Decode(%s): not a record", b)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if !bytes.Equal(got.Data(), tt.data) {
				t.Errorf("Data() = %q, want %q", got.Data(), tt.data)
			}
			if batch, ok := BatchOf(b); !ok || batch != tt.in.Batch {
				t.Errorf("BatchOf = %q, %v; want %q", batch, ok, tt.in.Batch)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, line := range []string{
		`not json`,
		`{"resourceType":"Patient","id":"a"}`,      // a resource, not a record
		`{"file":"x.ndjson","line":1}`,             // no error
		`{"file":"","line":1,"error":"e"}`,         // no file
		`{"file":"x.ndjson","error":"e"}`,          // no line
		`{"file":"x.ndjson","line":"1","error":1}`, // wrong types
	} {
		if rec, ok := Decode([]byte(line)); ok {
			t.Errorf("Decode(%s) = %+v, want not a record", line, rec)
		}
	}
	if _, ok := Decode([]byte(`{"file":"x.ndjson","line":1,"error":""}`)); !ok {
		t.Error("a record with an empty error is still a record")
	}
}

func TestIsLog(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]bool{
		"\n\n" + `{"file":"a.ndjson","line":1,"error":"e"}` + "\n": true,
		`{"resourceType":"Patient","id":"a"}` + "\n":               false,
		"": false,
	}
	i := 0
	for content, want := range tests {
		i++
		p := filepath.Join(dir, "log"+string(rune('0'+i)))
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := IsLog(p); got != want {
			t.Errorf("IsLog(%q) = %v, want %v", content, got, want)
		}
	}
	if IsLog(filepath.Join(dir, "missing")) {
		t.Error("a missing file is not a log")
	}
}

// TestEntryInLog: a Bundle file's resource is named by "entry" in the log.
func TestEntryInLog(t *testing.T) {
	b, err := Encode(Record{File: "fhir/a.json.gz", Line: 7, Error: "e"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"file":"fhir/a.json.gz","entry":7,"error":"e"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
	b, _ = Encode(Record{File: "a.ndjson", Line: 7, Error: "e"})
	if want := `{"file":"a.ndjson","line":7,"error":"e"}`; string(b) != want {
		t.Errorf("got %s, want %s", b, want)
	}
}
