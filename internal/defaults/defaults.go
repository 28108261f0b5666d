// Package defaults is the one table of the tool's defaults. The packages
// that do the work fill their zero options from it, the command line's
// flags start from it, and tests hold the help text and the README to it.
package defaults

import (
	"strconv"
	"time"
)

// Upload: the Bundles. The figures come from measurements against the
// test-bed HAPI (8.8, referential integrity on; bench/RESULTS.md): HAPI
// spends about 0.75 ms per reference it checks, about 4 ms per small
// resource and about 0.1 s per MiB of plain content.
const (
	// BatchSize is the resources per Bundle. On the benchmark grid
	// (bench/GRID.md, transaction first, H2 and PostgreSQL) 200 is the
	// best size for small resources (MIMIC-shaped, 440 bytes each: 3-6%
	// ahead of 100, 500 behind), and level with 50 and 100 for Synthea's
	// (2,170 bytes on average).
	BatchSize = 200
	// BatchBytes bounds a Bundle's body and so what every Bundle in
	// flight holds in memory, here and on the server. Bytes cost HAPI the
	// same per MiB whatever the Bundle, so the cap is not about speed: at
	// 200 a Bundle, 1 MiB and 4 MiB were level side by side on Synthea.
	BatchBytes = 1 << 20
	// BatchRefs bounds the references of a Bundle: 10,000 take HAPI about
	// 8 s, far inside the timeout even on a slower server.
	BatchRefs = 10000
	// Concurrency is the Bundles in flight when nothing else is said
	// (the command line's default is adaptive, up to MaxConcurrency).
	Concurrency = 2
	// MaxConcurrency bounds the adaptive concurrency, per node of the
	// server. HAPI works each Bundle on one request thread with one
	// database connection, and its connection pool is 10 by default
	// (Spring Boot's Hikari default, which the HAPI starter keeps): more
	// Bundles in flight than connections only queue, or fail with
	// "connection pool exhausted". 8 stays below that and leaves two
	// connections for other users; the limit finds the point below it
	// where latency starts to rise.
	MaxConcurrency = 8
)

// Requests to the FHIR server, for upload and verify alike.
const (
	// Timeout is the shortest wait for an answer; a Bundle of huge
	// resources gets longer, up to TimeoutMax.
	Timeout    = 5 * time.Minute
	TimeoutMax = 30 * time.Minute
	// Retries is the tries of a request on network errors, 408, 429 and
	// 5xx, backoff between them.
	Retries = 6
)

// Verify.
const (
	// VerifyBatchSize is the ids per search: 50 is HAPI's largest page by
	// default.
	VerifyBatchSize = 50
	// VerifyConcurrency is the searches in flight.
	VerifyConcurrency = 4
	// Examples is the missing and differing resources a report names.
	Examples = 20
)

// Places and names.
const (
	BaseURL    = "http://localhost:8080/fhir"
	TmpDir     = "/tmp/fhir-upload"
	FailureLog = "upload_failures.log"
	// SeriesInterval is the first interval of the load's time series.
	SeriesInterval = 5 * time.Second
	// DownloadConcurrency is the objects a download fetches at once.
	DownloadConcurrency = 4
)

// Setting is a default as the help and the README write it.
type Setting struct {
	Command string // "" for every command that has the flag
	Flag    string // long name, without dashes
	Value   string
}

// Table is every default of the command line, as text.
func Table() []Setting {
	return []Setting{
		{"", "input", TmpDir},
		{"download", "output", TmpDir},
		{"", "fhir-url", BaseURL},
		{"upload", "batch-size", strconv.Itoa(BatchSize)},
		{"upload", "batch-bytes", strconv.Itoa(BatchBytes>>20) + "MiB"},
		{"upload", "batch-refs", strconv.Itoa(BatchRefs)},
		{"upload", "max-concurrency", strconv.Itoa(MaxConcurrency) + " per node"},
		{"upload", "failure-log", FailureLog},
		{"upload", "timeout-max", TimeoutMax.String()},
		{"upload", "series-interval", SeriesInterval.String()},
		{"", "retries", strconv.Itoa(Retries)},
		{"", "timeout", Timeout.String()},
		{"verify", "batch-size", strconv.Itoa(VerifyBatchSize)},
		{"verify", "concurrency", strconv.Itoa(VerifyConcurrency)},
		{"verify", "examples", strconv.Itoa(Examples)},
		{"download", "concurrency", strconv.Itoa(DownloadConcurrency)},
		{"upload", "tx-semantics", "auto"},
		{"upload", "report-html", "upload_report.html beside the failure log"},
		{"upload", "checkpoint-dir", "~/.local/state/minio-to-fhir"},
		{"", "work-dir", "$TMPDIR or /tmp"},
	}
}

// Lookup returns the default of a command's flag as text.
func Lookup(command, flag string) (string, bool) {
	for _, s := range Table() {
		if s.Flag == flag && (s.Command == "" || s.Command == command) {
			return s.Value, true
		}
	}
	return "", false
}
