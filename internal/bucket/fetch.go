package bucket

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// getFunc streams an object.
type getFunc func(ctx context.Context, o Object) (io.ReadCloser, error)

// progressEvery is how many bytes pass between EventBytes events.
const progressEvery = 1 << 20

// downloader fetches objects into one folder; its methods are safe for
// concurrent use.
type downloader struct {
	root   *os.Root // all file operations go through it, confined to dir
	dir    string
	get    getFunc
	name   func(key string) string
	events chan<- DownloadEvent
}

// fetch brings one object into the folder. It reports false when ctx ended
// before the object was done, so that an interrupted object is not counted
// as a failure.
func (d *downloader) fetch(ctx context.Context, o Object) (FileResult, bool) {
	f := FileResult{Object: o}
	fail := func(err error) (FileResult, bool) {
		if ctx.Err() != nil {
			return f, false
		}
		f.Status, f.Err = Failed, fmt.Errorf("download %s: %w", d.name(o.Key), err)
		return f, true
	}
	p, err := localPath(o.Rel)
	if err != nil {
		return fail(err)
	}
	f.Path = filepath.Join(d.dir, p)
	if err := checkFolders(d.root, p); err != nil {
		return fail(err)
	}
	// A file that cannot be compared is fetched again; if it is in the
	// way for good, writing says so.
	if same, err := identical(ctx, d.root, p, o); err == nil && same {
		f.Status = Skipped
		return f, true
	}
	d.events <- DownloadEvent{Kind: EventStarted, Object: o}
	if err := d.write(ctx, p, o); err != nil {
		return fail(err)
	}
	f.Status = Downloaded
	return f, true
}

// write fetches o into p.partial, checks it, and renames it to p. On any
// failure the .partial file is removed.
func (d *downloader) write(ctx context.Context, p string, o Object) (err error) {
	if dir := filepath.Dir(p); dir != "." {
		if err := d.root.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("make folder: %w", err)
		}
	}
	part := p + ".partial"
	// A .partial left by a killed run is replaced. Removing it rather
	// than truncating it means a link put in its place is never followed.
	if err := d.root.Remove(part); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove stale %s: %w", part, err)
	}
	file, err := d.root.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			// The first error is the one to report; cleaning up is best effort.
			_ = file.Close()
			_ = d.root.Remove(part)
		}
	}()
	n, sum, err := d.copy(ctx, file, o)
	if err != nil {
		return err
	}
	if err := verify(o, n, sum); err != nil {
		return err
	}
	if err := file.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", part, err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("close %s: %w", part, err)
	}
	// The modification time lets a rerun recognise the file when the ETag
	// is no MD5.
	if err := d.root.Chtimes(part, o.LastModified, o.LastModified); err != nil {
		return fmt.Errorf("set time of %s: %w", part, err)
	}
	if err := d.root.Rename(part, p); err != nil {
		return fmt.Errorf("rename %s: %w", part, err)
	}
	syncDir(d.root, filepath.Dir(p))
	return nil
}

// copy streams o into w and returns the byte count and the MD5. It reads
// at most one byte more than the object's size, so a server that sends too
// much cannot fill the disk.
func (d *downloader) copy(ctx context.Context, w io.Writer, o Object) (int64, []byte, error) {
	body, err := d.get(ctx, o)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = body.Close() }() // a read error, if any, was already seen
	h := md5.New()
	pw := &progressWriter{obj: o, events: d.events}
	n, err := io.Copy(io.MultiWriter(w, h, pw), io.LimitReader(body, o.Size+1))
	if err != nil {
		return n, nil, fmt.Errorf("after %d of %d bytes: %w", n, o.Size, err)
	}
	return n, h.Sum(nil), nil
}

// verify compares what was written with what the listing promised.
func verify(o Object, n int64, sum []byte) error {
	if n != o.Size {
		return fmt.Errorf("got %d bytes, the object has %d", n, o.Size)
	}
	if isMD5(o.ETag) && hex.EncodeToString(sum) != strings.ToLower(o.ETag) {
		return fmt.Errorf("content MD5 %x does not match the ETag %s", sum, o.ETag)
	}
	return nil
}

// isMD5 reports whether an ETag is a plain MD5 of the content: 32 hex
// digits. Multipart ETags end in "-N" and are not. (Objects encrypted with
// SSE-C or SSE-KMS on AWS have MD5-shaped ETags that are not the MD5; such
// objects fail the check.)
func isMD5(etag string) bool {
	if len(etag) != 32 {
		return false
	}
	_, err := hex.DecodeString(etag)
	return err == nil
}

// identical reports whether p already holds o: a regular file of the same
// size with the same MD5 when the ETag is one, else the same modification
// time (to the second).
func identical(ctx context.Context, root *os.Root, p string, o Object) (bool, error) {
	info, err := root.Lstat(p)
	if err != nil || !info.Mode().IsRegular() || info.Size() != o.Size {
		return false, err
	}
	if !isMD5(o.ETag) {
		return info.ModTime().Truncate(time.Second).Equal(o.LastModified.Truncate(time.Second)), nil
	}
	f, err := root.Open(p)
	if err != nil {
		return false, err
	}
	defer func() { _ = f.Close() }() // opened for reading only
	h := md5.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == strings.ToLower(o.ETag), nil
}

// ctxReader stops reading once ctx ends, so hashing a large file does not
// hold up cancellation.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(b []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(b)
}

// progressWriter sends EventBytes about once per progressEvery bytes.
type progressWriter struct {
	obj    Object
	events chan<- DownloadEvent
	n      int64
	next   int64
}

func (w *progressWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	if w.n >= w.next {
		w.events <- DownloadEvent{Kind: EventBytes, Object: w.obj, Bytes: w.n}
		w.next = w.n + progressEvery
	}
	return len(b), nil
}

// syncDir makes a rename durable. Its errors are ignored: some systems
// cannot sync a folder, and the file itself is already synced.
func syncDir(root *os.Root, dir string) {
	f, err := root.Open(dir)
	if err != nil {
		return
	}
	_ = f.Sync()
	_ = f.Close()
}
