package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
)

// printPlan shows the files found and the steps.
func printPlan(w io.Writer, p *plan.Plan) {
	fmt.Fprintf(w, "Found %s (%s total)\n\n", progress.Plural(p.Files(), "NDJSON file", "NDJSON files"), resources(p.Lines()))
	fmt.Fprintln(w, "Sorted by dependency order:")
	for i, st := range p.Steps {
		fmt.Fprintf(w, "  Step %d: %s (%s, %s)\n", i+1, strings.Join(st.Types, ", "), progress.Plural(len(st.Files), "file", "files"), resources(st.Lines()))
	}
	if a := p.Analysis; a != nil {
		var b strings.Builder
		printStats(&b, a.Stats)
		if b.Len() > 0 {
			fmt.Fprintf(w, "\n%s", b.String())
		}
	}
	fmt.Fprintln(w)
}

// printStats shows what the plan read in the data: the references (with
// --order data), numeric ids and duplicated ids.
func printStats(w io.Writer, st plan.Stats) {
	if st.Order == plan.OrderData {
		canonical := ""
		if st.Canonical > 0 {
			canonical = fmt.Sprintf(", %s canonical by the url of a resource in the data", progress.Thousands(st.Canonical))
		}
		fmt.Fprintf(w, "References: %s to resources by id (%s between resources of one step), %s conditional%s\n",
			progress.Thousands(st.References), progress.Thousands(st.Edges), progress.Thousands(st.Conditional), canonical)
	}
	if st.Waves > 1 {
		fmt.Fprintf(w, "Within steps: %s, for resources that reference others of their step\n", progress.Plural(st.Waves, "wave", "waves"))
	}
	if st.Cycles > 0 {
		fmt.Fprintf(w, "Reference cycles: %s (%s resources, the largest %d), each sent whole in a transaction\n",
			progress.Thousands(st.Cycles), progress.Thousands(st.CycleNodes), st.LargestCycle)
	}
	if st.NumericIDs > 0 {
		fmt.Fprintf(w, "Numeric ids: %s resources have an id of digits only (%s); HAPI refuses them unless its client id strategy is ANY\n",
			progress.Thousands(st.NumericIDs), strings.Join(st.NumericExamples, ", "))
	}
	printDuplicates(w, st.Duplicates)
	if st.TempBytes >= 1<<20 {
		fmt.Fprintf(w, "Work files: %s in the work directory while it runs (--work-dir, WORK_DIR)\n", humanize.IBytes(uint64(st.TempBytes)))
	}
}

// printDuplicates says which ids occur more than once, and that only
// their last occurrence is written.
func printDuplicates(w io.Writer, d plan.Duplicates) {
	if d.IDs == 0 {
		return
	}
	fmt.Fprintf(w, "Duplicate ids: %s (%s with differing content; the last occurrence is written, %s earlier skipped)\n",
		progress.Thousands(d.IDs), progress.Thousands(d.Differing), progress.Thousands(d.Superseded))
	for i, ex := range d.Examples {
		lead := "      "
		if i == 0 {
			lead = "  e.g."
		}
		at := ex.At
		more := ""
		if n := ex.Occurrences - len(at); n > 0 {
			more = fmt.Sprintf(" (%d more before the last)", n)
		}
		fmt.Fprintf(w, "%s %s at %s and %s%s\n", lead, ex.Resource, strings.Join(at[:len(at)-1], ", "), at[len(at)-1], more)
	}
}

// reportDangling asks the server about references to resources that are
// not in the data, and warns of those it does not have either: they will
// fail on a server that enforces referential integrity.
func reportDangling(ctx context.Context, out, errw io.Writer, c existing, a plan.Stats) error {
	if a.DanglingTotal == 0 {
		return nil
	}
	byType := map[string][]string{}
	for _, m := range a.Missing {
		typ, id, _ := strings.Cut(m, "/")
		byType[typ] = append(byType[typ], id)
	}
	onServer := map[string]bool{}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		found, err := c.Existing(ctx, t, byType[t])
		if err != nil {
			fmt.Fprintf(errw, "warning: could not ask the server which referenced %s resources it has: %v\n", t, err)
			return nil
		}
		for id := range found {
			onServer[t+"/"+id] = true
		}
	}
	// One warning per missing resource, at its first reference, however
	// many refer to it.
	type missing struct {
		first plan.Dangling
		more  int
	}
	var order []*missing
	byTarget := map[string]*missing{}
	refs := 0
	for _, d := range a.Dangling {
		if onServer[d.To] {
			continue
		}
		refs++
		if m, ok := byTarget[d.To]; ok {
			m.more++
			continue
		}
		m := &missing{first: d}
		byTarget[d.To] = m
		order = append(order, m)
	}
	for _, m := range order[:min(len(order), progress.MaxWarnings)] {
		d, more := m.first, ""
		if m.more > 0 {
			more = fmt.Sprintf(" (and %s more references to it)", progress.Thousands(m.more))
		}
		fmt.Fprintf(errw, "warning: %s: %s: %s refers to %s, which is neither in the data nor on the server%s\n", d.File, origin.Pos(d.File, d.Line), d.From, d.To, more)
	}
	if len(order) > progress.MaxWarnings {
		fmt.Fprintf(errw, "warning: %s more missing resources are not shown\n", progress.Thousands(len(order)-progress.MaxWarnings))
	}
	if refs > 0 {
		fmt.Fprintf(out, "Missing references: %s point at %s resources neither in the data nor on the server; the resources holding them will fail\n\n",
			progress.Thousands(refs), progress.Thousands(len(order)))
	}
	if extra := a.DanglingTotal - len(a.Dangling); extra > 0 {
		fmt.Fprintf(out, "Not checked: %s further references to resources not in the data\n\n", progress.Thousands(extra))
	}
	return nil
}

