// Package source names the NDJSON inputs of an upload: the files of a local
// folder or the objects of a bucket, each opened as a stream.
package source

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
)

// File is one NDJSON input.
type File struct {
	// Name is how messages and the failure log call the file: a path
	// relative to the input folder, or an object key.
	Name string
	// Size is the stored size in bytes (compressed for .gz).
	Size int64
	// Version changes when the content does: the modification time of a
	// local file, the ETag of an object. With Name and Size it is the
	// file's identity for resuming an upload.
	Version string
	// KnownType, when set, is the resource type of every line (a virtual
	// file of a failure log); otherwise the plan works it out.
	KnownType string
	// Err, when set, says why the file was found but cannot be read; it is
	// reported and the rest of the input goes on.
	Err error
	// Open returns the stored bytes. Use OpenNDJSON to undo gzip, or
	// OpenLines to read the lines.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// records says the stored lines are failure-log records.
	records bool
	// spool says the stored lines are a spool's (SpoolFile).
	spool bool
}

// Gzipped reports whether the file's name says it is gzip-compressed.
func (f File) Gzipped() bool { return strings.HasSuffix(f.Name, ".gz") }

// Source lists the inputs of an upload.
type Source interface {
	// String names the source for people: a folder or s3://bucket/prefix.
	String() string
	// List returns the *.ndjson and *.ndjson.gz inputs, and the *.json
	// and *.json.gz ones (Bundles), sorted by name.
	List(ctx context.Context) ([]File, error)
}

// IsInput reports whether a file or object name is one an upload reads:
// NDJSON, or JSON holding a Bundle or a resource (package bundle reads
// those).
func IsInput(name string) bool { return IsNDJSON(name) || origin.IsBundleFile(name) }

// IsNDJSON reports whether a file or object name is NDJSON.
func IsNDJSON(name string) bool {
	return strings.HasSuffix(name, ".ndjson") || strings.HasSuffix(name, ".ndjson.gz")
}

// OpenNDJSON opens f and returns its NDJSON text, decompressing .gz files.
func OpenNDJSON(ctx context.Context, f File) (io.ReadCloser, error) {
	if f.Err != nil {
		return nil, f.Err
	}
	rc, err := f.Open(ctx)
	if err != nil {
		return nil, err
	}
	if !f.Gzipped() {
		return rc, nil
	}
	// klauspost/compress's gzip (minio-go's dependency already) inflates
	// about twice as fast as compress/gzip, with the same API and errors.
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("%s: not a gzip file: %w", f.Name, err)
	}
	return &gzipFile{Reader: zr, under: rc}, nil
}

type gzipFile struct {
	*gzip.Reader
	under io.Closer
}

func (g *gzipFile) Close() error {
	err := g.Reader.Close()
	if cerr := g.under.Close(); err == nil {
		err = cerr
	}
	return err
}
