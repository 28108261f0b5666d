package bucket

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// memStore serves objects from memory, as a bucket would.
type memStore struct {
	data  map[string][]byte
	calls atomic.Int64
}

func (m *memStore) get(ctx context.Context, o Object) (io.ReadCloser, error) {
	m.calls.Add(1)
	b, ok := m.data[o.Key]
	if !ok {
		return nil, errors.New("no such key")
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

var modTime = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// memObject describes data stored at key under prefix "p/"; multipart
// gives it an ETag that is no MD5.
func memObject(key string, data []byte, multipart bool) Object {
	sum := md5.Sum(data)
	etag := hex.EncodeToString(sum[:])
	if multipart {
		etag = etag[:32] + "-2"
	}
	return Object{Key: key, Rel: strings.TrimPrefix(key, "p/"), Size: int64(len(data)),
		LastModified: modTime, ETag: etag, NDJSON: strings.HasSuffix(key, ".ndjson") || strings.HasSuffix(key, ".ndjson.gz")}
}

func s3name(key string) string { return "s3://b/" + key }

func runDownload(t *testing.T, ctx context.Context, dir string, objs []Object, get getFunc) DownloadResult {
	t.Helper()
	res, err := download(ctx, dir, objs, get, s3name, DownloadOptions{Concurrency: 2})
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	return res
}

func TestDownloadWritesThenSkips(t *testing.T) {
	store := &memStore{data: map[string][]byte{
		"p/Patient.ndjson":           []byte(`{"resourceType":"Patient","id":"a"}` + "\n"),
		"p/sub/Observation.ndjson":   bytes.Repeat([]byte("o"), 3<<20),
		"p/README.md":                []byte("not data"),
		"p/deep/er/Encounter.ndjson": []byte("{}\n"),
	}}
	objs := []Object{
		memObject("p/Patient.ndjson", store.data["p/Patient.ndjson"], false),
		memObject("p/README.md", store.data["p/README.md"], false),
		memObject("p/deep/er/Encounter.ndjson", store.data["p/deep/er/Encounter.ndjson"], true),
		memObject("p/sub/Observation.ndjson", store.data["p/sub/Observation.ndjson"], false),
	}
	dir := t.TempDir()
	ctx := context.Background()

	res := runDownload(t, ctx, dir, objs, store.get)
	if res.Downloaded != 3 || res.Skipped != 0 || res.Failed != 0 || res.Ignored != 1 || res.Listed != 3 {
		t.Fatalf("first run: got %+v, want 3 downloaded, 1 ignored", res)
	}
	if want := int64(len(store.data["p/Patient.ndjson"]) + 3<<20 + 3); res.BytesDownloaded != want {
		t.Errorf("BytesDownloaded: got %d, want %d", res.BytesDownloaded, want)
	}
	for _, o := range objs {
		p := filepath.Join(dir, filepath.FromSlash(o.Rel))
		if !o.NDJSON {
			assertMissing(t, p)
			continue
		}
		assertFile(t, p, store.data[o.Key])
		if info, err := os.Stat(p); err != nil || !info.ModTime().Equal(modTime) {
			t.Errorf("%s: mtime %v (%v), want %v", p, info.ModTime(), err, modTime)
		}
	}
	assertNoPartial(t, dir)

	store.calls.Store(0)
	res = runDownload(t, ctx, dir, objs, store.get)
	if res.Skipped != 3 || res.Downloaded != 0 || res.BytesSkipped != res.ListedBytes {
		t.Fatalf("rerun: got %+v, want 3 skipped", res)
	}
	if n := store.calls.Load(); n != 0 {
		t.Errorf("rerun fetched %d objects, want 0", n)
	}

	// Same size, other content: the MD5 tells. Other mtime, where the
	// ETag is no MD5: the time tells.
	mustWrite(t, filepath.Join(dir, "Patient.ndjson"), bytes.ToUpper(store.data["p/Patient.ndjson"]))
	later := modTime.Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "deep", "er", "Encounter.ndjson"), later, later); err != nil {
		t.Fatal(err)
	}
	res = runDownload(t, ctx, dir, objs, store.get)
	if res.Downloaded != 2 || res.Skipped != 1 {
		t.Fatalf("after changes: got %+v, want 2 downloaded, 1 skipped", res)
	}
	assertFile(t, filepath.Join(dir, "Patient.ndjson"), store.data["p/Patient.ndjson"])
}

