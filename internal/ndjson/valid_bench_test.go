package ndjson

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"testing"
)

// BenchmarkValid compares the validator with json.Valid on a Synthea line.
func BenchmarkValid(b *testing.B) {
	f, err := os.Open("../../testdata/sample/synthea-smart-bulk-10-patients/Encounter.000.ndjson.gz")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	data, err := io.ReadAll(zr)
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
