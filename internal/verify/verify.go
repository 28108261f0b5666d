package verify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/pipeline"
	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// Searcher is what a verification needs of the server; *fhir.Client is one.
type Searcher interface {
	// SearchIDs calls fn with each resource of type typ among ids.
	SearchIDs(ctx context.Context, typ string, ids []string, fn func(json.RawMessage) error) error
	// CountType returns how many resources of type typ the server holds.
	CountType(ctx context.Context, typ string) (int, error)
	// Resolve returns the ids (at most 2) that a conditional reference
	// Type?query matches.
	Resolve(ctx context.Context, conditional string) ([]string, error)
}

// Options tune Run. The zero value is usable but for Written.
type Options struct {
	// BatchSize is the number of ids per search (default defaults.VerifyBatchSize); MaxBatchBytes bounds the input bytes a
	// search holds (default 16 MiB), so long lines make smaller searches.
	BatchSize     int
	MaxBatchBytes int
	// Concurrency is the number of searches in flight (default defaults.VerifyConcurrency).
	Concurrency int
	// Written is the duplicate rule: it says whether the line at file:line
	// (1-based) is the one an upload writes for typ/id. Lines it refuses
	// are counted as duplicates and not compared. nil compares every line
	// (the ids of the input must then be unique).
	Written func(typ, id, file string, line int) bool
	// MaxExamples bounds the examples of each kind (default 20).
	MaxExamples int
	MaxLine     int
	Retry       retry.Policy
	// CountTypes asks the server for its total of each type seen.
	CountTypes bool
	// Progress, if set, is called from one goroutine after each search.
	Progress func(Progress)
	// OnRetry, if set, is called before a search is sent again.
	OnRetry func(typ string, attempt int, err error, wait time.Duration)
}

// Progress is how far a verification got.
type Progress struct {
	Compared, Missing, Differing int
}

// entry is an input resource to look for.
type entry struct {
	id, file string
	line     int
	raw      []byte
}

// job is one search: entries of one type.
type job struct {
	typ     string
	entries []entry
	bytes   int
}

// result is one compared resource.
type result struct {
	typ, id, file string
	line          int
	found         bool
	version       int
	diff          Diff
}

// event is what the collector receives: results of a search, or lines
// and files the producer could not compare.
type event struct {
	results  []result
	skipped  *skipped
	problem  *Example
	searched bool
	retries  int
}

type skipped struct {
	typ       string
	duplicate bool
	ex        Example
}

