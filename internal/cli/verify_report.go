package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/verify"
)

// verifyHead is the head of a verify report's table by type.
var verifyHead = []string{"Type", "Input", "Found", "Missing", "Differing", "Normalised", "Version>1", "Duplicates", "Unreadable", "Server total"}

// verifyRows are the rows of that table: a type each, then the total.
func verifyRows(rep *verify.Report) [][]string {
	row := func(t verify.TypeReport) []string {
		total := "?"
		if t.ServerTotal >= 0 {
			total = progress.Thousands(t.ServerTotal)
		}
		return []string{t.Type, progress.Thousands(t.Input), progress.Thousands(t.Found), progress.Thousands(t.Missing),
			progress.Thousands(t.Differing), progress.Thousands(t.Normalised), progress.Thousands(t.LaterVersion),
			progress.Thousands(t.Duplicates), progress.Thousands(t.Unreadable), total}
	}
	rows := make([][]string, 0, len(rep.Types)+1)
	for _, t := range rep.Types {
		rows = append(rows, row(t))
	}
	total := row(rep.Total)
	total[0] = "Total"
	return append(rows, total)
}

// printVerify prints the report: a table per type, the normalisations
// seen, examples, and what was and was not compared.
func printVerify(w io.Writer, rep *verify.Report) {
	head := verifyHead
	rows := append([][]string{head}, verifyRows(rep)...)
	widths := make([]int, len(head))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	fmt.Fprintln(w)
	for n, r := range rows {
		if n == len(rows)-1 {
			fmt.Fprintln(w, strings.Repeat("-", sum(widths)+2*(len(widths)-1)))
		}
		var b strings.Builder
		for i, c := range r {
			if i == 0 {
				fmt.Fprintf(&b, "%-*s", widths[i], c)
				continue
			}
			fmt.Fprintf(&b, "  %*s", widths[i], c)
		}
		fmt.Fprintln(w, b.String())
	}

	if len(rep.Normalised) > 0 {
		fmt.Fprintln(w, "\nNormalised by the server (same content, written back differently; counted as identical):")
		for _, n := range rep.Normalised {
			fmt.Fprintf(w, "  %s: %s, e.g. %s/%s (%s)\n", n.Description, progress.Plural(n.Resources, "resource", "resources"),
				n.Example.Type, n.Example.ID, origin.At(n.Example.File, n.Example.Line))
		}
	}
	examples(w, "Missing on the server", rep.Total.Missing, rep.Missing, func(e verify.Example) string {
		return fmt.Sprintf("%s/%s (%s)", e.Type, e.ID, origin.At(e.File, e.Line))
	})
	examples(w, "Differing", rep.Total.Differing, rep.Differing, func(e verify.Example) string {
		return fmt.Sprintf("%s/%s (%s): %s: input %s, server %s", e.Type, e.ID, origin.At(e.File, e.Line), e.Path, e.Input, e.Server)
	})
	examples(w, "Lines that are no resource the server can hold", rep.Total.Unreadable, rep.Unreadable, func(e verify.Example) string {
		return fmt.Sprintf("%s: %s", origin.At(e.File, e.Line), e.Error)
	})
	examples(w, "Files not read to the end", len(rep.FileProblems), rep.FileProblems, func(e verify.Example) string {
		if e.Line > 0 {
			return fmt.Sprintf("%s: %s", origin.At(e.File, e.Line), e.Error)
		}
		return fmt.Sprintf("%s: %s", e.File, e.Error)
	})

	fmt.Fprintln(w, "\nCompared: each resource an upload of this input writes (one per id: the last line), on the")
	fmt.Fprintln(w, "server or not, and its content element by element, ignoring meta.versionId, meta.lastUpdated")
	fmt.Fprintln(w, "and meta.source. Not compared: earlier lines of repeated ids; resources on the server that are")
	fmt.Fprintln(w, "not in the input (see Server total); older versions (history).")
	fmt.Fprintf(w, "%s in %s, %s\n\n", progress.Plural(rep.Searches, "search", "searches"), progress.Seconds(time.Duration(rep.Duration)),
		progress.Plural(rep.Retries, "retry", "retries"))
}

func examples(w io.Writer, title string, total int, list []verify.Example, line func(verify.Example) string) {
	if total == 0 {
		return
	}
	if len(list) < total {
		fmt.Fprintf(w, "\n%s: %s (the first %d):\n", title, progress.Thousands(total), len(list))
	} else {
		fmt.Fprintf(w, "\n%s: %s:\n", title, progress.Thousands(total))
	}
	for _, e := range list {
		fmt.Fprintf(w, "  %s\n", line(e))
	}
}

// verifyVerdict is the last line: what a user needs to know.
func verifyVerdict(rep *verify.Report) string {
	t := rep.Total
	if rep.Complete() {
		msg := fmt.Sprintf("Result: complete: all %s resources are on the server with the same content", progress.Thousands(t.Input))
		if t.Normalised > 0 {
			msg += fmt.Sprintf(" (%s normalised by the server)", progress.Thousands(t.Normalised))
		}
		if t.LaterVersion == 0 {
			return msg + ", each at version 1"
		}
		return msg + fmt.Sprintf("; %s at a version above 1 (up to %d): written more than once", progress.Thousands(t.LaterVersion), t.MaxVersion)
	}
	var parts []string
	if t.Missing > 0 {
		parts = append(parts, progress.Thousands(t.Missing)+" missing")
	}
	if t.Differing > 0 {
		parts = append(parts, progress.Thousands(t.Differing)+" differing")
	}
	if t.Unreadable > 0 {
		parts = append(parts, progress.Plural(t.Unreadable, "line is", "lines are")+" no resource")
	}
	if n := len(rep.FileProblems); n > 0 {
		parts = append(parts, progress.Plural(n, "file", "files")+" not read to the end")
	}
	return fmt.Sprintf("Result: INCOMPLETE: of %s resources, %s", progress.Thousands(t.Input), strings.Join(parts, ", "))
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
