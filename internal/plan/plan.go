package plan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// File is an input with the resource type it holds.
type File struct {
	source.File
	Type string
	// Lines is the number of non-blank lines (resources to send); -1 when
	// the file was not counted.
	Lines int
}

// Step is a set of types that can be written together: none references
// another type of its own or a later step.
type Step struct {
	Types []string
	Files []File
}

// Lines sums the lines of the step's files (-1 if any is unknown).
func (s Step) Lines() int {
	n := 0
	for _, f := range s.Files {
		if f.Lines < 0 {
			return -1
		}
		n += f.Lines
	}
	return n
}

// Plan is the ordered work of an upload.
type Plan struct {
	Steps []Step
	// Analysis is set when the order comes from the data's references
	// (Options.Order == OrderData): it places each resource in a wave of
	// its step and in a cycle.
	Analysis *Analysis
	// Skipped are inputs that cannot be uploaded (unreadable, no type), with
	// the reason in File.Err.
	Skipped []File
}

// Files counts the files in the plan's steps.
func (p *Plan) Files() int {
	n := 0
	for _, s := range p.Steps {
		n += len(s.Files)
	}
	return n
}

// Lines sums the lines of all steps (-1 if any is unknown).
func (p *Plan) Lines() int {
	n := 0
	for _, s := range p.Steps {
		l := s.Lines()
		if l < 0 {
			return -1
		}
		n += l
	}
	return n
}

// Orders Build knows.
const (
	// OrderData reads the references of every resource and orders types,
	// and resources within a type group, so that every reference in the
	// data is written before the resource that holds it; reference
	// cycles go in transactions.
	OrderData = "data"
	// OrderStatic orders types by a fixed table of the references FHIR
	// data usually holds, and sends each file in its order.
	OrderStatic = "static"
)

// Options tune Build.
type Options struct {
	// Count reads every file once to count its resources (always done
	// with OrderData).
	Count   bool
	MaxLine int
	// Order is OrderData or OrderStatic ("" is OrderStatic).
	Order string
	// BaseURL is the server's base, to recognise absolute references
	// to it.
	BaseURL string
	// TempDir holds the planner's temporary file (OrderData); "" is the
	// system's temporary folder.
	TempDir string
}

// Build types each file (by its name, else by its first line's
// resourceType), optionally counts its lines, and orders the files in
// steps. Within a type, files keep name order, so "MimicEncounter" comes
// before "MimicEncounterED".
func Build(ctx context.Context, files []source.File, opts Options) (*Plan, error) {
	p := &Plan{}
	byType := map[string][]File{}
	for _, sf := range files {
		f := File{File: sf, Lines: -1}
		if f.Err != nil {
			p.Skipped = append(p.Skipped, f)
			continue
		}
		typ, named := fhirtype.FromFileName(f.Name)
		if f.File.Type != "" {
			typ, named = f.File.Type, true
		}
		if !named || opts.Count && opts.Order != OrderData {
			first, lines, err := scan(ctx, f.File, opts)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !named {
				typ = first
			}
			if err == nil {
				f.Lines = lines
			}
			if typ == "" {
				if err == nil {
					err = errors.New("neither its name nor its first line names a FHIR resource type")
				}
				f.Err = err
				p.Skipped = append(p.Skipped, f)
				continue
			}
		}
		f.Type = typ
		byType[typ] = append(byType[typ], f)
	}
	if opts.Order == OrderData {
		if err := analyze(ctx, p, byType, opts); err != nil {
			return nil, err
		}
		return p, nil
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	for _, ts := range Order(types) {
		st := Step{Types: ts}
		for _, t := range ts {
			fs := byType[t]
			sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
			st.Files = append(st.Files, fs...)
		}
		p.Steps = append(p.Steps, st)
	}
	return p, nil
}

// scan reads a file once: the resourceType of its first valid line, and
// its number of non-blank lines. A read error is returned with the counts
// so far; line errors (a line too long) count as lines.
func scan(ctx context.Context, f source.File, opts Options) (string, int, error) {
	rc, err := source.OpenNDJSON(ctx, f)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	r := ndjson.NewReader(rc, opts.MaxLine)
	first, n := "", 0
	for {
		if err := ctx.Err(); err != nil {
			return first, n, err
		}
		line, err := r.Next()
		if err == io.EOF {
			return first, n, nil
		}
		if err != nil {
			if ndjson.IsLineError(err) {
				n++
				continue
			}
			return first, n, fmt.Errorf("line %d: %w", r.LineNum()+1, err)
		}
		n++
		if first == "" {
			if m, err := ndjson.Inspect(line.Data); err == nil || m.Type != "" {
				if fhirtype.Known(m.Type) {
					first = m.Type
				}
			}
		}
		if !opts.Count && first != "" {
			return first, -1, nil
		}
	}
}
