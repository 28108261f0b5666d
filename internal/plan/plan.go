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
	// ResourceType is the type the file holds: the one its source knows,
	// its name says, or its first line has.
	ResourceType string
	// Lines is the number of non-blank lines (resources to send), as the
	// plan counted them; -1 until then.
	Lines int
	// First is the Type/id of the file's first resource, when the plan
	// read the file ("" otherwise).
	First string
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
	// Analysis is what the plan read of the data: it says which line of a
	// duplicated id is written, and with OrderData places each resource
	// in a wave of its step and in a cycle. Its Stats are the figures to
	// print.
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
	MaxLine int
	// Order is OrderData or OrderStatic ("" is OrderStatic).
	Order string
	// BaseURL is the server's base, to recognise absolute references
	// to it.
	BaseURL string
	// TempDir holds the planner's temporary files; "" is the system's
	// temporary folder.
	TempDir string
	// SortMemory bounds the memory of each of the planner's two sorts
	// (bytes; 0 is 8 MiB): beyond it they go to disk in TempDir.
	SortMemory int
	// GraphMemory bounds the memory (bytes; 0 is 4 MiB) of the graph of
	// the references within steps, beyond its sorts' buffers (of as much
	// each, two or three filling at once): beyond it the graph is worked on on disk in TempDir,
	// and the placements it gives are kept in a file there. A single
	// component of that graph larger than the bound is held whole.
	GraphMemory int
}

// Build types each file (by its name, else by its first line's
// resourceType) and orders the files in steps. Within a type, files keep
// name order, so "MimicEncounter" comes before "MimicEncounterED".
//
// It reads every line once (see analyze): it counts the lines of each
// file and finds the duplicated ids, and with OrderData it reads the
// references, from which the order of types and the waves and cycles
// within steps come; with OrderStatic the types follow the static table.
func Build(ctx context.Context, files []source.File, opts Options) (*Plan, error) {
	p, byType, err := typeFiles(ctx, files, opts)
	if err != nil {
		return nil, err
	}
	if err := analyze(ctx, p, byType, opts); err != nil {
		return nil, err
	}
	return p, nil
}

// typeFiles gives each file its type, and sets aside those it cannot
// type (or read) in p.Skipped.
func typeFiles(ctx context.Context, files []source.File, opts Options) (*Plan, map[string][]File, error) {
	p := &Plan{}
	byType := map[string][]File{}
	for _, sf := range files {
		f := File{File: sf, Lines: -1}
		if f.Err != nil {
			p.Skipped = append(p.Skipped, f)
			continue
		}
		typ, named := fhirtype.FromFileName(f.Name)
		if f.KnownType != "" {
			typ, named = f.KnownType, true
		}
		if !named {
			first, err := firstType(ctx, f.File, opts)
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
			if typ = first; typ == "" {
				if err == nil {
					err = errors.New("neither its name nor its first line names a FHIR resource type")
				}
				f.Err = err
				p.Skipped = append(p.Skipped, f)
				continue
			}
		}
		f.ResourceType = typ
		byType[typ] = append(byType[typ], f)
	}
	return p, byType, nil
}

// types returns the keys of byType, sorted.
func types(byType map[string][]File) []string {
	out := make([]string, 0, len(byType))
	for t := range byType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// firstType returns the resourceType of the first valid line of f that
// names an R4 type, reading no further. A read error is returned with it
// (a line too long is skipped).
func firstType(ctx context.Context, f source.File, opts Options) (string, error) {
	lines, err := f.OpenLines(ctx, opts.MaxLine)
	if err != nil {
		return "", err
	}
	defer lines.Close()
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		line, err := lines.Next()
		if err == io.EOF {
			return "", nil
		}
		if err != nil {
			var le *source.LineError
			if errors.As(err, &le) {
				continue
			}
			return "", fmt.Errorf("line %d: %w", lines.Stored()+1, err)
		}
		if m, err := ndjson.Inspect(line.Data); err == nil || m.Type != "" {
			if fhirtype.Known(m.Type) {
				return m.Type, nil
			}
		}
	}
}
