package source

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

// record is the part of a failure-log record that a replay needs.
type record struct {
	File         string          `json:"file"`
	Line         int             `json:"line"`
	ResourceType string          `json:"resourceType"`
	Error        *string         `json:"error"`
	Resource     json.RawMessage `json:"resource"`
	Raw          *string         `json:"raw"`
}

// Unwrap reads a failure-log record and returns the line it failed for
// (the resource, or the raw text of a line that was not JSON) with the
// file and line it came from. ok is false when line is not a record.
func Unwrap(line []byte) (data []byte, file string, num int, ok bool) {
	var r record
	if json.Unmarshal(line, &r) != nil || r.Error == nil || r.File == "" || r.Line == 0 {
		return nil, "", 0, false
	}
	switch {
	case len(r.Resource) > 0:
		return r.Resource, r.File, r.Line, true
	case r.Raw != nil:
		return []byte(*r.Raw), r.File, r.Line, true
	}
	return nil, r.File, r.Line, true // a line too long to be kept
}

// IsFailureLog reports whether the file at path is a failure log written
// by an upload: its first non-blank line is a record.
func IsFailureLog(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 256<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		_, _, _, ok := Unwrap(sc.Bytes())
		return ok
	}
	return false
}

// FailureLog is a failure log as an input: each of its records is sent
// again, under the file and line it first came from. It lists one
// virtual file per resource type, so that the plan can order them.
type FailureLog struct {
	Path string
}

func (l FailureLog) String() string { return l.Path + " (failure log)" }

// List reads the log once to find the types it holds.
func (l FailureLog) List(ctx context.Context) ([]File, error) {
	f, err := os.Open(l.Path)
	if err != nil {
		return nil, fmt.Errorf("failure log %s: %w", l.Path, pathError(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	types := map[string]bool{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 256<<20)
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var r record
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			types[typeOf(r)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("failure log %s: %w", l.Path, err)
	}
	var out []File
	for t := range types {
		name := fmt.Sprintf("%s [%s]", filepath.Base(l.Path), t)
		out = append(out, File{
			Name: name, Size: info.Size(), Version: info.ModTime().String(), Replay: true, Type: t,
			Open: l.opener(t),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// typeOf is the type a record is replayed under: its resource's type, or
// for a line that had none the type its file's name says (or Basic): it
// will be refused again, and only needs a step to go in.
func typeOf(r record) string {
	if fhirtype.Known(r.ResourceType) {
		return r.ResourceType
	}
	if t, ok := fhirtype.FromFileName(r.File); ok {
		return t
	}
	return "Basic"
}

// opener streams the records of one type.
func (l FailureLog) opener(typ string) func(context.Context) (io.ReadCloser, error) {
	return func(ctx context.Context) (io.ReadCloser, error) {
		f, err := os.Open(l.Path)
		if err != nil {
			return nil, pathError(err)
		}
		pr, pw := io.Pipe()
		go func() {
			defer f.Close()
			sc := bufio.NewScanner(f)
			sc.Buffer(nil, 256<<20)
			for sc.Scan() {
				var r record
				if json.Unmarshal(sc.Bytes(), &r) != nil || typeOf(r) != typ {
					continue
				}
				if _, err := pw.Write(append(sc.Bytes(), '\n')); err != nil {
					return
				}
			}
			pw.CloseWithError(sc.Err())
		}()
		return pr, nil
	}
}
