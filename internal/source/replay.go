package source

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/minio-to-fhir/minio-to-fhir/internal/failurelog"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

// IsFailureLog reports whether the file at path is a failure log written
// by an upload (failurelog.IsLog).
func IsFailureLog(path string) bool { return failurelog.IsLog(path) }

// FailureLog is a failure log as an input: each of its records is sent
// again, under the file and line it first came from (File.OpenLines
// decodes them). It lists one
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
	sc.Buffer(nil, failurelog.MaxLine)
	for sc.Scan() {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var r failurelog.Record
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
			Name: name, Size: info.Size(), Version: info.ModTime().String(), KnownType: t, records: true,
			Open: l.opener(t),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// typeOf is the type a record is replayed under: its resource's type, or
// for a line that had none the type its file's name says (or Basic): it
// will be refused again, and only needs a step to go in.
func typeOf(r failurelog.Record) string {
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
			sc.Buffer(nil, failurelog.MaxLine)
			for sc.Scan() {
				var r failurelog.Record
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
