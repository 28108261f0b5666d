package refs

import (
	"encoding/json"
	"slices"
	"testing"
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
