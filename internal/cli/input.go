package cli

import (
	"context"
	"io"

	"github.com/minio-to-fhir/minio-to-fhir/internal/bundle"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// input is what upload and verify read, prepared the same way for both:
// a bucket's objects through copies in the work directory (fetched once),
// Bundle files expanded into NDJSON of the tool's own.
type input struct {
	Files   []source.File
	Bundles *bundle.Result
	copies  *source.Copies
}

// prepareInput prepares the listed files of src. Close removes what it
// wrote.
func prepareInput(ctx context.Context, src source.Source, files []source.File, c serverFlags, out, errw io.Writer) (*input, error) {
	files, copies, err := fetchOnce(src, files, c)
	if err != nil {
		return nil, err
	}
	bx, err := expandBundles(ctx, files, c.workDir, out, errw)
	if err != nil {
		if copies != nil {
			copies.Close()
		}
		return nil, err
	}
	return &input{Files: bx.Files, Bundles: bx, copies: copies}, nil
}

// Close removes the Bundles' NDJSON and the copies.
func (in *input) Close() {
	in.Bundles.Close()
	if in.copies != nil {
		in.copies.Close()
	}
}
