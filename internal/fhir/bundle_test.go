package fhir

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sentBundle is a Bundle as the server reads it.
type sentBundle struct {
	ResourceType string
	Type         string
	Entry        []struct {
		Request struct {
			Method string
			URL    string
		}
		Resource json.RawMessage
	}
}

type sentEntry struct {
	Method, URL, Resource string
}

func decodeBundle(t *testing.T, body []byte) (kind string, entries []sentEntry) {
	t.Helper()
	if !json.Valid(body) {
		t.Fatalf("bundle is not valid JSON: %s", body)
	}
	var b sentBundle
	if err := json.Unmarshal(body, &b); err != nil {
		t.Fatalf("decode bundle: %v", err)
	}
	if b.ResourceType != "Bundle" {
		t.Errorf("resourceType: got %q, want Bundle", b.ResourceType)
	}
	entries = []sentEntry{}
	for _, e := range b.Entry {
		entries = append(entries, sentEntry{e.Request.Method, e.Request.URL, string(e.Resource)})
	}
	return b.Type, entries
}

func TestBuilder(t *testing.T) {
	patient := `{"resourceType":"Patient","id":"p1","zeta":1,"alpha":[1.50,1e2,-0.0],"name":[{"family":"Ünïcode \"q\""}]}`
	obs := `{ "resourceType" : "Observation", "id" : "o.1", "valueQuantity": {"value": 7.250} }`
	tests := []struct {
		name string
		kind Kind
		add  [][3]string // type, id, resource
		want []sentEntry
	}{
		{
			name: "batch",
			kind: Batch,
			add:  [][3]string{{"Patient", "p1", patient}, {"Observation", "o.1", obs}},
			want: []sentEntry{{"PUT", "Patient/p1", patient}, {"PUT", "Observation/o.1", obs}},
		},
		{
			name: "transaction",
			kind: Transaction,
			add:  [][3]string{{"Patient", "p1", patient}},
			want: []sentEntry{{"PUT", "Patient/p1", patient}},
		},
		{
			name: "empty",
			kind: Batch,
			want: []sentEntry{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder(tt.kind)
			for _, a := range tt.add {
				b.Add(a[0], a[1], []byte(a[2]))
			}
			if got, want := b.Len(), len(tt.add); got != want {
				t.Errorf("Len() = %d, want %d", got, want)
			}
			for i, a := range tt.add {
				if got := string(b.Resource(i)); got != a[2] {
					t.Errorf("Resource(%d) = %s, want %s", i, got, a[2])
				}
			}
			body := b.Bytes()
			if got := b.Size(); got != len(body) {
				t.Errorf("Size() = %d, want %d", got, len(body))
			}
			kind, entries := decodeBundle(t, body)
			if kind != string(tt.kind) {
				t.Errorf("type: got %q, want %q", kind, tt.kind)
			}
			// RawMessage keeps the bytes: a reformatted decimal or a
			// reordered key would show here.
			if diff := cmp.Diff(tt.want, entries); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
			// Resource still returns the spans after Bytes closed the Bundle.
			for i, a := range tt.add {
				if got := string(b.Resource(i)); got != a[2] {
					t.Errorf("after Bytes: Resource(%d) = %s, want %s", i, got, a[2])
				}
			}
			if again := b.Bytes(); !bytes.Equal(again, body) {
				t.Errorf("second Bytes() = %s, want %s", again, body)
			}
		})
	}
}

func TestBuilderReset(t *testing.T) {
	b := NewBuilder(Transaction)
	for i := 0; i < 3; i++ {
		b.Add("Patient", "old", []byte(`{"resourceType":"Patient","id":"old"}`))
	}
	first := len(b.Bytes())
	b.Reset()
	if got := b.Len(); got != 0 {
		t.Errorf("Len() after Reset = %d, want 0", got)
	}
	enc := `{"resourceType":"Encounter","id":"e1"}`
	b.Add("Encounter", "e1", []byte(enc))
	body := b.Bytes()
	if len(body) >= first {
		t.Errorf("body after Reset is %d bytes, want fewer than %d", len(body), first)
	}
	kind, entries := decodeBundle(t, body)
	if kind != "transaction" {
		t.Errorf("type: got %q, want transaction", kind)
	}
	want := []sentEntry{{"PUT", "Encounter/e1", enc}}
	if diff := cmp.Diff(want, entries); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if got := string(b.Resource(0)); got != enc {
		t.Errorf("Resource(0) = %s, want %s", got, enc)
	}
}

// TestBuilderURLText: the entry's url is valid JSON whatever the type and
// id hold (the callers check them, the Builder does not rely on it).
func TestBuilderURLText(t *testing.T) {
	for _, id := range []string{"p1", "a.b-C", `q"uote`, `back\slash`, "ctl\x01", "é", ""} {
		b := NewBuilder(Batch)
		b.Add("Patient", id, []byte(`{}`))
		var got struct {
			Entry []struct {
				Request struct{ URL string } `json:"request"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(b.Bytes(), &got); err != nil {
			t.Fatalf("id %q: the Bundle is not JSON: %v\n%s", id, err, b.Bytes())
		}
		if len(got.Entry) != 1 || got.Entry[0].Request.URL != "Patient/"+id {
			t.Errorf("id %q: got %+v", id, got.Entry)
		}
	}
}
