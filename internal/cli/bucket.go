package cli

import (
	"net/url"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/bucket"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// bucketConfig fills a bucket.Config from the settings and the
// --bucket/--prefix flags (flags win when set).
func bucketConfig(s settings, bucketFlag, prefixFlag string) (bucket.Config, error) {
	secure, err := s.boolean("MINIO_SECURE", false)
	if err != nil {
		return bucket.Config{}, err
	}
	cfg := bucket.Config{
		Endpoint:  s.str("MINIO_ENDPOINT", defaultEndpoint),
		AccessKey: s.str("MINIO_ACCESS_KEY", ""),
		SecretKey: s["MINIO_SECRET_KEY"],
		Region:    s.str("MINIO_REGION", ""),
		Secure:    secure,
		Bucket:    s.str("MINIO_BUCKET", ""),
		Prefix:    s.str("MINIO_PREFIX", ""),
		Creds:     s3Credentials(s),
	}
	if bucketFlag != "" {
		cfg.Bucket = bucketFlag
	}
	if prefixFlag != "" {
		cfg.Prefix = prefixFlag
	}
	if cfg.Bucket == "" {
		return cfg, usageErrorf("no bucket: set MINIO_BUCKET or use --bucket")
	}
	return cfg, nil
}

// parseS3URL splits s3://bucket/prefix.
func parseS3URL(raw string) (bucketName, prefix string, err error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", usageErrorf("--input %q: a bucket is given as s3://bucket/prefix", raw)
	}
	return u.Host, strings.TrimPrefix(u.Path, "/"), nil
}

// bucketSource is the source of `upload --input s3://bucket/prefix`.
func bucketSource(input string, s settings) (source.Source, error) {
	name, prefix, err := parseS3URL(input)
	if err != nil {
		return nil, err
	}
	cfg, err := bucketConfig(s, name, prefix)
	if err != nil {
		return nil, err
	}
	if prefix == "" {
		cfg.Prefix = ""
	}
	c, err := bucket.New(cfg)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	return c.Source(), nil
}