// existing is what reportDangling asks the server: *fhir.Client and
// *cluster.Cluster answer it.
type existing interface {
	Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error)
}

// writeSummary prints the summary for people on out, or as JSON on stdout
// with --json, and writes --report.
func writeSummary(stdout, out io.Writer, cfg *uploadConfig, all uploadJSON) error {
	sum := all.Summary
	if cfg.report != "" {
		b, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(cfg.report, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(all)
	}
	w := out
	if cfg.quiet {
		w = stdout
	}
	fmt.Fprintln(w, "\n=== Summary ===")
	fmt.Fprintf(w, "Total files: %s\n", progress.Thousands(sum.Files))
	fmt.Fprintf(w, "Total resources: %s\n", progress.Thousands(sum.Read))
	fmt.Fprintf(w, "Successfully uploaded: %s (%s created, %s updated, %s unchanged)\n",
		progress.Thousands(sum.Landed()), progress.Thousands(sum.Created), progress.Thousands(sum.Updated), progress.Thousands(sum.Unchanged))
	fmt.Fprintf(w, "Failed: %s\n", progress.Thousands(sum.Failed))
	if sum.DuplicatesSkipped > 0 {
		fmt.Fprintf(w, "Duplicates skipped: %s (lines whose Type/id occurs again later in the input; the last occurrence is written)\n", progress.Thousands(sum.DuplicatesSkipped))
	}
	if all.Bundles != nil {
		fmt.Fprintf(w, "Bundles: %s\n", bundleLine(*all.Bundles))
	}
	if sum.Failed > 0 {
		var parts []string
		for _, t := range sum.Types() {
			if n := sum.ByType[t].Failed; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %s", t, progress.Thousands(n)))
			}
		}
		fmt.Fprintf(w, "Failed by type: %s\n", strings.Join(parts, ", "))
	}
	if len(sum.FileProblems) > 0 {
		fmt.Fprintf(w, "Files with problems: %d\n", len(sum.FileProblems))
		for _, fp := range sum.FileProblems {
			where := fp.File
			if fp.Line > 0 {
				where += fmt.Sprintf(" (%s)", origin.Pos(fp.File, fp.Line))
			}
			fmt.Fprintf(w, "  %s: %s\n", where, fp.Err)
		}
	}
	fmt.Fprintf(w, "Retries: %s\n", progress.Thousands(sum.Retries))
	printTokens(w, all.Auth)
	printAdaptive(w, sum)
	printNodes(w, all.Nodes)
	rate := 0.0
	if sum.Seconds > 0 {
		rate = float64(sum.Read) / sum.Seconds
	}
	fmt.Fprintf(w, "Duration: %s (%s resources/s)\n", progress.Duration(sum.Duration), progress.Thousands(int(rate)))
	if sum.Resumed {
		fmt.Fprintf(w, "Resumed: %s resources confirmed by an earlier run were not sent again (counted above)\n", progress.Thousands(sum.Skipped))
	}
	if sum.Interrupted {
		fmt.Fprintln(w, "Interrupted: run the same command again to resume where this run stopped.")
	}
	if sum.FailureLog != "" {
		fmt.Fprintf(w, "\nFailed resources logged to: %s\n", sum.FailureLog)
	}
	printReportHTML(w, all)
	return nil
}

// dryRunJSON is what --dry-run --json prints: the plan in numbers.
type dryRunJSON struct {
	DryRun     bool             `json:"dryRun"`
	Files      int              `json:"files"`
	Resources  int              `json:"resources"` // -1 when not all were counted
	Steps      [][]string       `json:"steps"`
	Duplicates *plan.Duplicates `json:"duplicates,omitempty"`
}

// writeDryRunJSON prints the plan as JSON on stdout.
func writeDryRunJSON(stdout io.Writer, p *plan.Plan) error {
	d := dryRunJSON{DryRun: true, Files: p.Files(), Resources: p.Lines(), Steps: [][]string{}}
	for _, st := range p.Steps {
		d.Steps = append(d.Steps, st.Types)
	}
	if a := p.Analysis; a != nil && a.Duplicates.IDs > 0 {
		d.Duplicates = &a.Duplicates
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(d)
}

// resources says "2,845 resources", or that a count is not known (a file
// could not be read to the end).
func resources(n int) string {
	if n < 0 {
		return "resources not all counted"
	}
	return progress.Plural(n, "resource", "resources")
}
