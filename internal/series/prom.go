package series

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// totals are the figures of this process's run, for the Prometheus
// endpoint: counters from zero at the start of the process, as
// Prometheus expects of a restarted one.
type totals struct {
	written, unchanged, failed int
	requests                   int
	latencySum                 float64 // seconds
	hist                       []int
	retries                    Retries
}

// WritePrometheus writes the figures of this run in the Prometheus text
// format (version 0.0.4): resources by outcome, requests and their
// latency, retries by cause, Bundles in flight and the limit, each node's
// resources, the client's CPU and memory.
func (r *Recorder) WritePrometheus(w io.Writer) error {
	r.mu.Lock()
	t := r.tot
	t.hist = append([]int(nil), r.tot.hist...)
	gate, nodesFn, proc, names := r.src.Gate, r.src.Nodes, r.src.Proc, r.s.Nodes
	r.mu.Unlock()

	var b strings.Builder
	metric := func(name, typ, help string) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}
	metric("minio_to_fhir_resources_total", "counter", "Resources whose outcome the server confirmed, by outcome.")
	for _, o := range []struct {
		name string
		n    int
	}{{"written", t.written}, {"unchanged", t.unchanged}, {"failed", t.failed}} {
		fmt.Fprintf(&b, "minio_to_fhir_resources_total{outcome=%q} %d\n", o.name, o.n)
	}
	metric("minio_to_fhir_retries_total", "counter", "Requests (or entries, for conflicts) sent again, by cause.")
	for _, c := range []struct {
		name string
		n    int
	}{{"network", t.retries.Network}, {"408", t.retries.Timeout}, {"429", t.retries.Throttle}, {"5xx", t.retries.Server}, {"conflict", t.retries.Conflict}, {"other", t.retries.Other}} {
		fmt.Fprintf(&b, "minio_to_fhir_retries_total{cause=%q} %d\n", c.name, c.n)
	}
	metric("minio_to_fhir_request_duration_seconds", "histogram", "Time from sending a Bundle to its answer (or error).")
	// Fixed buckets at each doubling from 2 ms (those of the histogram
	// that end there), so that the set of series stays the same.
	seen, i := 0, 0
	for k := 1; k*bucketsPerDoubling < buckets; k++ {
		for ; i < k*bucketsPerDoubling; i++ {
			if i < len(t.hist) {
				seen += t.hist[i]
			}
		}
		fmt.Fprintf(&b, "minio_to_fhir_request_duration_seconds_bucket{le=%q} %d\n", formatFloat(bucketTop(i-1)/1000), seen)
	}
	fmt.Fprintf(&b, "minio_to_fhir_request_duration_seconds_bucket{le=\"+Inf\"} %d\n", t.requests)
	fmt.Fprintf(&b, "minio_to_fhir_request_duration_seconds_sum %s\n", formatFloat(t.latencySum))
	fmt.Fprintf(&b, "minio_to_fhir_request_duration_seconds_count %d\n", t.requests)
	if gate != nil {
		_, inFlight, limit := gate()
		metric("minio_to_fhir_bundles_in_flight", "gauge", "Bundles sent and not yet answered.")
		fmt.Fprintf(&b, "minio_to_fhir_bundles_in_flight %d\n", inFlight)
		metric("minio_to_fhir_concurrency_limit", "gauge", "The most Bundles allowed in flight now.")
		fmt.Fprintf(&b, "minio_to_fhir_concurrency_limit %d\n", limit)
	}
	if nodesFn != nil && len(names) > 1 {
		nodes := nodesFn()
		metric("minio_to_fhir_node_resources_total", "counter", "Entries of the Bundles each node answered.")
		for i, n := range nodes {
			if i < len(names) {
				fmt.Fprintf(&b, "minio_to_fhir_node_resources_total{node=%q} %d\n", names[i], n.Resources)
			}
		}
	}
	cpu, rss := proc()
	metric("minio_to_fhir_cpu_seconds_total", "counter", "CPU time (user and system) the client used.")
	fmt.Fprintf(&b, "minio_to_fhir_cpu_seconds_total %s\n", formatFloat(cpu.Seconds()))
	metric("minio_to_fhir_resident_memory_bytes", "gauge", "The client's resident memory.")
	fmt.Fprintf(&b, "minio_to_fhir_resident_memory_bytes %d\n", rss)
	_, err := io.WriteString(w, b.String())
	return err
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
