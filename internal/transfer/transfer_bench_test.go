package transfer

import (
	"context"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

// instantSender answers every Bundle at once, all created, without
// reading it: what is left is the pipeline's own cost.
type instantSender struct{}

func (instantSender) Post(_ context.Context, _ []byte, n int) ([]fhir.EntryResult, error) {
	return allStatus(n, fhir.Created, 201), nil
}

// BenchmarkPipeline plans and uploads a generated MIMIC-shaped data set
// (100 patients, about 20,000 resources, 8 MB) per op, with each order,
// to a sender that answers at once: reading, checking, planning,
// batching and collecting, without HTTP and response parsing.
func BenchmarkPipeline(b *testing.B) {
	dir := b.TempDir()
	m, err := synth.Generate(context.Background(), dir, synth.Options{Patients: 100, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for _, order := range []string{plan.OrderStatic, plan.OrderData} {
		b.Run(order, func(b *testing.B) {
			ctx := context.Background()
			b.SetBytes(m.NDJSONBytes)
			b.ReportAllocs()
			var elapsed time.Duration
			ops := 0
			for b.Loop() {
				start := time.Now()
				files, err := source.Dir{Path: dir}.List(ctx)
				if err != nil {
					b.Fatal(err)
				}
				p, err := plan.Build(ctx, files, plan.Options{Order: order})
				if err != nil {
					b.Fatal(err)
				}
				sum, err := New(instantSender{}, Options{TempDir: b.TempDir()}).Run(ctx, p)
				if err != nil || sum.Read != m.Resources || sum.Failed != 0 {
					b.Fatalf("read %d of %d, %d failed, %v", sum.Read, m.Resources, sum.Failed, err)
				}
				elapsed += time.Since(start)
				ops++
			}
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(ops*m.Resources), "ns/resource")
		})
	}
}
