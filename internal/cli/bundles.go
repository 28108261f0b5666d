package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/bundle"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// expandBundles reads the Bundle files among the inputs (package bundle)
// and says what it found: the JSON files that are not FHIR as warnings on
// errw, the figures on out. Close the Result when done with the files.
func expandBundles(ctx context.Context, files []source.File, workDir string, out, errw io.Writer) (*bundle.Result, error) {
	res, err := bundle.Expand(ctx, files, bundle.Options{TempDir: workDir})
	if err != nil {
		return nil, err
	}
	st := res.Stats
	for _, n := range st.NotFHIR {
		fmt.Fprintf(errw, "warning: %s: skipped: %s\n", n.File, n.Why)
	}
	if st.Files > 0 {
		fmt.Fprintf(out, "Bundles: %s\n", bundleLine(st))
	}
	return res, nil
}

// bundleLine sums up the Bundle entries: what is written, what not and why.
func bundleLine(st bundle.Stats) string {
	parts := []string{
		fmt.Sprintf("%s, %s read: %s written as PUT Type/id", progress.Plural(st.Files, "JSON file", "JSON files"),
			progress.Plural(st.Entries, "entry", "entries"), progress.Thousands(st.Resources)),
	}
	if st.IDsFromURL > 0 {
		parts = append(parts, fmt.Sprintf("%s of them with the id of their fullUrl or request.url", progress.Thousands(st.IDsFromURL)))
	}
	parts = append(parts, fmt.Sprintf("%s refused (in the failure log)", progress.Thousands(st.Refused)))
	if len(st.NotWritten) > 0 {
		var ms []string
		for m := range st.NotWritten {
			ms = append(ms, m)
		}
		sort.Strings(ms)
		var nw []string
		for _, m := range ms {
			nw = append(nw, fmt.Sprintf("%s %s", progress.Thousands(st.NotWritten[m]), m))
		}
		parts = append(parts, fmt.Sprintf("not written: %s (e.g. %s)", strings.Join(nw, ", "), strings.Join(st.NotWrittenExamples, ", ")))
	}
	if st.IfNoneExist > 0 {
		parts = append(parts, fmt.Sprintf("%s ifNoneExist not needed (written by id)", progress.Thousands(st.IfNoneExist)))
	}
	parts = append(parts, fmt.Sprintf("%s to fullUrls rewritten as Type/id", progress.Plural(st.Rewritten, "reference", "references")))
	return strings.Join(parts, "; ")
}

// bundleStats is the Stats of res for the JSON summary: nil when the
// input held no Bundle file.
func bundleStats(res *bundle.Result) *bundle.Stats {
	if res == nil || res.Stats.Files == 0 && len(res.Stats.NotFHIR) == 0 {
		return nil
	}
	return &res.Stats
}
