package plan

import (
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

func TestLocalRef(t *testing.T) {
	const base = "http://127.0.0.1:8080/fhir"
	tests := []struct {
		ref      string
		typ, id  string
		cond, ok bool
	}{
		{"Patient/p1", "Patient", "p1", false, true},
		{"MedicationRequest/a.b-C", "MedicationRequest", "a.b-C", false, true},
		{base + "/Patient/p1", "Patient", "p1", false, true},
		{"Patient?identifier=http://x|1", "Patient", "", true, true},
		{"Foo/1", "", "", false, false},
		{"patient/1", "", "", false, false},
		{"Patient/bad id", "", "", false, false},
		{"Patient/", "", "", false, false},
		{"#contained", "", "", false, false},
		{"http://elsewhere.org/fhir/Patient/p1", "", "", false, false},
		{"urn:uuid:0a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d", "", "", false, false},
		{"", "", "", false, false},
	}
	for _, tc := range tests {
		typ, ti, id, cond, ok := localRef([]byte(tc.ref), base)
		if typ != tc.typ || string(id) != tc.id || cond != tc.cond || ok != tc.ok {
			t.Errorf("localRef(%q) = %q, %q, cond %v, ok %v; want %q, %q, cond %v, ok %v", tc.ref, typ, id, cond, ok, tc.typ, tc.id, tc.cond, tc.ok)
		}
		if ok && fhirtype.R4[ti] != typ {
			t.Errorf("localRef(%q): type index %d is not %s", tc.ref, ti, typ)
		}
	}
}
