package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// begin serves the metrics (with --metrics-addr) and starts the report;
// stop ends the metrics.
func (lr *liveReport) begin(gate func() (float64, int, int)) (stop func(), err error) {
	stop, err = lr.serveMetrics()
	if err != nil {
		return nil, err
	}
	if err := lr.start(gate); err != nil {
		stop()
		return nil, err
	}
	return stop, nil
}

// serveMetrics serves the load's figures in the Prometheus text format at
// http://--metrics-addr/metrics until stop is called (nothing without
// --metrics-addr). Nothing else is served.
func (lr *liveReport) serveMetrics() (stop func(), err error) {
	addr := lr.cfg.metricsAddr
	if addr == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		lr.rec.WritePrometheus(w) //nolint:errcheck // the scraper went away
		fmt.Fprintf(w, "# HELP minio_to_fhir_resources_planned Resources in the plan of this load.\n# TYPE minio_to_fhir_resources_planned gauge\nminio_to_fhir_resources_planned %d\n", lr.plan.Lines())
		if d, ok := etaOf(lr.plan, lr.rec.Snapshot()); ok {
			fmt.Fprintf(w, "# HELP minio_to_fhir_eta_seconds An estimate of the time left, from the rate of the last 2 minutes.\n# TYPE minio_to_fhir_eta_seconds gauge\nminio_to_fhir_eta_seconds %.0f\n", d.Seconds())
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the listener failed: the load goes on without it
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck // a scrape in progress is cut
		<-done
	}, nil
}
