package verify

import (
	"fmt"
	"sort"
	"strconv"
	"time"
)

// TypeReport counts one resource type.
type TypeReport struct {
	Type string `json:"type"`
	// Input counts the resources of the input that are compared: each
	// distinct id once, the line an upload writes (the last one).
	Input int `json:"input"`
	// Found counts those the server has; Missing those it has not.
	Found   int `json:"found"`
	Missing int `json:"missing"`
	// Differing counts found resources whose content differs from the
	// input's beyond the server's normalisations; Normalised those that
	// differ only by them (they count as identical).
	Differing  int `json:"differing"`
	Normalised int `json:"normalised"`
	// LaterVersion counts found resources at meta.versionId other than 1
	// (written more than once); MaxVersion is the highest version seen.
	LaterVersion int `json:"laterVersion"`
	MaxVersion   int `json:"maxVersion"`
	// Duplicates counts input lines not compared because a later line has
	// the same id (that later line is the one written and compared).
	Duplicates int `json:"duplicates"`
	// Unreadable counts input lines that are no resource (not JSON, no
	// valid id or type): they cannot be on the server.
	Unreadable int `json:"unreadable"`
	// ServerTotal is the number of resources of the type the server holds,
	// inside or outside this input (-1 when not asked or not answered).
	ServerTotal int `json:"serverTotal"`
}

func (t *TypeReport) add(o TypeReport) {
	t.Input += o.Input
	t.Found += o.Found
	t.Missing += o.Missing
	t.Differing += o.Differing
	t.Normalised += o.Normalised
	t.LaterVersion += o.LaterVersion
	t.MaxVersion = max(t.MaxVersion, o.MaxVersion)
	t.Duplicates += o.Duplicates
	t.Unreadable += o.Unreadable
}

// Example names one resource or line of a report.
type Example struct {
	Type string `json:"resourceType,omitempty"`
	ID   string `json:"id,omitempty"`
	File string `json:"file"`
	Line int    `json:"line"`
	// Path, Input and Server say where a differing resource differs first
	// and what the two sides hold there; Error why a line is unreadable.
	Path   string `json:"path,omitempty"`
	Input  string `json:"input,omitempty"`
	Server string `json:"server,omitempty"`
	Error  string `json:"error,omitempty"`
}

// NormReport counts the resources that show one normalisation.
type NormReport struct {
	Key         string  `json:"key"`
	Description string  `json:"description"`
	Resources   int     `json:"resources"`
	Example     Example `json:"example"`
}

// Report is the result of a verification.
type Report struct {
	Types []TypeReport `json:"types"`
	Total TypeReport   `json:"total"`
	// Normalised lists the server's normalisations seen, with counts.
	Normalised []NormReport `json:"normalised"`
	// The first MaxExamples of each kind, in input order.
	Missing    []Example `json:"missingExamples"`
	Differing  []Example `json:"differingExamples"`
	Unreadable []Example `json:"unreadableExamples"`
	// FileProblems are files that could not be read to the end.
	FileProblems []Example `json:"fileProblems"`
	Searches     int       `json:"searches"`
	Retries      int       `json:"retries"`
	Duration     Duration  `json:"durationSeconds"`
}

// Complete reports whether every input resource is on the server with the
// same content: nothing missing, nothing differing, every line readable.
func (r *Report) Complete() bool {
	return r.Total.Missing == 0 && r.Total.Differing == 0 && r.Total.Unreadable == 0 && len(r.FileProblems) == 0
}

// Duration marshals as seconds.
type Duration time.Duration

// MarshalJSON writes the duration in seconds, to the millisecond.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, time.Duration(d).Seconds(), 'f', 3, 64), nil
}

// UnmarshalJSON reads seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	*d = Duration(f * float64(time.Second))
	return nil
}

// tally is the collector's state: it alone touches it.
type tally struct {
	types    map[string]*TypeReport
	norms    map[Norm]*NormReport
	max      int
	rep      Report
	progress func(Progress)
	done     int
}

func newTally(maxExamples int, progress func(Progress)) *tally {
	return &tally{types: map[string]*TypeReport{}, norms: map[Norm]*NormReport{}, max: maxExamples, progress: progress}
}

func (t *tally) typ(name string) *TypeReport {
	r := t.types[name]
	if r == nil {
		r = &TypeReport{Type: name, ServerTotal: -1}
		t.types[name] = r
	}
	return r
}

// example keeps e if it is among the first t.max of its kind in input
// order (file name, then line): searches finish in any order.
func (t *tally) example(list *[]Example, e Example) {
	l := *list
	if len(l) == t.max {
		if !before(e, l[len(l)-1]) {
			return
		}
		l = l[:len(l)-1]
	}
	i := sort.Search(len(l), func(i int) bool { return before(e, l[i]) })
	l = append(l, Example{})
	copy(l[i+1:], l[i:])
	l[i] = e
	*list = l
}

func before(a, b Example) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	return a.Line < b.Line
}

// result counts one compared resource.
func (t *tally) result(r result) {
	tr := t.typ(r.typ)
	tr.Input++
	t.done++
	ex := Example{Type: r.typ, ID: r.id, File: r.file, Line: r.line}
	switch {
	case !r.found:
		tr.Missing++
		t.example(&t.rep.Missing, ex)
		return
	case !r.diff.Same():
		tr.Differing++
		ex.Path, ex.Input, ex.Server = r.diff.Path, r.diff.Input, r.diff.Server
		t.example(&t.rep.Differing, ex)
	case r.diff.Norms != 0:
		tr.Normalised++
	}
	tr.Found++
	if r.version > 1 {
		tr.LaterVersion++
	}
	tr.MaxVersion = max(tr.MaxVersion, r.version)
	if r.diff.Same() {
		for _, n := range Norms {
			if r.diff.Norms&n == 0 {
				continue
			}
			nr := t.norms[n]
			if nr == nil {
				nr = &NormReport{Key: n.Key(), Description: n.String(), Example: ex}
				t.norms[n] = nr
			}
			nr.Resources++
		}
	}
}

// finish sorts the types and sums them.
func (t *tally) finish() *Report {
	rep := t.rep
	rep.Types = nil
	rep.Total = TypeReport{Type: "Total", ServerTotal: -1}
	for _, tr := range t.types {
		rep.Types = append(rep.Types, *tr)
		rep.Total.add(*tr)
	}
	sort.Slice(rep.Types, func(i, j int) bool { return rep.Types[i].Type < rep.Types[j].Type })
	for _, n := range Norms {
		if nr := t.norms[n]; nr != nil {
			rep.Normalised = append(rep.Normalised, *nr)
		}
	}
	return &rep
}
