package series

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// TestWritePrometheus parses the endpoint's text with the Prometheus
// client library's parser and checks the figures.
func TestWritePrometheus(t *testing.T) {
	c := &clock{t: time.Unix(1_700_000_000, 0)}
	r := New(Options{Job: "j", Now: c.now, Nodes: []string{"http://a/fhir", "http://b/fhir"},
		Sources: Sources{Proc: fixedProc, Nodes: func() []NodePoint { return []NodePoint{{Resources: 30}, {Resources: 12}} }}})
	r.SetGate(func() (float64, int, int) { return 0, 3, 5 })
	r.Confirmed(40, 1, 1)
	for _, ms := range []int{3, 3, 100, 5000} {
		r.Request(time.Duration(ms) * time.Millisecond)
	}
	r.Retried(&fhir.StatusError{Code: 503})
	r.RetriedEntries(2)
	c.advance(5 * time.Second)
	r.Sample() // the totals are not the series': a closed point changes nothing
	var b bytes.Buffer
	if err := r.WritePrometheus(&b); err != nil {
		t.Fatal(err)
	}
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(&b)
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the text: %v", err)
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
		f, ok := fams[name]
		if !ok {
			t.Fatalf("no %s", name)
		}
	next:
		for _, m := range f.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.Label {
					if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			}
		}
		t.Fatalf("no %s %v", name, labels)
		return 0
	}
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"minio_to_fhir_resources_total", []string{"outcome", "written"}, 40},
		{"minio_to_fhir_resources_total", []string{"outcome", "failed"}, 1},
		{"minio_to_fhir_retries_total", []string{"cause", "5xx"}, 1},
		{"minio_to_fhir_retries_total", []string{"cause", "conflict"}, 2},
		{"minio_to_fhir_bundles_in_flight", nil, 3},
		{"minio_to_fhir_concurrency_limit", nil, 5},
		{"minio_to_fhir_node_resources_total", []string{"node", "http://b/fhir"}, 12},
		{"minio_to_fhir_resident_memory_bytes", nil, 64 << 20},
	}
	for _, tt := range tests {
		if got := value(tt.name, tt.labels...); got != tt.want {
			t.Errorf("%s%v: got %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	h := fams["minio_to_fhir_request_duration_seconds"].Metric[0].Histogram
	if h.GetSampleCount() != 4 || math.Abs(h.GetSampleSum()-5.106) > 1e-9 {
		t.Errorf("got %d requests taking %v s, want 4 taking 5.106", h.GetSampleCount(), h.GetSampleSum())
	}
	for _, bk := range h.Bucket {
		want := map[float64]uint64{0.004: 2, 0.064: 2, 0.128: 3, 4.096: 3, 8.192: 4}[bk.GetUpperBound()]
		if want > 0 && bk.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: got %d, want %d", bk.GetUpperBound(), bk.GetCumulativeCount(), want)
		}
	}
}
