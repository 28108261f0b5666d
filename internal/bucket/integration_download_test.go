//go:build e2e

package bucket

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestIntegrationDownload(t *testing.T) {
	cfg, admin := testBucket(t)
	stored, _ := fillBucket(t, cfg, admin)
	cfg.Prefix = "in"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "dl")
	res, err := c.Download(t.Context(), dir, DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Downloaded != 4 || res.Skipped != 0 || res.Failed != 0 || res.Ignored != 1 {
		t.Fatalf("got %+v, want 4 downloaded, 1 ignored", res)
	}
	for _, f := range res.Files {
		assertFile(t, f.Path, stored[f.Object.Key])
		if want := filepath.Join(dir, filepath.FromSlash(f.Object.Rel)); f.Path != want {
			t.Errorf("path: got %s, want %s", f.Path, want)
		}
	}
	assertTree(t, dir, []string{
		"Organization.000.ndjson.gz", "Patient.000.ndjson", "nested",
		"nested/Practitioner.000.ndjson.gz", "nested/deep", "nested/deep/AllergyIntolerance.000.ndjson",
	})

	res, err = c.Download(t.Context(), dir, DownloadOptions{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 4 || res.Downloaded != 0 || res.BytesSkipped != res.ListedBytes {
		t.Errorf("rerun: got %+v, want 4 skipped", res)
	}
}

// genReader yields size bytes of NDJSON lines, the same every time.
type genReader struct {
	size, off int64
	buf, line []byte
	n         int64
}

func (g *genReader) Read(b []byte) (int, error) {
	if g.off >= g.size {
		return 0, io.EOF
	}
	if len(g.line) == 0 {
		g.buf = append(g.buf[:0], `{"resourceType":"Observation","id":"obs-`...)
		g.buf = strconv.AppendInt(g.buf, g.n, 10)
		g.buf = append(g.buf, "\",\"status\":\"final\"}\n"...)
		g.line = g.buf
		g.n++
	}
	k := copy(b, g.line)
	k = int(min(int64(k), g.size-g.off))
	g.line = g.line[k:]
	g.off += int64(k)
	return k, nil
}

func md5Of(t *testing.T, r io.Reader) string {
	t.Helper()
	h := md5.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestIntegrationDownloadCancelled stops a download in the middle of a
// 48 MiB object (stored in parts, so its ETag is no MD5), then runs again.
func TestIntegrationDownloadCancelled(t *testing.T) {
	cfg, admin := testBucket(t)
	const bigSize = 48 << 20
	const bigKey = "big/Observation.ndjson"
	_, err := admin.PutObject(t.Context(), cfg.Bucket, bigKey, &genReader{size: bigSize}, bigSize,
		minio.PutObjectOptions{PartSize: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	patient := readTestdata(t, "Patient.000.ndjson")
	put(t, admin, cfg.Bucket, "big/Patient.000.ndjson", patient)
	cfg.Prefix = "big"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bigPath := filepath.Join(dir, "Observation.ndjson")

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var peak uint64
	progress := func(ev DownloadEvent) {
		if ev.Kind == EventBytes && ev.Object.Key == bigKey && ev.Bytes >= 8<<20 {
			cancel()
		}
	}
	res, err := c.Download(ctx, dir, DownloadOptions{Concurrency: 1, Progress: progress})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if res.Downloaded != 0 || res.Failed != 0 {
		t.Errorf("cancelled run: got %+v, want nothing finished", res)
	}
	assertTree(t, dir, nil)

	// The rerun fetches everything; the heap stays far below the object's
	// size, since nothing holds a whole object.
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	progress = func(ev DownloadEvent) {
		if ev.Kind == EventBytes {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	res, err = c.Download(t.Context(), dir, DownloadOptions{Concurrency: 1, Progress: progress})
	if err != nil || res.Downloaded != 2 {
		t.Fatalf("rerun: got %+v, %v; want 2 downloaded", res, err)
	}
	grew := int64(peak) - int64(base)
	t.Logf("heap grew by %.1f MiB while downloading %d MiB", float64(grew)/(1<<20), bigSize>>20)
	if grew > 16<<20 {
		t.Errorf("heap grew by %d MiB during the download, want under 16", grew>>20)
	}
	f, err := os.Open(bigPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	if got, want := md5Of(t, f), md5Of(t, &genReader{size: bigSize}); got != want {
		t.Errorf("%s: MD5 %s, want %s", bigPath, got, want)
	}
	assertFile(t, filepath.Join(dir, "Patient.000.ndjson"), patient)
	assertNoPartial(t, dir)

	for _, fr := range res.Files {
		if fr.Object.Key == bigKey && isMD5(fr.Object.ETag) {
			t.Errorf("ETag %q of a multipart object looks like an MD5; the mtime path is untested", fr.Object.ETag)
		}
	}
	res, err = c.Download(t.Context(), dir, DownloadOptions{})
	if err != nil || res.Skipped != 2 {
		t.Errorf("third run: got %+v, %v; want 2 skipped", res, err)
	}
}

func TestIntegrationDownloadRefuses(t *testing.T) {
	cfg, admin := testBucket(t)
	data := readTestdata(t, "Device.000.ndjson")
	put(t, admin, cfg.Bucket, "in/Device.000.ndjson", data)
	put(t, admin, cfg.Bucket, "in/sub/Device.000.ndjson", data)
	refused := map[string]bool{"in/sub/Device.000.ndjson": true}
	// MinIO refuses to store most hostile keys; any it does store must be
	// refused by the download.
	for _, k := range []string{"in/../escape.ndjson", "in/../../escape.ndjson", "in/./dot.ndjson",
		"in//empty.ndjson", "in/a\\..\\..\\escape.ndjson"} {
		if _, err := admin.PutObject(t.Context(), cfg.Bucket, k, bytes.NewReader(data), int64(len(data)),
			minio.PutObjectOptions{}); err == nil {
			t.Logf("MinIO stored %q", k)
			if !strings.Contains(k, "\\") {
				refused[k] = true
			}
		}
	}
	cfg.Prefix = "in"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	dir := filepath.Join(parent, "dl")
	mustMkdir(t, dir)
	mustMkdir(t, filepath.Join(parent, "elsewhere"))
	mustSymlink(t, filepath.Join(parent, "elsewhere"), filepath.Join(dir, "sub"))

	res, err := c.Download(t.Context(), dir, DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		switch {
		case refused[f.Object.Key]:
			if f.Status != Failed || !errors.Is(f.Err, ErrUnsafePath) {
				t.Errorf("%s: got %v %v, want failed with ErrUnsafePath", f.Object.Key, f.Status, f.Err)
			}
		case f.Status != Downloaded:
			t.Errorf("%s: got %v %v, want downloaded", f.Object.Key, f.Status, f.Err)
		}
	}
	if res.Failed != len(refused) {
		t.Errorf("got %d failed, want %d", res.Failed, len(refused))
	}
	for _, p := range []string{filepath.Join(parent, "elsewhere", "Device.000.ndjson"),
		filepath.Join(parent, "escape.ndjson")} {
		assertMissing(t, p)
	}
	assertFile(t, filepath.Join(dir, "Device.000.ndjson"), data)
}

func TestIntegrationDownloadChangedObject(t *testing.T) {
	cfg, admin := testBucket(t)
	data := readTestdata(t, "Patient.000.ndjson")
	put(t, admin, cfg.Bucket, "Patient.000.ndjson", data)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	put(t, admin, cfg.Bucket, "Patient.000.ndjson", bytes.ToUpper(data)) // same size, new ETag
	get := func(ctx context.Context, o Object) (io.ReadCloser, error) { return c.get(ctx, o.Key, o.ETag) }
	dir := t.TempDir()
	res, err := download(t.Context(), dir, objs, get, c.URL, DownloadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed != 1 || !strings.Contains(res.Files[0].Err.Error(), "changed since it was listed") {
		t.Errorf("got %+v, want 1 failed because the object changed", res)
	}
	assertTree(t, dir, nil)
}
