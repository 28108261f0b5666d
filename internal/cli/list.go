package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/minio-to-fhir/minio-to-fhir/internal/bucket"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

const listUsage = `Usage: minio-to-fhir list [flags]

Lists the *.ndjson and *.ndjson.gz objects under a bucket prefix, grouped by
the resource type their names imply, with size, time and totals. Objects
whose name implies no type are listed apart.

Flags:
      --bucket B       the bucket [MINIO_BUCKET]
      --prefix P       a folder in the bucket [MINIO_PREFIX]
      --count          also read each object and count its resources
      --json           one JSON record per object, for scripts
      --env-file FILE  read settings from FILE instead of ./.env
  -h, --help           show this help

Connection: MINIO_ENDPOINT (default localhost:9000), MINIO_ACCESS_KEY,
MINIO_SECRET_KEY, MINIO_SECURE (default false), MINIO_REGION.
`

type listOptions struct {
	bucket, prefix, envFile string
	count, json             bool
}

// flags returns list's flags, bound to o.
func (o *listOptions) flags() *flag.FlagSet {
	fs := newFlagSet("list")
	fs.StringVar(&o.bucket, "bucket", "", "")
	fs.StringVar(&o.prefix, "prefix", "", "")
	fs.StringVar(&o.envFile, "env-file", "", "")
	fs.BoolVar(&o.count, "count", false, "")
	fs.BoolVar(&o.json, "json", false, "")
	return fs
}

func runListCmd(ctx context.Context, args []string, env Env) error {
	var o listOptions
	if err := parseFlags(o.flags(), args, listUsage, env.Stdout); err != nil {
		return err
	}
	c, err := openBucket(ctx, o.envFile, o.bucket, o.prefix, env)
	if err != nil {
		return err
	}
	return runList(ctx, c, o, env.Stdout)
}

// openBucket reads the settings, makes a client and checks the bucket.
func openBucket(ctx context.Context, envFile, bucketFlag, prefixFlag string, env Env) (*bucket.Client, error) {
	s, err := loadSettings(envFile, env.Lookup)
	if err != nil {
		return nil, err
	}
	cfg, err := bucketConfig(s, bucketFlag, prefixFlag)
	if err != nil {
		return nil, err
	}
	c, err := bucket.New(cfg)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	if err := c.Check(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// listRecord is one object in --json output.
type listRecord struct {
	Key          string    `json:"key"`
	Type         string    `json:"resourceType,omitempty"`
	Size         int64     `json:"size"`
	LastModified time.Time `json:"lastModified"`
	Resources    *int      `json:"resources,omitempty"`
}

func runList(ctx context.Context, c *bucket.Client, o listOptions, w io.Writer) error {
	objs, err := c.List(ctx)
	if err != nil {
		return err
	}
	var nd []bucket.Object
	for _, ob := range objs {
		if ob.NDJSON {
			nd = append(nd, ob)
		}
	}
	counts := make([]int, len(nd))
	if o.count {
		for i, ob := range nd {
			n, err := countObject(ctx, c, ob)
			if err != nil {
				return err
			}
			counts[i] = n
		}
	}
	if o.json {
		enc := json.NewEncoder(w)
		for i, ob := range nd {
			rec := listRecord{Key: ob.Key, Type: ob.Type, Size: ob.Size, LastModified: ob.LastModified}
			if o.count {
				rec.Resources = &counts[i]
			}
			if err := enc.Encode(rec); err != nil {
				return err
			}
		}
		return nil
	}
	printListing(w, c, nd, counts, o.count)
	return nil
}

// countObject streams an object and counts its non-blank lines.
func countObject(ctx context.Context, c *bucket.Client, ob bucket.Object) (int, error) {
	f := source.File{Name: ob.Key, Size: ob.Size, Open: func(ctx context.Context) (io.ReadCloser, error) { return c.Open(ctx, ob.Key) }}
	rc, err := source.OpenNDJSON(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("count %s: %w", c.URL(ob.Key), err)
	}
	defer rc.Close()
	r := ndjson.NewReader(rc, 0)
	n := 0
	for {
		_, err := r.Next()
		if err == io.EOF {
			return n, nil
		}
		if err != nil && !ndjson.IsLineError(err) {
			return n, fmt.Errorf("count %s: line %d: %w", c.URL(ob.Key), r.LineNum()+1, err)
		}
		n++
	}
}

// printListing prints the objects grouped by type, then the totals.
func printListing(w io.Writer, c *bucket.Client, objs []bucket.Object, counts []int, counted bool) {
	fmt.Fprintf(w, "%s\n\n", c)
	byType := map[string][]int{}
	for i, ob := range objs {
		byType[ob.Type] = append(byType[ob.Type], i)
	}
	types := make([]string, 0, len(byType))
	for t := range byType {
		if t != "" {
			types = append(types, t)
		}
	}
	sort.Strings(types)
	if _, ok := byType[""]; ok {
		types = append(types, "")
	}
	width := 0
	for _, ob := range objs {
		width = max(width, len(ob.Rel))
	}
	var totalBytes int64
	totalRes := 0
	for _, t := range types {
		title := t
		if t == "" {
			title = "(no resource type in the name)"
		}
		var bytes int64
		res := 0
		for _, i := range byType[t] {
			bytes += objs[i].Size
			res += counts[i]
		}
		head := fmt.Sprintf("%s: %s, %s", title, progress.Plural(len(byType[t]), "file", "files"), humanize.IBytes(uint64(bytes)))
		if counted {
			head += ", " + progress.Plural(res, "resource", "resources")
		}
		fmt.Fprintln(w, head)
		for _, i := range byType[t] {
			ob := objs[i]
			row := fmt.Sprintf("  %-*s  %10s  %s", width, ob.Rel, humanize.IBytes(uint64(ob.Size)), ob.LastModified.UTC().Format("2006-01-02 15:04"))
			if counted {
				row += fmt.Sprintf("  %12s", progress.Thousands(counts[i]))
			}
			fmt.Fprintln(w, row)
		}
		totalBytes += bytes
		totalRes += res
	}
	named := len(types)
	if _, ok := byType[""]; ok {
		named--
	}
	total := fmt.Sprintf("\nTotal: %s, %s, %s", progress.Plural(len(objs), "file", "files"), progress.Plural(named, "type", "types"), humanize.IBytes(uint64(totalBytes)))
	if counted {
		total += ", " + progress.Plural(totalRes, "resource", "resources")
	}
	fmt.Fprintln(w, total)
}
