package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/limit"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/report"
	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/internal/verify"
)

func testUploadConfig(t *testing.T) *uploadConfig {
	t.Helper()
	nodes, err := newNodes([]string{"http://127.0.0.1:8080/fhir"}, fhir.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return &uploadConfig{
		uploadOptions: uploadOptions{batchSize: 200, batchBytes: "1MiB", batchRefs: 10000, concurrency: 8, maxConcurrency: 8, adaptive: true,
			failureLog: "upload_failures.log", order: plan.OrderData, ckptDir: "/state", txSemantics: txAuto,
			htmlReportFlags: htmlReportFlags{seriesInterval: 5 * time.Second, authKind: "HTTP Basic"}},
		nodes: nodes, src: source.Dir{Path: "data"},
	}
}

func testPlan() *plan.Plan {
	return &plan.Plan{Steps: []plan.Step{
		{Types: []string{"Organization", "Patient"}, Files: []plan.File{
			{File: source.File{Name: "Organization.ndjson"}, ResourceType: "Organization", Lines: 40},
			{File: source.File{Name: "Patient.ndjson.gz"}, ResourceType: "Patient", Lines: 600}}},
		{Types: []string{"Encounter"}, Files: []plan.File{{File: source.File{Name: "Encounter.ndjson"}, ResourceType: "Encounter", Lines: 2000}}},
	}}
}

func testSeries() series.Series {
	s := series.Series{Job: "j", Interval: 5, Runs: []series.Run{{T: 0}}}
	for i := range 12 {
		s.Points = append(s.Points, series.Point{T: float64(i * 5), Seconds: 5, Written: 40, Failed: i % 5 / 4, Requests: 2,
			InFlight: 1.5, Limit: 2, P50: 400, P95: 800, Max: 900, CPU: 0.1, RSS: 40 << 20})
	}
	s.Refusals = []series.Refusal{{Status: 422, Reason: "HAPI-0522: Unable to store a Bundle", Count: 2,
		Examples: []series.Example{{Resource: "Bundle/b1", Message: "HAPI-0522: Unable to store a Bundle"}}}}
	return s
}

// TestReportPagesGolden renders the upload report while the load runs
// and at its end, and the verify report.
func TestReportPagesGolden(t *testing.T) {
	cfg := testUploadConfig(t)
	sum := &transfer.Summary{Files: 3, Counts: transfer.Counts{Read: 2640, Created: 2638, Failed: 2},
		ByType:  map[string]transfer.Counts{"Patient": {Read: 600, Created: 600}, "Bundle": {Read: 2, Failed: 2}},
		Batches: 14, Duration: 61 * time.Second, Seconds: 61, FailureLog: "upload_failures.log",
		Concurrency: limit.Stats{Adaptive: true, Min: 1, Max: 8, Settled: 2, Lowest: 2, Highest: 3}, TransactionFirst: transfer.TxFirst{On: true, Mode: "auto", Why: "HAPI FHIR Server 8.8.0"}}
	nodes := []cluster.NodeStats{{URL: "http://127.0.0.1:8080/fhir", Requests: 14, Resources: 2640, Up: true}}
	vrep := &verify.Report{
		Types:   []verify.TypeReport{{Type: "Patient", Input: 600, Found: 599, Missing: 1, ServerTotal: 650}},
		Total:   verify.TypeReport{Input: 600, Found: 599, Missing: 1, ServerTotal: 650},
		Missing: []verify.Example{{Type: "Patient", ID: "p9", File: "Patient.ndjson", Line: 9}}, Searches: 12,
	}
	vo := verifyOptions{batchSize: 50, concurrency: 4, examples: 20, verifyHTMLFlags: verifyHTMLFlags{authKind: "none"}}
	vo.retries, vo.timeout = 6, 5*time.Minute
	tests := []struct {
		name string
		page *report.Page
	}{
		{"upload_running.golden.html", uploadPage(cfg, 30*time.Second, testPlan(), testSeries(), nil, nil, nodes)},
		{"upload_finished.golden.html", uploadPage(cfg, 30*time.Second, testPlan(), testSeries(), sum, nil, nodes)},
		{"verify.golden.html", verifyPage(vo, "http://127.0.0.1:8080/fhir", source.Dir{Path: "data"}, vrep)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.page.Generated = "2026-12-01 12:00:00 UTC"
			var b bytes.Buffer
			if err := report.Render(&b, tt.page); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, tt.name, b.String())
		})
	}
}

// TestReportETA: the running page shows an estimate once the series has
// half a minute of points, and none before.
func TestReportETA(t *testing.T) {
	s := testSeries()
	short := s
	short.Points = s.Points[:3]
	tests := []struct {
		name string
		s    series.Series
		want string
	}{
		{"too early", short, ""},
		// 2,640 in the plan, 480 + 2 confirmed in 60 s: 2,158 left at 8.03/s.
		{"a minute in", s, "About 4m 29s left (an estimate: 2,158 resources to go at the rate of the last 2 minutes)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eta(testPlan(), tt.s); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
