package ndjson

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// benchMimic is a MIMIC-IV-on-FHIR-shaped line as fhirgen writes it
// (about 370 bytes, the size of most lines of a MIMIC load).
const benchMimic = `{"resourceType":"Observation","id":"chart-231-1","status":"final","code":{"coding":[{"system":"http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-chartevents-d-items","code":"224639","display":"Daily Weight"}]},"subject":{"reference":"Patient/pat-231"},"encounter":{"reference":"Encounter/icu-231-0"},"effectiveDateTime":"2149-06-23T02:07:52-04:00","valueQuantity":{"value":114.46,"unit":"kg"}}`

// benchLines returns the named sample: MIMIC lines, or the Synthea
// Patients of internal/bucket's test data (about 3.4 KB each).
func benchLines(b *testing.B, name string) [][]byte {
	b.Helper()
	if name == "Mimic" {
		return [][]byte{[]byte(benchMimic)}
	}
	data, err := os.ReadFile(filepath.Join("..", "bucket", "testdata", "synthea", "Patient.000.ndjson"))
	if err != nil {
		b.Fatalf("sample data: %v", err)
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n"))
}

// loopReader repeats its data for ever, so that a Reader never ends.
type loopReader struct {
	data []byte
	off  int
}

func (l *loopReader) Read(p []byte) (int, error) {
	n := copy(p, l.data[l.off:])
	l.off = (l.off + n) % len(l.data)
	return n, nil
}

// BenchmarkReaderNext reads one line per op from an endless stream.
func BenchmarkReaderNext(b *testing.B) {
	for _, name := range []string{"Mimic", "Synthea"} {
		b.Run(name, func(b *testing.B) {
			lines := benchLines(b, name)
			var stream []byte
			for len(stream) < 1<<20 {
				for _, l := range lines {
					stream = append(append(stream, l...), '\n')
				}
			}
			count := bytes.Count(stream, []byte("\n"))
			r := NewReader(&loopReader{data: stream}, 0)
			b.SetBytes(int64(len(stream) / count))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkInspect checks one line and takes its resourceType and id.
func BenchmarkInspect(b *testing.B) {
	for _, name := range []string{"Mimic", "Synthea"} {
		b.Run(name, func(b *testing.B) {
			lines := benchLines(b, name)
			size := 0
			for _, l := range lines {
				size += len(l)
			}
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := Inspect(lines[i]); err != nil {
					b.Fatal(err)
				}
				i = (i + 1) % len(lines)
			}
		})
	}
}

// BenchmarkPeek takes a line's resourceType and id without validating it,
// as the planning passes do.
func BenchmarkPeek(b *testing.B) {
	for _, name := range []string{"Mimic", "Synthea"} {
		b.Run(name, func(b *testing.B) {
			lines := benchLines(b, name)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, ok := peek(lines[i]); !ok {
					b.Fatal("no resourceType and id")
				}
				i = (i + 1) % len(lines)
			}
		})
	}
}
