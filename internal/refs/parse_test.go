package refs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	const base = "http://127.0.0.1:8080/fhir"
	uuid := "79a66c97-6131-3213-f3c9-4606946ab056"
	tests := []struct {
		name string
		ref  string
		base string
		want Ref
	}{
		{"relative", "Patient/123", base, Ref{Kind: Relative, Type: "Patient", ID: "123"}},
		{"relative uuid", "Patient/" + uuid, "", Ref{Kind: Relative, Type: "Patient", ID: uuid}},
		{"versioned", "Patient/123/_history/2", base, Ref{Kind: Relative, Type: "Patient", ID: "123"}},
		{"id with dot and dash", "Observation/a.b-C9", "", Ref{Kind: Relative, Type: "Observation", ID: "a.b-C9"}},
		{"id of 64", "Patient/" + strings.Repeat("a", 64), "", Ref{Kind: Relative, Type: "Patient", ID: strings.Repeat("a", 64)}},
		{"id of 65", "Patient/" + strings.Repeat("a", 65), "", Ref{}},
		{"bad id char", "Patient/a_b", "", Ref{}},
		{"empty id", "Patient/", "", Ref{}},
		{"no id", "Patient", "", Ref{}},
		{"extra segment", "Patient/1/2", "", Ref{}},
		{"bad history", "Patient/1/_history/", "", Ref{}},
		{"unknown type", "Foo/1", "", Ref{}},
		{"lower-case type", "patient/1", "", Ref{}},
		{"leading slash", "/Patient/1", "", Ref{}},
		{"conditional", "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999974592", base,
			Ref{Kind: Conditional, Type: "Practitioner", Query: "identifier=http://hl7.org/fhir/sid/us-npi|9999974592"}},
		{"conditional unknown type", "Doctor?identifier=x", "", Ref{}},
		{"conditional empty query", "Organization?", "", Ref{}},
		{"conditional no type", "?identifier=x", "", Ref{}},
		{"id with query", "Patient/1?x=y", "", Ref{}},
		{"contained", "#contained1", base, Ref{Kind: Contained, ID: "contained1"}},
		{"container", "#", "", Ref{Kind: Contained}},
		{"absolute", base + "/Patient/1", base, Ref{Kind: Absolute, Type: "Patient", ID: "1"}},
		{"absolute base with slash", base + "/Patient/1", base + "/", Ref{Kind: Absolute, Type: "Patient", ID: "1"}},
		{"absolute versioned", base + "/Encounter/e1/_history/3", base, Ref{Kind: Absolute, Type: "Encounter", ID: "e1"}},
		{"absolute conditional", base + "/Patient?identifier=x", base, Ref{Kind: Conditional, Type: "Patient", Query: "identifier=x"}},
		{"absolute unknown type", base + "/Foo/1", base, Ref{}},
		{"absolute no base", base + "/Patient/1", "", Ref{Kind: External}},
		{"base prefix only", "http://127.0.0.1:8080/fhirx/Patient/1", base, Ref{Kind: External}},
		{"external http", "http://example.org/fhir/Patient/1", base, Ref{Kind: External}},
		{"external https", "https://hapi.fhir.org/baseR4/Patient/1", base, Ref{Kind: External}},
		{"urn uuid", "urn:uuid:" + uuid, base, Ref{Kind: URN, ID: "urn:uuid:" + uuid}},
		{"urn oid", "urn:oid:1.2.3", "", Ref{Kind: URN, ID: "urn:oid:1.2.3"}},
		{"empty", "", base, Ref{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse(tt.ref, tt.base)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q, %q) mismatch (-want +got):\n%s", tt.ref, tt.base, diff)
			}
		})
	}
}

func TestRefLocal(t *testing.T) {
	tests := []struct {
		kind Kind
		want bool
	}{
		{Invalid, false}, {Relative, true}, {Conditional, false}, {Contained, false},
		{Absolute, true}, {External, false}, {URN, false},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			if got := (Ref{Kind: tt.kind}).Local(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{Invalid, "Invalid"}, {Relative, "Relative"}, {URN, "URN"}, {Kind(42), "Kind(42)"}, {Kind(-1), "Kind(-1)"},
	}
	for _, tt := range tests {
		if got := tt.kind.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestIsURL(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"http://x", true}, {"https://x/y", true}, {"git+ssh://h", true}, {"://x", false},
		{"Practitioner?identifier=http://hl7.org", false}, {"1http://x", false}, {"Patient/1", false},
	}
	for _, tt := range tests {
		if got := isURL(tt.in); got != tt.want {
			t.Errorf("isURL(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}
