package ndjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValid: validJSON agrees with json.Valid on every input.
func FuzzValid(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"a","n":[1,-2.5e3,0,true,false,null,{"x":"\u00e9\n"}]}`,
		`{}`, `[]`, ` [ ] `, `"x"`, `01`, `1.`, `-`, `{"a":1,}`, `[1,]`, `{"a" 1}`, "\"\x01\"", `"\x"`, `"\u12"`,
		`{"a":{"b":[{"c":[]}]}}`, `{"a":1}}`, `nul`, `1e`, `1e+`, `-0.0E-0`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

func TestValidDeep(t *testing.T) {
	for _, n := range []int{9999, 10000, 10001, 20000} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("depth %d: got %v, want %v", n, got, want)
		}
	}
}

// validJSON reports whether b is one JSON value, as json.Valid does, at
// several times its speed: it walks the text once with a small stack and
// a table for the bytes of strings, which make up most of FHIR JSON.
func validJSON(b []byte) bool {
	var t topFields
	return walkJSON(b, &t)
}