// Run compares every resource of files (in lexical order of their names,
// then lines) with the server's copy and returns the report. An error
// means the verification could not finish (the server failed, ctx ended).
func Run(ctx context.Context, s Searcher, files []source.File, opts Options) (*Report, error) {
	opts = withDefaults(opts)
	start := time.Now()
	sorted := append([]source.File(nil), files...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	res := &resolver{s: s, opts: opts, cache: map[string]*resolution{}}
	t := newTally(opts.MaxExamples, opts.Progress)
	err := pipeline.Stage[*job, event]{
		Workers: opts.Concurrency,
		Produce: func(ctx context.Context, job func(*job) error, emit func(event)) error {
			p := &producer{opts: opts, job: job, emit: emit}
			for _, f := range sorted {
				if err := p.file(ctx, f); err != nil {
					return err
				}
			}
			return nil
		},
		Work: func(ctx context.Context, j *job) (event, error) {
			return search(ctx, s, res, j, opts)
		},
		Collect: func(ev event) error {
			t.event(ev)
			return nil
		},
	}.Run(ctx)
	if err != nil {
		return nil, err
	}
	rep := t.finish()
	if opts.CountTypes {
		countTypes(ctx, s, rep, opts)
	}
	rep.Duration = Duration(time.Since(start))
	return rep, nil
}

func withDefaults(o Options) Options {
	if o.BatchSize <= 0 {
		o.BatchSize = defaults.VerifyBatchSize
	}
	if o.MaxBatchBytes <= 0 {
		o.MaxBatchBytes = 16 << 20
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaults.VerifyConcurrency
	}
	if o.MaxExamples <= 0 {
		o.MaxExamples = defaults.Examples
	}
	return o
}

// event counts what one event says.
func (t *tally) event(ev event) {
	for _, r := range ev.results {
		t.result(r)
	}
	if ev.searched {
		t.rep.Searches++
	}
	t.rep.Retries += ev.retries
	if sk := ev.skipped; sk != nil {
		tr := t.typ(sk.typ)
		if sk.duplicate {
			tr.Duplicates++
		} else {
			tr.Unreadable++
			t.example(&t.rep.Unreadable, sk.ex)
		}
	}
	if ev.problem != nil {
		t.rep.FileProblems = append(t.rep.FileProblems, *ev.problem)
	}
	if t.progress != nil && len(ev.results) > 0 {
		var p Progress
		for _, tr := range t.types {
			p.Missing += tr.Missing
			p.Differing += tr.Differing
		}
		p.Compared = t.done
		t.progress(p)
	}
}

// producer reads the input and groups its resources, by type, into the
// searches of jobs; duplicate and unreadable lines go to the collector.
type producer struct {
	opts    Options
	job     func(*job) error
	emit    func(event)
	pending map[string]*job // by type: the searches being filled
}

// file reads one file. A line or a file that cannot be read is reported,
// not an error: the error is the verification stopping.
func (p *producer) file(ctx context.Context, f source.File) error {
	fileType, _ := fhirtype.FromFileName(f.Name)
	if f.KnownType != "" {
		fileType = f.KnownType
	}
	lines, err := f.OpenLines(ctx, p.opts.MaxLine)
	if err != nil {
		p.emit(event{problem: &Example{Type: fileType, File: f.Name, Error: err.Error()}})
		return nil
	}
	defer lines.Close()
	p.pending = map[string]*job{}
	for ctx.Err() == nil {
		// A failure log's record stands for its original file and line,
		// as upload sends it again: Lines names it so.
		line, err := lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var le *source.LineError
			if !errors.As(err, &le) {
				p.emit(event{problem: &Example{Type: fileType, File: f.Name, Line: lines.Stored() + 1, Error: "reading stopped: " + err.Error()}})
				break
			}
			p.emit(unreadable(fileType, le.File, le.Num, err))
			continue
		}
		if err := p.line(fileType, line); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return p.flushAll()
}

// line adds a resource to the search of its type, and hands the search on
// when it is full.
func (p *producer) line(fileType string, line source.Line) error {
	m, err := ndjson.Inspect(line.Data)
	if err == nil && !fhirtype.Known(m.Type) {
		err = fmt.Errorf("%q is not a FHIR R4 resource type; upload does not send it", m.Type)
	}
	if err != nil {
		typ := m.Type
		if !fhirtype.Known(typ) {
			typ = fileType
		}
		p.emit(unreadable(typ, line.File, line.Num, err))
		return nil
	}
	if p.opts.Written != nil && !p.opts.Written(m.Type, m.ID, line.File, line.Num) {
		p.emit(event{skipped: &skipped{typ: m.Type, duplicate: true}})
		return nil
	}
	j := p.pending[m.Type]
	if j == nil {
		j = &job{typ: m.Type}
		p.pending[m.Type] = j
	}
	j.entries = append(j.entries, entry{id: m.ID, file: line.File, line: line.Num, raw: append([]byte(nil), line.Data...)})
	j.bytes += len(line.Data)
	if len(j.entries) >= p.opts.BatchSize || j.bytes >= p.opts.MaxBatchBytes {
		delete(p.pending, j.typ)
		return p.job(j)
	}
	return nil
}

// flushAll hands on the searches a file left, in the order of their types.
func (p *producer) flushAll() error {
	types := make([]string, 0, len(p.pending))
	for t := range p.pending {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		if err := p.job(p.pending[t]); err != nil {
			return err
		}
	}
	return nil
}

func unreadable(typ, file string, line int, err error) event {
	if typ == "" {
		typ = "(unknown type)"
	}
	return event{skipped: &skipped{typ: typ, ex: Example{Type: typ, File: file, Line: line, Error: err.Error()}}}
}

// search looks for one job's resources on the server and compares them.
func search(ctx context.Context, s Searcher, res *resolver, j *job, opts Options) (event, error) {
	index := make(map[string]int, len(j.entries))
	ids := make([]string, len(j.entries))
	for i, e := range j.entries {
		index[e.id] = i
		ids[i] = e.id
	}
	var results []result
	retries := 0
	op := func(ctx context.Context) error {
		results = make([]result, len(j.entries))
		return s.SearchIDs(ctx, j.typ, ids, func(raw json.RawMessage) error {
			srv, err := Decode(raw)
			if err != nil {
				return fmt.Errorf("a %s of the search result is not a JSON object: %w", j.typ, err)
			}
			id, _ := srv["id"].(string)
			i, ok := index[id]
			if !ok {
				return nil // not asked for (a server that ignores _id would send all)
			}
			e := j.entries[i]
			in, err := Decode(e.raw)
			if err != nil {
				return fmt.Errorf("%s:%d: %w", e.file, e.line, err)
			}
			r := &results[i]
			r.found = true
			r.diff = Compare(in, srv)
			r.version = versionNumber(Version(srv))
			return nil
		})
	}
	notify := func(attempt int, err error, wait time.Duration) {
		retries++
		if opts.OnRetry != nil {
			opts.OnRetry(j.typ, attempt, err, wait)
		}
	}
	if err := opts.Retry.Do(ctx, op, notify); err != nil {
		return event{}, fmt.Errorf("search %d %s ids (%s:%d and on): %w", len(ids), j.typ, j.entries[0].file, j.entries[0].line, err)
	}
	for i, e := range j.entries {
		results[i].typ, results[i].id, results[i].file, results[i].line = j.typ, e.id, e.file, e.line
		if err := res.confirm(ctx, &results[i].diff); err != nil {
			return event{}, fmt.Errorf("%s:%d: %w", e.file, e.line, err)
		}
	}
	return event{results: results, searched: true, retries: retries + res.takeRetries()}, nil
}

// versionNumber reads a versionId; one that is not a number counts as 0.
func versionNumber(v string) int {
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' || n > 1<<30 {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// countTypes asks the server for its total of each type of the report, a
// few at once; a failed count stays -1.
func countTypes(ctx context.Context, s Searcher, rep *Report, opts Options) {
	var g errgroup.Group
	g.SetLimit(opts.Concurrency)
	for i := range rep.Types {
		tr := &rep.Types[i]
		if !fhirtype.Known(tr.Type) {
			continue
		}
		g.Go(func() error {
			if n, err := s.CountType(ctx, tr.Type); err == nil {
				tr.ServerTotal = n
			}
			return nil
		})
	}
	_ = g.Wait()
	total := 0
	for _, tr := range rep.Types {
		if !fhirtype.Known(tr.Type) {
			continue
		}
		if tr.ServerTotal < 0 {
			return
		}
		total += tr.ServerTotal
	}
	rep.Total.ServerTotal = total
}
