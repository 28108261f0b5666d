// Package bucket reads FHIR NDJSON objects from a MinIO or S3 bucket: it
// checks the connection, lists the objects under a prefix, streams them one
// by one and downloads them into a local folder without ever leaving a
// truncated file behind or writing outside that folder.
package bucket

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Config says which bucket to read and how to reach it. The CLI fills it
// from MINIO_ENDPOINT, MINIO_ACCESS_KEY, MINIO_SECRET_KEY, MINIO_SECURE and
// MINIO_BUCKET.
type Config struct {
	// Endpoint is host:port, e.g. "localhost:9000". An "http://" or
	// "https://" in front is accepted when it agrees with Secure:
	// "https://" switches Secure on, "http://" with Secure set is an error.
	Endpoint string
	// AccessKey and SecretKey sign the requests; both empty means
	// anonymous access. The secret key never appears in an error.
	AccessKey, SecretKey string
	// Region is the bucket's region; empty asks the server.
	Region string
	// Secure selects HTTPS.
	Secure bool
	// Bucket is the bucket name.
	Bucket string
	// Prefix is a folder in the bucket, e.g. "exports/2024" (a trailing
	// slash is implied); empty means the whole bucket.
	Prefix string
	// Creds, when set, sign the requests instead of AccessKey and
	// SecretKey: temporary credentials with a session token, a shared
	// credentials file's profile (see the CLI's S3 credential chain).
	Creds *credentials.Credentials
}

// Client reads one bucket, under one prefix.
type Client struct {
	api      *minio.Client // retries failed requests
	probe    *minio.Client // no retries, so Check answers at once
	endpoint string
	secure   bool
	bucket   string
	prefix   string // "" or ending in "/"
}

// New returns a Client for cfg. It does not contact the server; call Check
// for that. Errors wrap ErrConfig.
func New(cfg Config) (*Client, error) {
	return newClient(cfg, nil)
}

// newClient is New with a chosen HTTP transport, which tests use to trust
// their own TLS certificate.
func newClient(cfg Config, rt http.RoundTripper) (*Client, error) {
	endpoint, secure, err := parseEndpoint(cfg.Endpoint, cfg.Secure)
	if err != nil {
		return nil, err
	}
	if cfg.Bucket == "" {
		return nil, &Error{Op: "bucket settings", Kind: ErrConfig,
			Reason: "no bucket given", Hint: "set MINIO_BUCKET or name the bucket as s3://bucket/prefix"}
	}
	if err := s3utils.CheckValidBucketName(cfg.Bucket); err != nil {
		return nil, &Error{Op: "bucket settings", Kind: ErrConfig, Err: err,
			Reason: fmt.Sprintf("%q is not a valid bucket name", cfg.Bucket),
			Hint:   "check MINIO_BUCKET: bucket names are 3 to 63 lower-case letters, digits, dots and hyphens"}
	}
	c := &Client{endpoint: endpoint, secure: secure, bucket: cfg.Bucket, prefix: folder(cfg.Prefix)}
	creds := cfg.Creds
	if creds == nil {
		creds = credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	}
	for _, p := range []struct {
		dst     **minio.Client
		retries int
	}{{&c.api, 0}, {&c.probe, 1}} {
		mc, err := minio.New(endpoint, &minio.Options{
			Creds:      creds,
			Secure:     secure,
			Region:     cfg.Region,
			Transport:  rt,
			MaxRetries: p.retries,
		})
		if err != nil {
			return nil, &Error{Op: "bucket settings", Kind: ErrConfig, Err: err,
				Reason: fmt.Sprintf("endpoint %q: %v", cfg.Endpoint, err),
				Hint:   "set MINIO_ENDPOINT to host:port, e.g. localhost:9000"}
		}
		*p.dst = mc
	}
	return c, nil
}

// parseEndpoint strips an http:// or https:// scheme and reconciles it with
// the Secure setting.
func parseEndpoint(ep string, secure bool) (string, bool, error) {
	bad := func(reason, hint string) (string, bool, error) {
		return "", false, &Error{Op: "bucket settings", Kind: ErrConfig, Reason: reason, Hint: hint}
	}
	switch {
	case ep == "":
		return bad("no endpoint given", "set MINIO_ENDPOINT to host:port, e.g. localhost:9000")
	case strings.HasPrefix(ep, "https://"):
		ep, secure = strings.TrimPrefix(ep, "https://"), true
	case strings.HasPrefix(ep, "http://"):
		if secure {
			return bad(fmt.Sprintf("endpoint %q is plain HTTP but MINIO_SECURE asks for HTTPS", ep),
				"drop http:// from MINIO_ENDPOINT or set MINIO_SECURE=false")
		}
		ep = strings.TrimPrefix(ep, "http://")
	}
	ep = strings.TrimSuffix(ep, "/")
	if ep == "" || strings.Contains(ep, "/") {
		return bad(fmt.Sprintf("endpoint %q is not host:port", ep),
			"set MINIO_ENDPOINT to host:port, e.g. localhost:9000; put the bucket in MINIO_BUCKET")
	}
	return ep, secure, nil
}

// folder turns a prefix into "" or a path ending in one "/".
func folder(prefix string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return ""
	}
	return prefix + "/"
}

// String names the bucket and prefix as s3://bucket/prefix.
func (c *Client) String() string {
	return "s3://" + c.bucket + "/" + strings.TrimSuffix(c.prefix, "/")
}

// Bucket returns the bucket name.
func (c *Client) Bucket() string { return c.bucket }

// Prefix returns the prefix, "" or ending in "/".
func (c *Client) Prefix() string { return c.prefix }

// URL names an object for messages and the failure log: s3://bucket/key.
func (c *Client) URL(key string) string { return "s3://" + c.bucket + "/" + key }

// Check verifies that the endpoint answers, the credentials are accepted and
// the bucket exists, by listing at most one object under the prefix. Its
// errors are *Error values wrapping ErrAuth, ErrNoBucket, ErrUnreachable or
// ErrTLS where the cause is known; Hint gives advice for them.
func (c *Client) Check(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // ends the listing after the first page
	for o := range c.probe.ListObjectsIter(ctx, c.bucket, minio.ListObjectsOptions{Prefix: c.prefix, MaxKeys: 1}) {
		if o.Err != nil {
			return c.wrap("check "+c.String(), o.Err)
		}
		break
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("check %s: %w", c.String(), err)
	}
	return nil
}
