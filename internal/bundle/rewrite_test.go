package bundle

import "testing"

func TestRewrite(t *testing.T) {
	known := map[string]string{
		"urn:uuid:aa":                    "Patient/aa",
		"urn:uuid:dr":                    "DiagnosticReport/dr",
		"http://example.org/fhir/Org/o1": "Organization/o1",
		"urn:uuid:\"q":                   "Patient/q",
	}
	lookup := func(ref string) (string, bool) { s, ok := known[ref]; return s, ok }
	tests := []struct {
		name, in, want string
		n              int
	}{
		{"reference to a fullUrl", `{"subject":{"reference":"urn:uuid:aa"}}`, `{"subject":{"reference":"Patient/aa"}}`, 1},
		{"in arrays and contained", `{"contained":[{"x":{"reference":"urn:uuid:aa"}}],"a":[{"reference":"http://example.org/fhir/Org/o1"}]}`,
			`{"contained":[{"x":{"reference":"Patient/aa"}}],"a":[{"reference":"Organization/o1"}]}`, 2},
		{"identifier value stays (Synthea's DocumentReference)", `{"identifier":[{"system":"urn:ietf:rfc:3986","value":"urn:uuid:dr"}],"context":{"related":[{"reference":"urn:uuid:dr"}]}}`,
			`{"identifier":[{"system":"urn:ietf:rfc:3986","value":"urn:uuid:dr"}],"context":{"related":[{"reference":"DiagnosticReport/dr"}]}}`, 1},
		{"contained and conditional stay", `{"a":{"reference":"#med1"},"b":{"reference":"Practitioner?identifier=x|1"},"c":{"reference":"urn:uuid:zz"}}`,
			`{"a":{"reference":"#med1"},"b":{"reference":"Practitioner?identifier=x|1"},"c":{"reference":"urn:uuid:zz"}}`, 0},
		{"the word as a value is no key", `{"text":"reference","x":["reference","urn:uuid:aa"]}`, `{"text":"reference","x":["reference","urn:uuid:aa"]}`, 0},
		{"escaped value", `{"s":{"reference":"urn:uuid:\"q"}}`, `{"s":{"reference":"Patient/q"}}`, 1},
		{"not a string", `{"reference":{"reference":"urn:uuid:aa"}}`, `{"reference":{"reference":"Patient/aa"}}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, n := rewrite(nil, []byte(tc.in), lookup)
			if string(got) != tc.want || n != tc.n {
				t.Errorf("got %s (%d), want %s (%d)", got, n, tc.want, tc.n)
			}
		})
	}
}

func TestWithID(t *testing.T) {
	if got := string(withID(nil, []byte(`{"resourceType":"Patient"}`), "p1")); got != `{"id":"p1","resourceType":"Patient"}` {
		t.Errorf("got %s", got)
	}
}

func TestURLs(t *testing.T) {
	u := newURLs()
	u.add(0, "urn:uuid:a1", "Patient", "a1")
	u.add(0, "http://x/fhir/Patient/p9", "Patient", "other") // id not at the end
	u.add(1, "urn:uuid:a1", "Patient", "a1")                 // a copy: not ambiguous
	u.add(1, "urn:uuid:s", "Patient", "s1")
	u.add(2, "urn:uuid:s", "Observation", "s2") // another resource: per Bundle
	tests := []struct {
		bundle int
		ref    string
		want   string
		ok     bool
	}{
		{0, "urn:uuid:a1", "Patient/a1", true},
		{3, "urn:uuid:a1", "Patient/a1", true},
		{0, "http://x/fhir/Patient/p9", "Patient/other", true},
		{1, "urn:uuid:s", "Patient/s1", true},
		{2, "urn:uuid:s", "Observation/s2", true},
		{0, "urn:uuid:s", "Patient/s1", true}, // elsewhere: the first
		{0, "urn:uuid:nope", "", false},
	}
	for _, tc := range tests {
		got, ok := u.lookup(tc.bundle, tc.ref)
		if got != tc.want || ok != tc.ok {
			t.Errorf("lookup(%d, %s): got %q %v, want %q %v", tc.bundle, tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}
