package ndjson

import (
	"encoding/json"
	"os"
	"testing"
)

// BenchmarkValid compares the validator with json.Valid on a Synthea line.
func BenchmarkValid(b *testing.B) {
	data, err := os.ReadFile("../../../shared/data/synthea-smart-bulk-10-patients/Encounter.000.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	line := data[:indexNL(data)]
	for _, c := range []struct {
		name string
		fn   func([]byte) bool
	}{{"ours", validJSON}, {"encoding-json", json.Valid}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				if !c.fn(line) {
					b.Fatal("invalid")
				}
			}
		})
	}
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return len(b)
}
