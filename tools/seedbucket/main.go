// Command seedbucket copies the NDJSON files of a folder into a MinIO bucket
// (made if missing), for the demo and for trying the tool by hand:
//
//	go run ./tools/seedbucket -bucket fhir-demo -prefix synthea DIR
//
// The connection comes from MINIO_ENDPOINT, MINIO_ACCESS_KEY and
// MINIO_SECRET_KEY, as `eval "$(scripts/testbed up)"` sets them.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

func main() {
	bucket := flag.String("bucket", "fhir-demo", "bucket to fill")
	prefix := flag.String("prefix", "", "key prefix (a folder in the bucket)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: seedbucket [-bucket B] [-prefix P] DIR")
		os.Exit(2)
	}
	if err := run(context.Background(), flag.Arg(0), *bucket, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "seedbucket: error:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, dir, bucket, prefix string) error {
	endpoint := os.Getenv("MINIO_ENDPOINT")
	if endpoint == "" {
		endpoint = "localhost:9000"
	}
	mc, err := minio.New(endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(os.Getenv("MINIO_ACCESS_KEY"), os.Getenv("MINIO_SECRET_KEY"), ""),
		Secure: os.Getenv("MINIO_SECURE") == "true",
	})
	if err != nil {
		return err
	}
	exists, err := mc.BucketExists(ctx, bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", bucket, err)
	}
	if !exists {
		if err := mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}); err != nil {
			return fmt.Errorf("make bucket %s: %w", bucket, err)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ndjson*"))
	if err != nil {
		return err
	}
	for _, f := range files {
		key := path.Join(prefix, filepath.Base(f))
		ct := "application/fhir+ndjson"
		if strings.HasSuffix(f, ".gz") {
			ct = "application/gzip"
		}
		info, err := mc.FPutObject(ctx, bucket, key, f, minio.PutObjectOptions{ContentType: ct})
		if err != nil {
			return fmt.Errorf("put %s: %w", key, err)
		}
		fmt.Printf("s3://%s/%s (%d bytes)\n", bucket, key, info.Size)
	}
	return nil
}
