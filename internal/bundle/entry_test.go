package bundle

import "testing"

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		entry  string
		act    action
		typ    string
		id     string
		addID  bool
		reason string
	}{
		{"resource id", `{"fullUrl":"urn:uuid:x-1","resource":{"resourceType":"Patient","id":"p1"},"request":{"method":"POST","url":"Patient"}}`, write, "Patient", "p1", false, ""},
		{"id from urn:uuid", `{"fullUrl":"urn:uuid:0b6e6254-1d8b-4bd8-83e1-b3e1c4d5f6a7","resource":{"resourceType":"Patient"}}`, write, "Patient", "0b6e6254-1d8b-4bd8-83e1-b3e1c4d5f6a7", true, ""},
		{"id from fullUrl Type/id", `{"fullUrl":"http://example.org/fhir/Patient/p2/_history/3","resource":{"resourceType":"Patient"}}`, write, "Patient", "p2", true, ""},
		{"id from request.url", `{"resource":{"resourceType":"Observation"},"request":{"method":"PUT","url":"Observation/o1?x=1"}}`, write, "Observation", "o1", true, ""},
		{"fullUrl of another type", `{"fullUrl":"http://example.org/fhir/Patient/p2","resource":{"resourceType":"Observation"}}`, refuse, "Observation", "", false, "Observation with no id: the resource has none, and neither its fullUrl nor its request.url names one (the server would make one up, and a second load would write it again)"},
		{"no id at all", `{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`, refuse, "Patient", "", false, "Patient with no id: the resource has none, and neither its fullUrl nor its request.url names one (the server would make one up, and a second load would write it again)"},
		{"invalid id", `{"resource":{"resourceType":"Patient","id":"a b"}}`, refuse, "Patient", "", false, `Patient: resource.id: invalid id: "a b" has the character ' '; only A-Z a-z 0-9 - . are allowed`},
		{"no resource", `{"fullUrl":"urn:uuid:x","request":{"method":"POST","url":"Patient"}}`, refuse, "", "", false, "the entry has no resource"},
		{"null resource", `{"resource":null}`, refuse, "", "", false, "the entry has no resource"},
		{"unknown type", `{"resource":{"resourceType":"Patientt","id":"x"}}`, refuse, "Patientt", "", false, `unknown resourceType "Patientt": not a FHIR R4 resource type`},
		{"no resourceType", `{"resource":{"id":"x"}}`, refuse, "", "", false, "the entry's resource has no resourceType"},
		{"resource not an object", `{"resource":"Patient/1"}`, refuse, "", "", false, "the entry's resource is not a JSON object"},
		{"entry not an object", `[1]`, refuse, "", "", false, "not a Bundle entry: json: cannot unmarshal array into Go value of type bundle.entry"},
		{"DELETE", `{"request":{"method":"DELETE","url":"Patient/1"}}`, skip, "", "", false, "DELETE"},
		{"GET", `{"request":{"method":"GET","url":"Patient?name=x"}}`, skip, "", "", false, "GET"},
		{"HEAD", `{"request":{"method":"HEAD","url":"Patient/1"}}`, skip, "", "", false, "HEAD"},
		{"PATCH with a resource", `{"resource":{"resourceType":"Parameters","id":"x"},"request":{"method":"PATCH","url":"Patient/1"}}`, skip, "", "", false, "PATCH"},
		{"search outcome", `{"resource":{"resourceType":"OperationOutcome","id":"x"},"search":{"mode":"outcome"}}`, skip, "", "", false, "search outcome"},
		{"search match", `{"resource":{"resourceType":"Patient","id":"x"},"search":{"mode":"match"}}`, write, "Patient", "x", false, ""},
		{"nested Bundle stored", `{"resource":{"resourceType":"Bundle","id":"b","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"in"}}]}}`, write, "Bundle", "b", false, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, d := decide([]byte(tc.entry))
			if d.act != tc.act || d.typ != tc.typ || d.id != tc.id || d.addID != tc.addID || d.reason != tc.reason {
				t.Errorf("got %+v, want act %d typ %q id %q addID %v reason %q", d, tc.act, tc.typ, tc.id, tc.addID, tc.reason)
			}
		})
	}
}
