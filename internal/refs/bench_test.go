package refs

import (
	"bufio"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// mimicObservation is a small MIMIC-IV-on-FHIR-like Observation line.
const mimicObservation = `{"resourceType":"Observation","id":"0a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d","status":"final",` +
	`"code":{"coding":[{"system":"http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-d-labitems","code":"50912"}]},` +
	`"subject":{"reference":"Patient/1b2c3d4e-5f6a-5b7c-8d9e-0f1a2b3c4d5e"},` +
	`"specimen":{"reference":"Specimen/2c3d4e5f-6a7b-5c8d-9e0f-1a2b3c4d5e6f"},"valueQuantity":{"value":1.1}}`

// firstLine returns the first line of a gzip-compressed sample file.
func firstLine(b *testing.B, name string) []byte {
	b.Helper()
	f, err := os.Open(filepath.Join(sampleData, name))
	if err != nil {
		b.Fatalf("sample data: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatalf("sample data %s: %v", name, err)
	}
	sc := bufio.NewScanner(zr)
	sc.Buffer(nil, 1<<20)
	if !sc.Scan() {
		b.Fatalf("read %s: no line (%v)", name, sc.Err())
	}
	return sc.Bytes()
}

func BenchmarkEach(b *testing.B) {
	cases := []struct {
		name string
		line []byte
	}{
		{"SyntheaEncounter", firstLine(b, filepath.Join("synthea-smart-bulk-10-patients", "Encounter.000.ndjson.gz"))},
		{"MimicObservation", []byte(mimicObservation)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := 0
			b.SetBytes(int64(len(c.line)))
			b.ReportAllocs()
			for b.Loop() {
				Each(c.line, func(ref []byte) { n += len(ref) })
			}
			if n == 0 {
				b.Fatal("no references found")
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Parse("Patient/1b2c3d4e-5f6a-5b7c-8d9e-0f1a2b3c4d5e", "http://127.0.0.1:8080/fhir")
	}
}
