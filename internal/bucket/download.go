package bucket

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// DownloadOptions tune Download.
type DownloadOptions struct {
	// Concurrency is how many objects are fetched at once; 0 or less
	// means defaults.DownloadConcurrency.
	Concurrency int
	// Progress, when set, is told what happens. Download calls it from
	// its own goroutine, one event at a time, so it needs no locking; it
	// should return quickly, since the downloads wait for it.
	Progress func(DownloadEvent)
}

// EventKind says what a DownloadEvent reports.
type EventKind int

const (
	// EventListed comes first and once: Total and TotalBytes count the
	// NDJSON objects under the prefix.
	EventListed EventKind = iota + 1
	// EventStarted says fetching Object began. Objects found already
	// present are not started; they only finish, as skipped.
	EventStarted
	// EventBytes says Bytes of Object are written so far. It comes about
	// once per MiB.
	EventBytes
	// EventFinished gives the outcome for Object in File.
	EventFinished
)

// DownloadEvent is one step of a download, for a progress display.
type DownloadEvent struct {
	Kind       EventKind
	Object     Object     // EventStarted, EventBytes, EventFinished
	Bytes      int64      // EventBytes
	File       FileResult // EventFinished
	Total      int        // EventListed
	TotalBytes int64      // EventListed
}

// Status is the outcome for one object.
type Status int

const (
	// Downloaded means the object was fetched, checked and written.
	Downloaded Status = iota + 1
	// Skipped means an identical file was already there.
	Skipped
	// Failed means the object was not written; FileResult.Err says why.
	Failed
)

// String returns "downloaded", "skipped" or "failed".
func (s Status) String() string {
	switch s {
	case Downloaded:
		return "downloaded"
	case Skipped:
		return "skipped"
	case Failed:
		return "failed"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// FileResult is the outcome for one object.
type FileResult struct {
	Object Object
	Path   string // the local file; "" when the key is no safe relative path
	Status Status
	Err    error // why it failed; the text names the object
}

// DownloadResult sums up a download.
type DownloadResult struct {
	// Files has one entry per NDJSON object that finished, sorted by key.
	// Objects not reached before ctx was cancelled are left out.
	Files       []FileResult
	Listed      int   // NDJSON objects under the prefix
	ListedBytes int64 // their total size
	Ignored     int   // other objects under the prefix, not downloaded
	Downloaded  int
	Skipped     int
	Failed      int
	// BytesDownloaded and BytesSkipped add up the sizes of the downloaded
	// and of the skipped objects.
	BytesDownloaded int64
	BytesSkipped    int64
}

func (r *DownloadResult) add(f FileResult) {
	r.Files = append(r.Files, f)
	switch f.Status {
	case Downloaded:
		r.Downloaded++
		r.BytesDownloaded += f.Object.Size
	case Skipped:
		r.Skipped++
		r.BytesSkipped += f.Object.Size
	case Failed:
		r.Failed++
	}
}

// Download writes each NDJSON object under the prefix to dir, at its key
// below the prefix, making subfolders as needed. Each file is written as
// name.partial, synced, checked against the object's size and (when the
// ETag is a plain MD5) its MD5, given the object's modification time and
// only then renamed, so dir never holds a truncated .ndjson. Files already
// there and identical are skipped, so a rerun fetches only what is missing.
// Keys that would land outside dir, or be written through a symbolic link,
// are refused (ErrUnsafePath).
//
// A failed object is a result, not an error: it is listed in the result
// and the rest go on. The error is for what stops the whole run: the
// listing failed, dir cannot be made, or ctx ended (the result then holds
// what finished before).
func (c *Client) Download(ctx context.Context, dir string, opts DownloadOptions) (DownloadResult, error) {
	objs, err := c.List(ctx)
	if err != nil {
		return DownloadResult{}, err
	}
	get := func(ctx context.Context, o Object) (io.ReadCloser, error) { return c.get(ctx, o.Key, o.ETag) }
	res, err := download(ctx, dir, objs, get, c.URL, opts)
	if err != nil {
		return res, fmt.Errorf("download %s: %w", c.String(), err)
	}
	return res, nil
}

// download is Download after the listing.
func download(ctx context.Context, dir string, objs []Object, get getFunc, name func(string) string,
	opts DownloadOptions) (DownloadResult, error) {
	var res DownloadResult
	var todo []Object
	for _, o := range objs {
		if !o.NDJSON {
			res.Ignored++
			continue
		}
		todo = append(todo, o)
		res.Listed++
		res.ListedBytes += o.Size
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return res, fmt.Errorf("make folder %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return res, fmt.Errorf("open folder %s: %w", dir, err)
	}
	defer func() { _ = root.Close() }() // nothing to report: every file in it is closed by then

	n := opts.Concurrency
	if n <= 0 {
		n = defaults.DownloadConcurrency
	}
	events := make(chan DownloadEvent, n)
	d := &downloader{root: root, dir: dir, get: get, name: name, events: events}
	jobs := make(chan Object)
	var g errgroup.Group
	g.Go(func() error {
		defer close(jobs)
		for _, o := range todo {
			select {
			case jobs <- o:
			case <-ctx.Done():
				return nil
			}
		}
		return nil
	})
	for range n {
		g.Go(func() error {
			for o := range jobs {
				if f, ok := d.fetch(ctx, o); ok {
					events <- DownloadEvent{Kind: EventFinished, Object: o, File: f}
				}
			}
			return nil
		})
	}
	go func() {
		_ = g.Wait() // the goroutines return no errors
		close(events)
	}()

	// This goroutine is the collector: it alone touches res and calls
	// Progress, so neither needs a lock.
	report := func(ev DownloadEvent) {
		if opts.Progress != nil {
			opts.Progress(ev)
		}
	}
	report(DownloadEvent{Kind: EventListed, Total: res.Listed, TotalBytes: res.ListedBytes})
	for ev := range events {
		if ev.Kind == EventFinished {
			res.add(ev.File)
		}
		report(ev)
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Object.Key < res.Files[j].Object.Key })
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}
