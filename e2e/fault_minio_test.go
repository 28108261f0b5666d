//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	fp "github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// makeBucket makes a bucket in the bed's MinIO with the given objects; it
// is removed at the end (if MinIO is up by then).
func makeBucket(t *testing.T, bed *testbed.Bed, objects map[string][]byte) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mc, err := minio.New(bed.MinIOEndpoint, &minio.Options{Creds: credentials.NewStaticV4(bed.MinIOAccessKey, bed.MinIOSecretKey, "")})
	must(t, err)
	name := randomID(t) + "-fault"
	must(t, mc.MakeBucket(ctx, name, minio.MakeBucketOptions{}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for o := range mc.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			_ = mc.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(ctx, name)
	})
	for key, data := range objects {
		_, err := mc.PutObject(ctx, name, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		must(t, err)
	}
	return name
}

// bigNDJSON makes about size bytes of Observation lines.
func bigNDJSON(tag string, n, size int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, `{"resourceType":"Observation","id":"%s-%d-%d","status":"final","code":{"text":"%s"}}`+"\n", tag, n, i, strings.Repeat("x", 300))
	}
	return b.Bytes()
}

// TestFaultMinIODownload stops MinIO while download streams objects (the
// proxy in front of it trickles them): the run fails clearly and leaves
// no partial or truncated file; after MinIO is back, a rerun completes.
func TestFaultMinIODownload(t *testing.T) {
	bed := fileBed(t)
	tag := randomID(t)
	objects := map[string][]byte{}
	for i := range 4 {
		objects[fmt.Sprintf("dl/Observation.%03d.ndjson", i)] = bigNDJSON(tag, i, 1<<20)
	}
	objects["dl/Organization.000.ndjson"] = []byte(`{"resourceType":"Organization","id":"` + tag + `"}` + "\n")
	name := makeBucket(t, bed, objects)
	p, err := fp.Start(bed.MinIOEndpoint)
	must(t, err)
	t.Cleanup(func() { p.Close() })
	getObject := func(r *http.Request) bool { return r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/"+name+"/dl/") }
	// About 400 KB/s per object: each takes over two seconds.
	p.Always(getObject, fp.Fault{Trickle: 4096, TrickleEvery: 10 * time.Millisecond})
	var mu sync.Mutex
	var first time.Time
	killed := killWhen(t, "minio", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if first.IsZero() && answered(p, getObject) >= 2 {
			first = time.Now()
		}
		return !first.IsZero() && time.Since(first) > 500*time.Millisecond
	}, p.ResetAll) // what MinIO had sent is still in the socket buffers: cut the streams too
	tmp := t.TempDir()
	out := filepath.Join(tmp, "out")
	settings := map[string]string{"MINIO_ENDPOINT": p.Addr(), "MINIO_ACCESS_KEY": bed.MinIOAccessKey,
		"MINIO_SECRET_KEY": bed.MinIOSecretKey, "XDG_STATE_HOME": tmp}
	args := []string{"download", "--bucket", name, "--prefix", "dl", "-o", out, "-c", "2"}
	start := time.Now()
	r := run(t, settings, args...)
	<-killed
	t.Logf("download: exit %d after %v\nstderr:\n%s", r.code, time.Since(start).Round(time.Millisecond), r.stderr)
	assertNoSecret(t, []string{bed.MinIOSecretKey}, r, tmp)
	if r.code != cli.ExitFatal && r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want 1 or 3 with MinIO stopped\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "s3://"+name+"/dl/") {
		t.Errorf("no message names an object that failed:\n%s", r.stderr)
	}
	checkDownloaded(t, out, objects, false)

	restartFileBed(t)
	p.Clear()
	r = run(t, settings, args...)
	if r.code != cli.ExitOK {
		t.Fatalf("rerun: exit %d, want 0\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	assertNoSecret(t, []string{bed.MinIOSecretKey}, r, tmp)
	checkDownloaded(t, out, objects, true)
}

// checkDownloaded checks that dir holds no partial file and only whole
// copies of objects (under the prefix "dl/"); all of them when complete.
func checkDownloaded(t *testing.T, dir string, objects map[string][]byte, complete bool) {
	t.Helper()
	found := 0
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && p == dir {
				return fs.SkipDir
			}
			return err
		}
		if e.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		want, ok := objects["dl/"+filepath.ToSlash(rel)]
		if !ok {
			t.Errorf("%s: a file that is no object (a partial download?)", rel)
			return nil
		}
		got, err := os.ReadFile(p)
		must(t, err)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, not the object's %d: a truncated file", rel, len(got), len(want))
		}
		found++
		return nil
	})
	must(t, err)
	if complete && found != len(objects) {
		t.Errorf("%d of %d objects downloaded", found, len(objects))
	}
}

// TestFaultMinIOUpload stops MinIO in the middle of upload --input
// s3://... after 3 Bundles were answered. Fetching each object twice
// (--fetch-once=false: once to plan, again to send), the run stops or
// finishes with the unread objects named, and after MinIO is back a
// rerun completes it. Fetching once (the default), the objects were all
// read while planning: the run completes without MinIO.
func TestFaultMinIOUpload(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		twice bool
	}{
		{"fetched twice", []string{"--fetch-once=false"}, true},
		{"fetched once", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bed := fileBed(t)
			hapi := testbed.Default(t)
			d := makeDataset(t, faultPatients, true)
			objects := map[string][]byte{}
			for name, data := range d.files {
				objects["up/"+name] = data
			}
			name := makeBucket(t, bed, objects)
			f := newFaultRun(t, hapi, d, append([]string{"-s", "5", "-c", "2", "--retries", "3", "--timeout", "10s"}, tc.args...)...)
			f.input = "s3://" + name + "/up"
			f.settings = map[string]string{"MINIO_ENDPOINT": bed.MinIOEndpoint, "MINIO_ACCESS_KEY": bed.MinIOAccessKey, "MINIO_SECRET_KEY": bed.MinIOSecretKey}
			f.secrets = []string{bed.MinIOSecretKey}
			f.proxy.Always(batches(), fp.Fault{Delay: 200 * time.Millisecond})
			killed := killWhen(t, "minio", func() bool { return answered(f.proxy, batches()) >= 3 }, nil)
			r := f.upload()
			<-killed
			t.Logf("stderr:\n%s", r.stderr)
			if tc.twice {
				f.mustStopClearly(r, "s3://"+name+"/up/")
			} else {
				f.mustComplete(r)
			}
			restartFileBed(t)
			f.finish(r)
		})
	}
}