func TestDownloadRefusesUnsafeKeys(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "dl")
	outside := filepath.Join(parent, "elsewhere")
	mustMkdir(t, filepath.Join(dir, "real"))
	mustMkdir(t, outside)
	mustSymlink(t, outside, filepath.Join(dir, "out"))
	mustSymlink(t, filepath.Join(dir, "real"), filepath.Join(dir, "in"))
	data := []byte("{}\n")
	keys := []string{
		"p/../x.ndjson", "p/../../x.ndjson", "p//abs.ndjson", "p/a/../../x.ndjson",
		"p/out/x.ndjson", "p/out/deeper/x.ndjson", "p/in/x.ndjson",
	}
	store := &memStore{data: map[string][]byte{}}
	var objs []Object
	for _, k := range keys {
		store.data[k] = data
		objs = append(objs, memObject(k, data, false))
	}
	res := runDownload(t, context.Background(), dir, objs, store.get)
	if res.Failed != len(keys) || res.Downloaded != 0 {
		t.Fatalf("got %+v, want %d failed", res, len(keys))
	}
	for _, f := range res.Files {
		if !errors.Is(f.Err, ErrUnsafePath) {
			t.Errorf("%s: got %v, want ErrUnsafePath", f.Object.Key, f.Err)
		}
		if !strings.Contains(f.Err.Error(), s3name(f.Object.Key)) {
			t.Errorf("error %q does not name the object %s", f.Err, s3name(f.Object.Key))
		}
	}
	if n := store.calls.Load(); n != 0 {
		t.Errorf("fetched %d refused objects, want 0", n)
	}
	assertTree(t, parent, []string{"dl", "dl/in", "dl/out", "dl/real", "elsewhere"})
}

func TestDownloadVerifies(t *testing.T) {
	good := []byte(strings.Repeat(`{"resourceType":"Patient"}`+"\n", 1000))
	tests := []struct {
		name      string
		served    []byte
		multipart bool
		want      string
	}{
		{"truncated", good[:100], false, "got 100 bytes"},
		{"too long", append(append([]byte(nil), good...), "more"...), false, "bytes, the object has"},
		{"other content", bytes.ToUpper(good), false, "does not match the ETag"},
		{"truncated, no md5", good[:100], true, "got 100 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			obj := memObject("p/Patient.ndjson", good, tt.multipart)
			store := &memStore{data: map[string][]byte{obj.Key: tt.served}}
			res := runDownload(t, context.Background(), dir, []Object{obj}, store.get)
			if res.Failed != 1 {
				t.Fatalf("got %+v, want 1 failed", res)
			}
			if err := res.Files[0].Err; err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error saying %q", err, tt.want)
			}
			assertTree(t, dir, nil)
		})
	}
}

func TestDownloadReplacesStalePartial(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "dl")
	mustMkdir(t, dir)
	victim := filepath.Join(parent, "victim.txt")
	mustWrite(t, victim, []byte("keep me"))
	data := []byte(`{"resourceType":"Patient"}` + "\n")
	mustWrite(t, filepath.Join(dir, "A.ndjson.partial"), []byte("stale garbage from a killed run"))
	mustSymlink(t, victim, filepath.Join(dir, "B.ndjson.partial"))
	store := &memStore{data: map[string][]byte{"p/A.ndjson": data, "p/B.ndjson": data}}
	objs := []Object{memObject("p/A.ndjson", data, false), memObject("p/B.ndjson", data, false)}
	res := runDownload(t, context.Background(), dir, objs, store.get)
	if res.Downloaded != 2 {
		t.Fatalf("got %+v, want 2 downloaded", res)
	}
	assertFile(t, filepath.Join(dir, "A.ndjson"), data)
	assertFile(t, filepath.Join(dir, "B.ndjson"), data)
	assertFile(t, victim, []byte("keep me"))
	assertNoPartial(t, dir)
}

// stallReader gives n bytes, then blocks until ctx ends, like a slow
// server in the middle of a body.
type stallReader struct {
	ctx context.Context
	n   int
}

func (r *stallReader) Read(b []byte) (int, error) {
	if r.n == 0 {
		<-r.ctx.Done()
		return 0, r.ctx.Err()
	}
	k := min(len(b), r.n)
	for i := range k {
		b[i] = 'x'
	}
	r.n -= k
	return k, nil
}

