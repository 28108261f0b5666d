package refs

import (
	"encoding/json"
	"regexp"
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

// FuzzParse checks that Parse never panics, that what it returns is
// consistent with its input, and that it agrees with refParse, a
// reference written from Parse's documentation with regular
// expressions, for any reference against a base with and without its
// final slash, and against no base.
func FuzzParse(f *testing.F) {
	const base = "http://127.0.0.1:8080/fhir"
	for _, s := range []string{
		"Patient/1", "Patient/1/_history/2", "Practitioner?identifier=http://x|1", "#c",
		base + "/Patient/1", "https://x/Patient/1", "urn:uuid:1", "", "Foo/1",
		base + "/Patient?name=x", base + "/Foo/1", "Patient/1/_history/", "Patient/1/x/2", "Patient?",
		"a+b://x", "1a://x", "Observation/" + strings.Repeat("a", 65),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		for _, b := range []string{base, base + "/", ""} {
			if got, want := Parse(ref, b), refParse(ref, b); got != want {
				t.Fatalf("Parse(%q, %q) = %+v, the reference says %+v", ref, b, got, want)
			}
		}
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

var (
	refURL         = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*://`)
	refConditional = regexp.MustCompile(`(?s)^([^?]*)\?(.+)$`)
	refLocal       = regexp.MustCompile(`^([^/?]*)/([A-Za-z0-9.-]{1,64})(/_history/[A-Za-z0-9.-]{1,64})?$`)
)

// refParse is Parse as its documentation says: "" is Invalid, "#x"
// Contained, "urn:..." a URN; under base (one final slash ignored) a
// Type/id[/_history/vid] is Absolute, a Type?query Conditional, anything
// else Invalid; other URLs ("scheme://") are External; then the same
// forms without base are Relative or Conditional, the rest Invalid. Type
// must be an R4 type, an id [A-Za-z0-9.-]{1,64}.
func refParse(ref, base string) Ref {
	switch {
	case ref == "":
		return Ref{}
	case strings.HasPrefix(ref, "#"):
		return Ref{Kind: Contained, ID: ref[1:]}
	case strings.HasPrefix(ref, "urn:"):
		return Ref{Kind: URN, ID: ref}
	}
	local := func(s string) Ref {
		if m := refConditional.FindStringSubmatch(s); m != nil {
			if fhirtype.Known(m[1]) {
				return Ref{Kind: Conditional, Type: m[1], Query: m[2]}
			}
			return Ref{}
		}
		if strings.Contains(s, "?") {
			return Ref{}
		}
		if m := refLocal.FindStringSubmatch(s); m != nil && fhirtype.Known(m[1]) {
			return Ref{Kind: Relative, Type: m[1], ID: m[2]}
		}
		return Ref{}
	}
	base = strings.TrimSuffix(base, "/")
	if rest, ok := strings.CutPrefix(ref, base+"/"); ok && base != "" {
		r := local(rest)
		if r.Kind == Relative {
			r.Kind = Absolute
		}
		return r
	}
	if refURL.MatchString(ref) {
		return Ref{Kind: External}
	}
	return local(ref)
}
