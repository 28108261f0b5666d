package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/bundle"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ledger"
	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// rerun is what the ledger of finished loads says of an upload's input:
// which files a load that left every resource on this server read as they
// are now. Those are not sent again.
type rerun struct {
	led   *ledger.Ledger
	match ledger.Match
	files []ledger.File // the whole input, to record when this load finishes
	// held is false when the server no longer holds what those loads
	// left there (emptied, another server at the same address): then
	// everything is sent.
	held bool
	// dups is the plan's word on which occurrence of a repeated id is
	// written (see record).
	dups *plan.Analysis
}

// openRerun reads the ledger for the input's files. A failure log's
// records are always sent; --fresh sends everything.
func openRerun(ctx context.Context, cfg *uploadConfig, files []source.File, out io.Writer) (*rerun, error) {
	if _, replay := cfg.src.(source.FailureLog); replay {
		return nil, nil
	}
	led, err := ledger.Open(cfg.ckptDir, nodesIdentity(cfg.nodes))
	if err != nil {
		return nil, err
	}
	r := &rerun{led: led, held: true}
	for _, f := range files {
		if f.Err == nil {
			r.files = append(r.files, ledger.File{Name: f.Name, Size: f.Size, Version: f.Version})
		}
	}
	if cfg.fresh {
		return r, nil
	}
	r.match = led.Match(r.files)
	if len(r.match.Unchanged) == 0 {
		return r, nil
	}
	short, err := serverShort(ctx, cfg.nodes[0], r.match)
	if err != nil {
		return nil, err
	}
	if short != "" {
		fmt.Fprintf(out, "%d files are unchanged since the load of %s, but %s: sending them again\n\n",
			len(r.match.Unchanged), stamp(r.match.Since()), short)
		r.held, r.match = false, ledger.Match{}
	}
	return r, nil
}

// all reports whether every file of the input is unchanged since a
// finished load.
func (r *rerun) all() bool {
	return r != nil && r.held && len(r.files) > 0 && len(r.match.Unchanged) == len(r.files)
}

// serverShort checks that the server still holds at least the resources
// of each type that the loads left there, and the sample resource of each
// unchanged file; it says what is short, or "".
func serverShort(ctx context.Context, cl *fhir.Client, m ledger.Match) (string, error) {
	samples := map[string][]string{}
	for _, f := range m.Unchanged {
		if typ, id, ok := strings.Cut(f.Sample, "/"); ok {
			samples[typ] = append(samples[typ], id)
		}
	}
	for typ, ids := range samples {
		sort.Strings(ids)
		found, err := cl.Existing(ctx, typ, ids)
		if err != nil {
			return "", fmt.Errorf("look for %s on the server: %w", typ, err)
		}
		for _, id := range ids {
			if !found[id] {
				return fmt.Sprintf("%s/%s, which that load wrote, is not on the server", typ, id), nil
			}
		}
	}
	want := map[string]int{}
	for _, ld := range m.Loads {
		for t, n := range ld.Landed {
			want[t] = max(want[t], n)
		}
	}
	types := make([]string, 0, len(want))
	for t := range want {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		n, err := cl.CountType(ctx, t)
		if err != nil {
			return "", fmt.Errorf("count %s on the server: %w", t, err)
		}
		if n < want[t] {
			return fmt.Sprintf("the server holds %s %s where that load left %s", progress.Thousands(n), t, progress.Thousands(want[t])), nil
		}
	}
	return "", nil
}

// skipUnchanged takes the unchanged files out of the plan's steps (the
// plan read them all, so duplicates and references are judged on the
// whole input) and says so.
func (r *rerun) skipUnchanged(p *plan.Plan, out io.Writer) {
	if r == nil {
		return
	}
	r.dups = p.Analysis
	if len(r.match.Unchanged) == 0 {
		return
	}
	n := 0
	for i := range p.Steps {
		kept := p.Steps[i].Files[:0]
		for _, f := range p.Steps[i].Files {
			if _, ok := r.match.Unchanged[f.Name]; ok {
				n++
				continue
			}
			kept = append(kept, f)
		}
		p.Steps[i].Files = kept
	}
	steps := p.Steps[:0]
	for _, st := range p.Steps {
		if len(st.Files) > 0 {
			steps = append(steps, st)
		}
	}
	p.Steps = steps
	if n == 0 {
		return // only files the plan does not send matched (a Bundle folder's metadata)
	}
	fmt.Fprintf(out, "%s unchanged since the load of %s: not sent again (--fresh sends them again)\n\n", progress.Plural(n, "file", "files"), stamp(r.match.Since()))
}

