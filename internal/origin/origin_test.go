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
		{"a Bundle on a line", "b/tx.ndjson:3", 12, "b/tx.ndjson:3 entry 12", "entry 12"},
		{"a Bundle on a line, gz", "tx.ndjson.gz:10", 1, "tx.ndjson.gz:10 entry 1", "entry 1"},
		{"a colon in a name", "a:b.ndjson", 4, "a:b.ndjson:4", "line 4"},
		{"not a number", "x.ndjson:3a", 4, "x.ndjson:3a:4", "line 4"},
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
