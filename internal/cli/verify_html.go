package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/report"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/internal/verify"
)

// verifyHTMLFlags are verify's flags for its HTML report.
type verifyHTMLFlags struct {
	reportHTML string
	authKind   string // for the report: the kind of credentials, never them
}

func (o *verifyHTMLFlags) bind(fs flagBinder) {
	fs.StringVar(&o.reportHTML, "report-html", "", "")
}

// writeVerifyHTML writes the HTML report of a verification, if asked.
func writeVerifyHTML(o verifyOptions, client *fhir.Client, src source.Source, rep *verify.Report) error {
	if o.reportHTML == "" {
		return nil
	}
	pg := verifyPage(o, client.BaseURL(), src, rep)
	pg.Generated = time.Now().UTC().Format("2006-01-02 15:04:05 UTC")
	return report.Write(o.reportHTML, pg)
}

// verifyPage is the HTML report of a verification: the verdict, a table
// per type, examples of each kind, the normalisations and the settings.
func verifyPage(o verifyOptions, server string, src source.Source, rep *verify.Report) *report.Page {
	t := rep.Total
	pg := &report.Page{
		Title:    "Verify report",
		Subtitle: fmt.Sprintf("%s against %s", src, server),
		Status:   strings.TrimPrefix(verifyVerdict(rep), "Result: "),
		Summary: []report.KV{
			{K: "Resources compared", V: progress.Thousands(t.Input)},
			{K: "Found", V: progress.Thousands(t.Found)},
			{K: "Missing", V: progress.Thousands(t.Missing)},
			{K: "Differing", V: progress.Thousands(t.Differing)},
			{K: "Normalised by the server", V: progress.Thousands(t.Normalised)},
			{K: "At a version above 1", V: progress.Thousands(t.LaterVersion)},
			{K: "Repeated ids (earlier lines not compared)", V: progress.Thousands(t.Duplicates)},
			{K: "Lines that are no resource", V: progress.Thousands(t.Unreadable)},
			{K: "Searches", V: fmt.Sprintf("%s in %s, %s", progress.Thousands(rep.Searches), progress.Seconds(time.Duration(rep.Duration)), progress.Plural(rep.Retries, "retry", "retries"))},
		},
		Settings: []report.KV{
			{K: "Input", V: src.String()},
			{K: "FHIR server", V: server},
			{K: "Authentication", V: o.authKind},
			{K: "Ids per search", V: fmt.Sprint(o.batchSize)},
			{K: "Searches in flight", V: fmt.Sprint(o.concurrency)},
			{K: "Examples", V: fmt.Sprint(o.examples)},
			{K: "Tries per search", V: fmt.Sprint(o.retries)},
			{K: "Timeout", V: o.timeout.String()},
		},
		Notes: []string{"Compared: each resource an upload of this input writes (one per id: the last line), on the server or not, " +
			"and its content element by element, ignoring meta.versionId, meta.lastUpdated and meta.source. Not compared: earlier lines " +
			"of repeated ids; resources on the server that are not in the input (see Server total); older versions (history)."},
	}
	byType := report.Table{Title: "By type", Head: verifyHead, Rows: verifyRows(rep)}
	ex := func(title string, n int, list []verify.Example, line func(verify.Example) string) {
		if n == 0 {
			return
		}
		e := report.Examples{Title: title, Total: n}
		for _, x := range list {
			e.Lines = append(e.Lines, line(x))
		}
		byType.Examples = append(byType.Examples, e)
	}
	ex("Missing on the server", t.Missing, rep.Missing, func(e verify.Example) string {
		return fmt.Sprintf("%s/%s (%s:%d)", e.Type, e.ID, e.File, e.Line)
	})
	ex("Differing", t.Differing, rep.Differing, func(e verify.Example) string {
		return fmt.Sprintf("%s/%s (%s:%d): %s: input %s, server %s", e.Type, e.ID, e.File, e.Line, e.Path, e.Input, e.Server)
	})
	ex("Lines that are no resource the server can hold", t.Unreadable, rep.Unreadable, func(e verify.Example) string {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Error)
	})
	ex("Files not read to the end", len(rep.FileProblems), rep.FileProblems, func(e verify.Example) string {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Error)
	})
	pg.Tables = append(pg.Tables, byType)
	if len(rep.Normalised) > 0 {
		nt := report.Table{Title: "Normalised by the server (same content, written back differently; counted as identical)", Head: []string{"Normalisation", "Resources", "Example"}}
		for _, n := range rep.Normalised {
			nt.Rows = append(nt.Rows, []string{n.Description, progress.Thousands(n.Resources), fmt.Sprintf("%s/%s (%s:%d)", n.Example.Type, n.Example.ID, n.Example.File, n.Example.Line)})
		}
		pg.Tables = append(pg.Tables, nt)
	}
	return pg
}
