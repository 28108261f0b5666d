package cli

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/dustin/go-humanize"

	"github.com/minio-to-fhir/minio-to-fhir/internal/bucket"
	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
)

const downloadUsage = `Usage: minio-to-fhir download [flags]

Downloads the *.ndjson and *.ndjson.gz objects under a bucket prefix into a
folder, keeping each key's path below the prefix. Each file is written under
a temporary name and renamed only when complete and checked, so an
interrupted download never leaves a truncated file; a rerun skips the files
already there and identical. Keys that would land outside the folder are
refused.

Flags:
      --bucket B          the bucket [MINIO_BUCKET]
      --prefix P          a folder in the bucket [MINIO_PREFIX]
  -o, --output DIR        where to write [TMP_DIR, default /tmp/fhir-upload]
  -c, --concurrency N     objects fetched at once (default 4)
      --env-file FILE     read settings from FILE instead of ./.env
  -q, --quiet             print only the summary
  -h, --help              show this help
`

type downloadOptions struct {
	bucket, prefix, output, envFile string
	concurrency                     int
	quiet                           bool
}

// flags returns download's flags, bound to o.
func (o *downloadOptions) flags() *flag.FlagSet {
	fs := newFlagSet("download")
	fs.StringVar(&o.bucket, "bucket", "", "")
	fs.StringVar(&o.prefix, "prefix", "", "")
	for _, n := range []string{"output", "o"} {
		fs.StringVar(&o.output, n, "", "")
	}
	for _, n := range []string{"concurrency", "c"} {
		fs.IntVar(&o.concurrency, n, defaults.DownloadConcurrency, "")
	}
	fs.StringVar(&o.envFile, "env-file", "", "")
	for _, n := range []string{"quiet", "q"} {
		fs.BoolVar(&o.quiet, n, false, "")
	}
	return fs
}

func runDownloadCmd(ctx context.Context, args []string, env Env) error {
	var o downloadOptions
	if err := parseFlags(o.flags(), args, downloadUsage, env.Stdout); err != nil {
		return err
	}
	if o.concurrency < 1 || o.concurrency > 64 {
		return usageErrorf("--concurrency %d is out of range: use 1 to 64", o.concurrency)
	}
	if o.output == "" {
		s, err := loadSettings(o.envFile, env.Lookup)
		if err != nil {
			return err
		}
		o.output = s.str("TMP_DIR", defaults.TmpDir)
	}
	c, err := openBucket(ctx, o.envFile, o.bucket, o.prefix, env)
	if err != nil {
		return err
	}
	return runDownload(ctx, c, o, env)
}

func runDownload(ctx context.Context, c *bucket.Client, o downloadOptions, env Env) error {
	out := env.Stdout
	if o.quiet {
		out = io.Discard
	}
	fmt.Fprintf(out, "Downloading %s to %s\n", c, o.output)
	res, err := c.Download(ctx, o.output, bucket.DownloadOptions{
		Concurrency: o.concurrency,
		Progress: func(ev bucket.DownloadEvent) {
			switch ev.Kind {
			case bucket.EventListed:
				fmt.Fprintf(out, "Found %s (%s)\n\n", progress.Plural(ev.Total, "NDJSON object", "NDJSON objects"), humanize.IBytes(uint64(ev.TotalBytes)))
			case bucket.EventFinished:
				f := ev.File
				switch f.Status {
				case bucket.Failed:
					fmt.Fprintf(env.Stderr, "warning: %v\n", f.Err)
				default:
					fmt.Fprintf(out, "  %-10s %s (%s)\n", f.Status, f.Object.Rel, humanize.IBytes(uint64(f.Object.Size)))
				}
			}
		},
	})
	fmt.Fprintf(env.Stdout, "\n=== Summary ===\nDownloaded: %s (%s)\nAlready present: %s (%s)\nFailed: %d\n",
		progress.Plural(res.Downloaded, "file", "files"), humanize.IBytes(uint64(res.BytesDownloaded)),
		progress.Plural(res.Skipped, "file", "files"), humanize.IBytes(uint64(res.BytesSkipped)), res.Failed)
	if res.Ignored > 0 {
		fmt.Fprintf(env.Stdout, "Not NDJSON, left alone: %s\n", progress.Plural(res.Ignored, "object", "objects"))
	}
	switch {
	case err != nil:
		return err
	case res.Failed > 0:
		return errFailures
	}
	return nil
}
