package origin

import "testing"

func TestAt(t *testing.T) {
	tests := []struct {
		name, file string
		n          int
		at, pos    string
	}{
		{"ndjson", "Patient.ndjson", 3, "Patient.ndjson:3", "line 3"},
		{"ndjson gz", "a/Patient.ndjson.gz", 1, "a/Patient.ndjson.gz:1", "line 1"},
		{"bundle", "fhir/Alice_Smith.json", 12, "fhir/Alice_Smith.json entry 12", "entry 12"},
		{"bundle gz in bucket", "s3://b/x/y.json.gz", 2, "s3://b/x/y.json.gz entry 2", "entry 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := At(tc.file, tc.n); got != tc.at {
				t.Errorf("At: got %q, want %q", got, tc.at)
			}
			if got := Pos(tc.file, tc.n); got != tc.pos {
				t.Errorf("Pos: got %q, want %q", got, tc.pos)
			}
		})
	}
}