func TestDownloadCancelMidStream(t *testing.T) {
	dir := t.TempDir()
	data := bytes.Repeat([]byte("x"), 8<<20)
	obj := memObject("p/Big.ndjson", data, false)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stalling := func(ctx context.Context, o Object) (io.ReadCloser, error) {
		return io.NopCloser(&stallReader{ctx: ctx, n: 2 << 20}), nil
	}
	var events []DownloadEvent
	progress := func(ev DownloadEvent) {
		events = append(events, ev) // no lock: Progress is called from one goroutine
		if ev.Kind == EventBytes && ev.Bytes >= 1<<20 {
			cancel()
		}
	}
	start := time.Now()
	res, err := download(ctx, dir, []Object{obj}, stalling, s3name, DownloadOptions{Progress: progress})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to stop", d)
	}
	if len(res.Files) != 0 || res.Failed != 0 {
		t.Errorf("got %+v, want no finished files", res)
	}
	if len(events) == 0 || events[0].Kind != EventListed || events[0].Total != 1 {
		t.Errorf("first event: got %+v, want EventListed with Total 1", events)
	}
	assertTree(t, dir, nil)

	store := &memStore{data: map[string][]byte{obj.Key: data}}
	res = runDownload(t, context.Background(), dir, []Object{obj}, store.get)
	if res.Downloaded != 1 {
		t.Fatalf("rerun: got %+v, want 1 downloaded", res)
	}
	assertFile(t, filepath.Join(dir, "Big.ndjson"), data)
	assertNoPartial(t, dir)
}

func TestDownloadEvents(t *testing.T) {
	store := &memStore{data: map[string][]byte{}}
	var objs []Object
	for _, k := range []string{"p/A.ndjson", "p/B.ndjson", "p/C.ndjson", "p/D.ndjson", "p/E.ndjson"} {
		store.data[k] = []byte(k + "\n")
		objs = append(objs, memObject(k, store.data[k], false))
	}
	objs = append(objs, memObject("p/gone.ndjson", []byte("{}\n"), false)) // get fails
	var events []DownloadEvent
	res, err := download(context.Background(), t.TempDir(), objs, store.get, s3name,
		DownloadOptions{Concurrency: 3, Progress: func(ev DownloadEvent) { events = append(events, ev) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Downloaded != 5 || res.Failed != 1 {
		t.Fatalf("got %+v, want 5 downloaded, 1 failed", res)
	}
	started, finished := map[string]bool{}, map[string]Status{}
	for i, ev := range events {
		switch ev.Kind {
		case EventListed:
			if i != 0 || ev.Total != 6 {
				t.Errorf("EventListed at %d with Total %d, want at 0 with 6", i, ev.Total)
			}
		case EventStarted:
			started[ev.Object.Key] = true
		case EventFinished:
			if !started[ev.Object.Key] {
				t.Errorf("%s finished before it started", ev.Object.Key)
			}
			finished[ev.Object.Key] = ev.File.Status
		}
	}
	if len(finished) != 6 || finished["p/gone.ndjson"] != Failed || finished["p/A.ndjson"] != Downloaded {
		t.Errorf("finished: got %v", finished)
	}
	for i := 1; i < len(res.Files); i++ {
		if res.Files[i-1].Object.Key >= res.Files[i].Object.Key {
			t.Errorf("Files not sorted by key at %d", i)
		}
	}
}

func mustWrite(t *testing.T, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func assertFile(t *testing.T, p string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil {
		t.Errorf("read %s: %v", p, err)
		return
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: got %d bytes, want %d identical bytes", p, len(got), len(want))
	}
}

func assertMissing(t *testing.T, p string) {
	t.Helper()
	if _, err := os.Lstat(p); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s: got %v, want it missing", p, err)
	}
}

func assertNoPartial(t *testing.T, dir string) {
	t.Helper()
	_ = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if strings.HasSuffix(p, ".partial") {
			t.Errorf("left behind: %s", p)
		}
		return err
	})
}

// assertTree checks that dir holds exactly the given entries (slash paths,
// relative to dir), not following links.
func assertTree(t *testing.T, dir string, want []string) {
	t.Helper()
	var got []string
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil && p != dir {
			rel, _ := filepath.Rel(dir, p)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("%s holds %q, want %q", dir, got, want)
	}
}
