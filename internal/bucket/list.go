package bucket

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// Object is one object under the prefix.
type Object struct {
	Key          string    // the full key in the bucket
	Rel          string    // the key without the prefix
	Size         int64     // stored size in bytes (compressed for .gz)
	LastModified time.Time // as the server lists it
	ETag         string    // without quotes; an MD5 in hex unless uploaded in parts or encrypted
	Type         string    // the FHIR resource type the name names, "" when none
	NDJSON       bool      // the name ends in .ndjson or .ndjson.gz
}

// List returns every object under the prefix, in all subfolders, sorted by
// key. Empty "folder" markers (keys ending in "/") are left out.
func (c *Client) List(ctx context.Context) ([]Object, error) {
	var objs []Object
	opts := minio.ListObjectsOptions{Prefix: c.prefix, Recursive: true}
	for o := range c.api.ListObjectsIter(ctx, c.bucket, opts) {
		if o.Err != nil {
			return nil, c.wrap("list "+c.String(), o.Err)
		}
		if strings.HasSuffix(o.Key, "/") {
			continue
		}
		objs = append(objs, c.object(o))
	}
	// The iterator stops quietly when ctx ends; a cut-short list must not
	// pass for a whole one.
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("list %s: %w", c.String(), err)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

func (c *Client) object(o minio.ObjectInfo) Object {
	typ, _ := fhirtype.FromFileName(o.Key)
	return Object{
		Key:          o.Key,
		Rel:          strings.TrimPrefix(o.Key, c.prefix),
		Size:         o.Size,
		LastModified: o.LastModified,
		ETag:         strings.Trim(o.ETag, `"`),
		Type:         typ,
		NDJSON:       source.IsNDJSON(o.Key),
	}
}

// Open streams the object with the given key (the full key, prefix
// included). The caller closes the reader; cancelling ctx ends the stream.
func (c *Client) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	return c.get(ctx, key, "")
}

// get streams an object; a non-empty etag makes the server refuse an object
// that changed since it was listed.
func (c *Client) get(ctx context.Context, key, etag string) (io.ReadCloser, error) {
	var opts minio.GetObjectOptions
	if etag != "" {
		if err := opts.SetMatchETag(etag); err != nil {
			return nil, fmt.Errorf("open %s: %w", c.URL(key), err)
		}
	}
	// Core.GetObject returns the response body itself: errors come now,
	// not on the first Read, and no goroutine sits between the caller and
	// the connection.
	body, _, _, err := minio.Core{Client: c.api}.GetObject(ctx, c.bucket, key, opts)
	if err != nil {
		if etag != "" && minio.ToErrorResponse(err).Code == "PreconditionFailed" {
			return nil, fmt.Errorf("open %s: the object changed since it was listed; run again: %w", c.URL(key), err)
		}
		return nil, c.wrap("open "+c.URL(key), err)
	}
	return body, nil
}

// Source returns the NDJSON objects under the prefix as upload inputs. Each
// input's Name is its s3://bucket/key, so messages and the failure log name
// the object.
func (c *Client) Source() source.Source { return bucketSource{c} }

type bucketSource struct{ c *Client }

func (s bucketSource) String() string { return s.c.String() }

func (s bucketSource) List(ctx context.Context) ([]source.File, error) {
	objs, err := s.c.List(ctx)
	if err != nil {
		return nil, err
	}
	var files []source.File
	for _, o := range objs {
		if !o.NDJSON && !origin.IsBundleFile(o.Key) {
			continue
		}
		key := o.Key
		files = append(files, source.File{
			Name:    s.c.URL(key),
			Size:    o.Size,
			Version: o.ETag,
			Open:    func(ctx context.Context) (io.ReadCloser, error) { return s.c.Open(ctx, key) },
		})
	}
	return files, nil
}