// record adds a load that left every resource it read on the server,
// with the first resource of each file (the plan read it) as its sample.
// A Bundle file is recorded by itself (the NDJSON it is expanded into is
// the tool's own), with the first resource written from it as its
// sample: a rerun over the same Bundle files sends nothing, and one with
// a Bundle file changed sends every Bundle entry again.
//
// A file with an occurrence of a repeated Type/id that a later one
// superseded is recorded as such, with this input's key: should the
// later occurrence change or leave the input, this file's may be the
// one to write, so it is sent again unless the input is the same. An
// unchanged file left out of this load that a file of it now supersedes
// is recorded again, for the same reason.
func (r *rerun) record(sum *transfer.Summary, sent []plan.File, bundles *bundle.Result) error {
	if r == nil {
		return nil
	}
	ld := ledger.Load{At: time.Now().UTC(), Landed: map[string]int{}, Input: ledger.Key(r.files)}
	listed := map[string]bool{}
	for _, f := range r.files {
		listed[f.Name] = true
	}
	for _, f := range sent {
		if listed[f.Name] {
			ld.Files = append(ld.Files, ledger.File{Name: f.Name, Size: f.Size, Version: f.Version, Sample: f.First, Superseded: r.dups.Superseded(f.Name)})
		}
	}
	for name, rec := range r.match.Unchanged {
		if _, bundle := bundles.Read[name]; !bundle && r.dups.Superseded(name) {
			rec.Superseded = true
			ld.Files = append(ld.Files, rec)
		}
	}
	// The Bundle files, and the JSON files that are not FHIR (a
	// generator's manifest beside the data, with no sample): as read, so
	// that they do not make every rerun read the input again. Their
	// entries are sent together, so any one superseded marks them all.
	bundleDups := r.dups.SupersededAny(origin.CountsEntries)
	for _, f := range r.files {
		if sample, ok := bundles.Read[f.Name]; ok {
			f.Sample, f.Superseded = sample, bundleDups
			ld.Files = append(ld.Files, f)
		}
	}
	for t, c := range sum.ByType {
		ld.Landed[t] = c.Landed()
	}
	if len(ld.Files) == 0 {
		return nil
	}
	return r.led.Record(ld)
}

// allUnchanged ends an upload whose every file is unchanged since a
// finished load into this server: nothing is sent.
func allUnchanged(stdout, out io.Writer, cfg *uploadConfig, r *rerun) error {
	fmt.Fprintf(out, "%d files unchanged since the load of %s into this server: nothing to send (--fresh sends them again; verify compares them with the server)\n",
		len(r.files), stamp(r.match.Since()))
	if cfg.dryRun {
		fmt.Fprintln(out, "Dry run: nothing sent.")
		return nil
	}
	all := uploadJSON{Summary: &transfer.Summary{Files: len(r.files)}, UnchangedFiles: len(r.files)}
	if cfg.report != "" || cfg.json {
		// The JSON of a summary, with nothing read or sent; the full
		// report in words is not printed.
		c := *cfg
		c.quiet = false
		if err := writeSummary(stdout, io.Discard, &c, all); err != nil || cfg.json {
			return err
		}
	}
	w := out
	if cfg.quiet {
		w = stdout
	}
	fmt.Fprintln(w, "\n=== Summary ===")
	fmt.Fprintf(w, "Total files: %s, unchanged since the load of %s\n", progress.Thousands(len(r.files)), stamp(r.match.Since()))
	fmt.Fprintln(w, "Nothing sent.")
	return nil
}

// planFiles returns the files of a plan's steps.
func planFiles(p *plan.Plan) []plan.File {
	var out []plan.File
	for _, st := range p.Steps {
		out = append(out, st.Files...)
	}
	return out
}

// stamp shows the time of a load.
func stamp(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }
