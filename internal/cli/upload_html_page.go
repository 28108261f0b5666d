package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/report"
	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// uploadPage is the HTML report of a load: sum is nil while it runs.
func uploadPage(cfg *uploadConfig, every time.Duration, p *plan.Plan, s series.Series, sum *transfer.Summary, runErr error, nodes []cluster.NodeStats) *report.Page {
	pg := &report.Page{
		Title:    "Upload report",
		Subtitle: fmt.Sprintf("%s → %s", cfg.src, destination(cfg.nodes)),
		Charts:   report.Charts(s),
		Refusals: s.Refusals,
		Settings: uploadSettings(cfg),
	}
	for i, st := range p.Steps {
		s := report.Step{N: i + 1, Types: strings.Join(st.Types, ", "), Files: len(st.Files), Resources: resources(st.Lines())}
		for _, f := range st.Files {
			if len(s.FileList) == report.MaxFiles {
				s.More++
				continue
			}
			s.FileList = append(s.FileList, fmt.Sprintf("%s (%s, %s)", f.Name, f.ResourceType, resources(f.Lines)))
		}
		pg.Plan = append(pg.Plan, s)
	}
	w, u, f := s.Totals()
	if sum == nil {
		pg.Status, pg.Refresh = "running", max(1, int(every.Round(time.Second)/time.Second))
		pg.ETA = eta(p, s)
		pg.Summary = []report.KV{
			{K: "Resources in the plan", V: resources(p.Lines())},
			{K: "Confirmed so far", V: fmt.Sprintf("%s (%s written, %s unchanged, %s failed)", progress.Thousands(w+u+f), progress.Thousands(w), progress.Thousands(u), progress.Thousands(f))},
			{K: "Time series", V: fmt.Sprintf("%s, a point every %s", progress.Plural(len(s.Points), "point", "points"), progress.Duration(seconds(s.Interval)))},
		}
		return pg
	}
	pg.Status = uploadStatus(sum, runErr)
	rate := 0.0
	if sum.Seconds > 0 {
		rate = float64(sum.Read) / sum.Seconds
	}
	pg.Summary = []report.KV{
		{K: "Files", V: progress.Thousands(sum.Files)},
		{K: "Resources", V: progress.Thousands(sum.Read)},
		{K: "Uploaded", V: fmt.Sprintf("%s (%s created, %s updated, %s unchanged)", progress.Thousands(sum.Landed()), progress.Thousands(sum.Created), progress.Thousands(sum.Updated), progress.Thousands(sum.Unchanged))},
		{K: "Failed", V: progress.Thousands(sum.Failed)},
		{K: "Duplicates skipped", V: progress.Thousands(sum.DuplicatesSkipped)},
		{K: "Retries", V: progress.Thousands(sum.Retries)},
		{K: "Concurrency", V: strings.TrimPrefix(concurrencyLine(sum), "Concurrency: ")},
		{K: "Transaction first", V: strings.TrimPrefix(txFirstLine(sum.TransactionFirst), "Transaction first: ")},
		{K: "Duration", V: fmt.Sprintf("%s (%s resources/s)", progress.Duration(sum.Duration), progress.Thousands(int(rate)))},
	}
	if sum.Resumed {
		pg.Summary = append(pg.Summary, report.KV{K: "Resumed", V: fmt.Sprintf("%s resources confirmed by an earlier run were not sent again (counted above)", progress.Thousands(sum.Skipped))})
	}
	if sum.FailureLog != "" {
		pg.Summary = append(pg.Summary, report.KV{K: "Failure log", V: sum.FailureLog})
	}
	pg.Summary = append(pg.Summary, report.KV{K: "Time series", V: fmt.Sprintf("%s (%s, a point every %s)", seriesPath(pageHTML(cfg)), progress.Plural(len(s.Points), "point", "points"), progress.Duration(seconds(s.Interval)))})
	byType := report.Table{Title: "By type", Head: []string{"Type", "Read", "Created", "Updated", "Unchanged", "Failed", "Duplicates skipped"}}
	for _, t := range sum.Types() {
		c := sum.ByType[t]
		byType.Rows = append(byType.Rows, []string{t, progress.Thousands(c.Read), progress.Thousands(c.Created), progress.Thousands(c.Updated), progress.Thousands(c.Unchanged), progress.Thousands(c.Failed), progress.Thousands(c.DuplicatesSkipped)})
	}
	pg.Tables = append(pg.Tables, byType)
	if len(sum.FileProblems) > 0 {
		ex := report.Examples{Title: "Files with problems", Total: len(sum.FileProblems)}
		for _, fp := range sum.FileProblems {
			ex.Lines = append(ex.Lines, fmt.Sprintf("%s (line %d): %s", fp.File, fp.Line, fp.Err))
		}
		pg.Tables = append(pg.Tables, report.Table{Title: "Files with problems", Examples: []report.Examples{ex}})
	}
	if len(nodes) > 1 {
		t := report.Table{Title: "Nodes", Head: []string{"Node", "Requests", "Errors", "Resources", "Seconds in requests", "Drained", "Up at the end"}}
		for _, n := range nodes {
			t.Rows = append(t.Rows, []string{n.URL, progress.Thousands(n.Requests), progress.Thousands(n.Errors), progress.Thousands(n.Resources), fmt.Sprintf("%.1f", n.Seconds), progress.Thousands(n.Drained), fmt.Sprint(n.Up)})
		}
		pg.Tables = append(pg.Tables, t)
	}
	return pg
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// pageHTML is the report's path.
func pageHTML(cfg *uploadConfig) string {
	if cfg.reportHTML != "" {
		return cfg.reportHTML
	}
	return defaultReportHTML(cfg.failureLog)
}

// uploadStatus says how the load ended.
func uploadStatus(sum *transfer.Summary, runErr error) string {
	switch {
	case sum.Interrupted:
		return "interrupted: run the same command again to resume"
	case runErr != nil:
		return "stopped: " + runErr.Error()
	case sum.Failed > 0 || len(sum.FileProblems) > 0:
		return fmt.Sprintf("finished, %s failed", progress.Thousands(sum.Failed))
	}
	return "finished"
}

// uploadSettings are the settings of the load, without credentials: the
// report names only the kind of authentication.
func uploadSettings(cfg *uploadConfig) []report.KV {
	conc := fmt.Sprintf("fixed at %d", cfg.concurrency)
	if cfg.adaptive {
		conc = fmt.Sprintf("adaptive, at most %d", cfg.maxConcurrency)
	}
	return []report.KV{
		{K: "Input", V: cfg.src.String()},
		{K: "FHIR server", V: destination(cfg.nodes)},
		{K: "Authentication", V: cfg.authKind},
		{K: "Order", V: cfg.order},
		{K: "Batch size", V: fmt.Sprintf("%d resources, %s, %s references", cfg.batchSize, cfg.batchBytes, progress.Thousands(cfg.batchRefs))},
		{K: "Concurrency", V: conc},
		{K: "Timeout", V: fmt.Sprintf("%s (at most %s)", cfg.timeout, cfg.timeoutMax)},
		{K: "Tries per Bundle", V: fmt.Sprint(cfg.retries)},
		{K: "Transaction first", V: string(cfg.txSemantics)},
		{K: "Gzip", V: fmt.Sprint(cfg.gzip)},
		{K: "Failure log", V: cfg.failureLog},
		{K: "Checkpoints", V: cfg.ckptDir},
		{K: "Series interval", V: cfg.seriesInterval.String()},
	}
}
