package bundle

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// bundleLines reports whether f is an NDJSON file of Bundles to unpack,
// as blazectl's users have them: its name names no resource type, and its
// first line is a transaction or batch Bundle (types a server does not
// store as a resource). Other Bundles on lines are resources.
func bundleLines(ctx context.Context, f source.File) bool {
	if !source.IsNDJSON(f.Name) {
		return false
	}
	if _, named := fhirtype.FromFileName(f.Name); named {
		return false
	}
	lines, err := f.OpenLines(ctx, 0)
	if err != nil {
		return false
	}
	defer lines.Close()
	l, err := lines.Next()
	if err != nil {
		return false
	}
	var top struct{ ResourceType, Type string }
	if json.Unmarshal(l.Data, &top) != nil {
		return false
	}
	return top.ResourceType == "Bundle" && (top.Type == "transaction" || top.Type == "batch")
}

// eachLine calls fn with each line of the NDJSON file of Bundles f as a
// File of its own, named origin.BundleLine(f.Name, line).
func eachLine(ctx context.Context, f source.File, fn func(source.File, error) error) error {
	lines, err := f.OpenLines(ctx, 0)
	if err != nil {
		return fn(source.File{Name: origin.BundleLine(f.Name, 1)}, err)
	}
	defer lines.Close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := lines.Next()
		if err == io.EOF {
			return nil
		}
		var le *source.LineError
		switch {
		case errors.As(err, &le):
			if err := fn(source.File{Name: origin.BundleLine(f.Name, le.Num)}, le); err != nil {
				return err
			}
			continue
		case err != nil:
			return fn(source.File{Name: origin.BundleLine(f.Name, lines.Stored()+1)}, fmt.Errorf("cannot read on: %w", err))
		}
		data := l.Data
		lf := source.File{Name: origin.BundleLine(f.Name, l.Num), Size: int64(len(data)), Version: f.Version,
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }}
		if err := fn(lf, nil); err != nil {
			return err
		}
	}
}
