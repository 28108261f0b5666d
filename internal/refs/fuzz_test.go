package refs

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

// FuzzEach checks that Each never panics and, on valid JSON, reports
// exactly what a token walk of encoding/json finds, in the same order,
// and what a decode into any finds when no key is repeated.
func FuzzEach(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Encounter","subject":{"reference":"Patient/1"},"participant":[{"individual":{"reference":"Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974592"}}]}`,
		`{"contained":[{"id":"m","x":{"reference":"Organization/9"}}],"m":{"reference":"#m"}}`,
		`{"note":"\"reference\":\"Patient/x\"","reference":"a\\"}`,
		`{"refer\u0065nce":"Patient\/8","reference":{"reference":"b"}}`,
		`{"reference":"\ud800x\u00e9"}`,
		"{\"reference\":\"\xff\"}",
		`["reference",{"reference":1}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got := fastRefs(raw)
		if !json.Valid(raw) {
			return
		}
		want, repeated, err := tokenRefs(raw)
		if err != nil {
			t.Fatalf("token walk of valid JSON: %v", err)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q (token walk)", got, want)
		}
		if repeated {
			return
		}
		slow, err := slowRefs(raw)
		if err != nil {
			t.Fatalf("decode of valid JSON: %v", err)
		}
		slices.Sort(got)
		if !slices.Equal(got, slow) {
			t.Fatalf("got %q, want %q (decode into any)", got, slow)
		}
	})
}

// FuzzParse checks that Parse never panics and that what it returns is
// consistent with its input.
func FuzzParse(f *testing.F) {
	const base = "http://127.0.0.1:8080/fhir"
	for _, s := range []string{
		"Patient/1", "Patient/1/_history/2", "Practitioner?identifier=http://x|1", "#c",
		base + "/Patient/1", "https://x/Patient/1", "urn:uuid:1", "", "Foo/1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r := Parse(ref, base)
		switch r.Kind {
		case Relative, Absolute:
			want := r.Type + "/" + r.ID
			if r.Kind == Absolute {
				want = base + "/" + want
			}
			if !fhirtype.Known(r.Type) || !fhirtype.ValidID(r.ID) || !strings.HasPrefix(ref, want) {
				t.Fatalf("Parse(%q) = %+v: type, id or prefix wrong", ref, r)
			}
		case Conditional:
			if !fhirtype.Known(r.Type) || r.Query == "" || !strings.HasSuffix(ref, r.Type+"?"+r.Query) {
				t.Fatalf("Parse(%q) = %+v: type or query wrong", ref, r)
			}
		case Contained:
			if ref != "#"+r.ID {
				t.Fatalf("Parse(%q) = %+v", ref, r)
			}
		}
	})
}
