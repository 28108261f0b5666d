package cli

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/report"
	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// htmlReportFlags are the flags of the HTML report and its time series.
type htmlReportFlags struct {
	reportHTML     string
	seriesInterval time.Duration
	authKind       string // for the report: the kind of credentials, never them
	metricsAddr    string
}

func (o *htmlReportFlags) bind(fs flagBinder) {
	fs.StringVar(&o.reportHTML, "report-html", "", "")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "")
	fs.DurationVar(&o.seriesInterval, "series-interval", defaults.SeriesInterval, "")
}

// check reports a usage error in the flags.
func (o *htmlReportFlags) check() error {
	if o.seriesInterval < 100*time.Millisecond {
		return usageErrorf("--series-interval %s is too short: use 100ms or more", o.seriesInterval)
	}
	if o.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(o.metricsAddr); err != nil {
			return usageErrorf("--metrics-addr %q: use host:port, e.g. 127.0.0.1:9464", o.metricsAddr)
		}
	}
	return nil
}

// htmlEvery is how often the report is rewritten during a load, in
// points of the series' first interval (30 s by default): at the end of
// the first point after that.
const htmlEvery = 6

// defaultReportHTML is upload_report.html next to the failure log.
func defaultReportHTML(failureLog string) string {
	return filepath.Join(filepath.Dir(failureLog), "upload_report.html")
}

// seriesPath is where the series of the report at html is written:
// beside it, with .series.json for .html.
func seriesPath(html string) string {
	return strings.TrimSuffix(html, filepath.Ext(html)) + ".series.json"
}

// liveReport keeps the series of a load and rewrites its HTML report as
// the load goes.
type liveReport struct {
	rec    *series.Recorder
	html   string
	cfg    *uploadConfig
	plan   *plan.Plan
	cl     *cluster.Cluster
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	written time.Time
	err     error
}

// newLiveReport starts the series of the job ckpt names (continuing it
// when the job is resumed); start starts the rewriting of the report.
func newLiveReport(cfg *uploadConfig, p *plan.Plan, cl *cluster.Cluster, ckpt string, resumed bool) *liveReport {
	html := cfg.reportHTML
	if html == "" {
		html = defaultReportHTML(cfg.failureLog)
	}
	var urls []string
	for _, n := range cl.Stats() {
		urls = append(urls, n.URL)
	}
	rec := series.New(series.Options{
		Job:      strings.TrimSuffix(filepath.Base(ckpt), ".ckpt"),
		Nodes:    urls,
		Interval: cfg.seriesInterval,
		Resume:   resumed,
		Path:     seriesPath(html),
		Sources: series.Sources{
			Nodes: func() []series.NodePoint {
				var out []series.NodePoint
				for _, n := range cl.Stats() {
					out = append(out, series.NodePoint{Requests: n.Requests, Errors: n.Errors, Resources: n.Resources})
				}
				return out
			},
		},
	})
	return &liveReport{rec: rec, html: html, cfg: cfg, plan: p, cl: cl}
}

// start reads the Bundles in flight from gate, writes the first page (so
// that it can be opened from the start) and rewrites it as the load goes.
func (lr *liveReport) start(gate func() (float64, int, int)) error {
	lr.rec.SetGate(gate)
	if err := lr.write(lr.rec.Snapshot(), nil, nil); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	lr.cancel = cancel
	lr.wg.Add(1)
	go func() {
		defer lr.wg.Done()
		lr.rec.Run(ctx, func(s series.Series) {
			lr.mu.Lock()
			due := time.Since(lr.written) >= lr.every()
			lr.mu.Unlock()
			if due && ctx.Err() == nil {
				lr.write(s, nil, nil) //nolint:errcheck // kept in lr.err
			}
		})
	}()
	return nil
}

// every is how often the report is rewritten.
func (lr *liveReport) every() time.Duration { return htmlEvery * lr.cfg.seriesInterval }

// finishInto stops the series, writes the final report and puts the
// series and the report's path into the summary.
func (lr *liveReport) finishInto(all *uploadJSON, runErr error) error {
	lr.cancel()
	lr.wg.Wait()
	s := lr.rec.Snapshot()
	all.Series, all.ReportHTML, all.SeriesFile = &s, lr.html, lr.rec.Path()
	if err := lr.write(s, all.Summary, runErr); err != nil {
		return err
	}
	return lr.rec.Err()
}

// write renders the page: of the load so far when sum is nil, else of
// its end.
func (lr *liveReport) write(s series.Series, sum *transfer.Summary, runErr error) error {
	pg := uploadPage(lr.cfg, lr.every(), lr.plan, s, sum, runErr, lr.cl.Stats())
	pg.Generated = time.Now().UTC().Format("2006-01-02 15:04:05 UTC")
	err := report.Write(lr.html, pg)
	lr.mu.Lock()
	defer lr.mu.Unlock()
	lr.written = time.Now()
	if err != nil && lr.err == nil {
		lr.err = err
	}
	return err
}

// eta is the report's estimate of the time left, "" when there is none
// yet.
func eta(p *plan.Plan, s series.Series) string {
	d, ok := etaOf(p, s)
	if !ok {
		return ""
	}
	return fmt.Sprintf("About %s left (an estimate: %s resources to go at the rate of the last %s)",
		progress.Duration(d.Round(time.Second)), progress.Thousands(leftOf(p, s)), progress.Plural(int(series.Recent/60), "minute", "minutes"))
}

// authKind names the kind of credentials for the report: never the
// credentials themselves.
func authKind(c *serverCreds, urls []string) string {
	kind := "none"
	switch c.auth.(type) {
	case fhir.BasicAuth:
		kind = "HTTP Basic"
	case fhir.BearerToken:
		kind = "bearer token"
	}
	if c.tokens != nil {
		kind = "OAuth2 client credentials"
	}
	for _, u := range urls {
		if pu, err := fhir.ParseBaseURL(u); err == nil && pu.User != nil && kind == "none" {
			kind = "HTTP Basic (from the URL)"
		}
	}
	if c.tls != nil && len(c.tls.Certificates) > 0 {
		kind += ", a client certificate"
	}
	return kind
}

// printReportHTML names the report and the series in the summary.
func printReportHTML(w io.Writer, all uploadJSON) {
	if all.ReportHTML != "" {
		fmt.Fprintf(w, "Report: %s (time series: %s)\n", all.ReportHTML, all.SeriesFile)
	}
}

// leftOf is the resources of the plan the series has not confirmed (-1
// when the plan's files were not all counted).
func leftOf(p *plan.Plan, s series.Series) int {
	total := p.Lines()
	if total < 0 {
		return -1
	}
	w, u, f := s.Totals()
	left := total - w - u - f
	if a := p.Analysis; a != nil {
		left -= a.Duplicates.Superseded
	}
	return left
}

// etaOf estimates the time left from the series' recent rate.
func etaOf(p *plan.Plan, s series.Series) (time.Duration, bool) {
	left := leftOf(p, s)
	if left <= 0 {
		return 0, false
	}
	return s.ETA(left)
}
