// Command minio-to-fhir moves FHIR R4 NDJSON from MinIO/S3 buckets and
// local folders into a FHIR server.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
