package synth_test

import (
	"context"
	"os"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// BenchmarkGenerate writes 200 patients (about 40,000 resources) per
// iteration and reports resources/s and NDJSON MB/s.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts synth.Options
	}{
		{"plain", synth.Options{Patients: 200}},
		{"gzip", synth.Options{Patients: 200, Gzip: synth.GzipAll}},
		{"padding1k", synth.Options{Patients: 200, Padding: 1024}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var resources, bytes int64
			for b.Loop() {
				b.StopTimer()
				dir, err := os.MkdirTemp(b.TempDir(), "gen")
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				m, err := synth.Generate(context.Background(), dir, bc.opts)
				if err != nil {
					b.Fatal(err)
				}
				resources += int64(m.Resources)
				bytes += m.NDJSONBytes
			}
			s := b.Elapsed().Seconds()
			b.ReportMetric(float64(resources)/s, "resources/s")
			b.ReportMetric(float64(bytes)/1e6/s, "MB/s")
		})
	}
}
