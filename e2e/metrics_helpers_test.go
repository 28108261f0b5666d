//go:build e2e

package e2e

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

// scrapeDuring runs load and scrapes http://addr/metrics every 100 ms
// while it runs; it returns the bodies of the scrapes that succeeded.
func scrapeDuring(t *testing.T, addr string, load func()) []string {
	t.Helper()
	var bodies []string
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			resp, err := client.Get("http://" + addr + "/metrics")
			if err != nil {
				continue // not yet listening, or already stopped
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == 200 {
				bodies = append(bodies, string(b))
			}
		}
	}()
	load()
	close(done)
	wg.Wait()
	return bodies
}

// parseMetrics parses a scrape with the Prometheus client library's
// text parser.
func parseMetrics(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("the Prometheus parser refuses the scrape: %v\n%s", err, body)
	}
	return fams
}

// metricValue is the value of the family's metric with the label, or
// the first one when label is "".
func metricValue(t *testing.T, fams map[string]*dto.MetricFamily, name, label, value string) float64 {
	t.Helper()
	f, ok := fams[name]
	if !ok {
		t.Fatalf("the scrape has no %s", name)
	}
	for _, m := range f.Metric {
		match := label == ""
		for _, l := range m.Label {
			if l.GetName() == label && l.GetValue() == value {
				match = true
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("the scrape has no %s{%s=%q}", name, label, value)
	return 0
}
