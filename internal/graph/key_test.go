package graph

import (
	"hash/fnv"
	"testing"
)

func TestKey(t *testing.T) {
	tests := []struct{ typ, id string }{
		{"Patient", "1"},
		{"Observation", "0a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.id, func(t *testing.T) {
			h := fnv.New64a()
			h.Write([]byte(tt.typ + "/" + tt.id))
			want := h.Sum64()
			if got := Key(tt.typ, tt.id); got != want {
				t.Errorf("Key: got %#x, want %#x", got, want)
			}
			if got := KeyBytes(tt.typ, []byte(tt.id)); got != want {
				t.Errorf("KeyBytes: got %#x, want %#x", got, want)
			}
		})
	}
	if Key("Patient", "1") == Key("Patient", "2") || Key("Patient", "1") == Key("Group", "1") {
		t.Error("different resources share a key")
	}
}
