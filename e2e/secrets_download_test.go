//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestSecretsDownloadStaysInFolder: download writes nothing outside its
// folder, whatever the keys (those MinIO agrees to store) and whatever
// symbolic links wait in the folder: a link to an outside folder, a link
// in place of a file, a link in place of the .partial file.
func TestSecretsDownloadStaysInFolder(t *testing.T) {
	bed := testbed.Default(t)
	data := []byte(`{"resourceType":"Device","id":"` + randomID(t) + `"}` + "\n")
	name := makeBucket(t, bed, map[string][]byte{
		"dl/Device.000.ndjson":          data,
		"dl/viafolder/Device.ndjson":    data,
		"dl/linked.ndjson":              data,
		"dl/partial.ndjson":             data,
		"dl/deep/er/Device.ndjson":      data,
		"dl/Device.ndjson.gz/inner.txt": []byte("not data"),
	})
	// Hostile keys, stored if MinIO takes them.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mc, err := minio.New(bed.MinIOEndpoint, &minio.Options{Creds: credentials.NewStaticV4(bed.MinIOAccessKey, bed.MinIOSecretKey, "")})
	must(t, err)
	for _, k := range []string{"dl/../escape.ndjson", "dl/../../escape.ndjson", "dl//abs.ndjson", "dl/./dot.ndjson", "dl/a/../../escape2.ndjson"} {
		if _, err := mc.PutObject(ctx, name, k, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err == nil {
			t.Logf("MinIO stored the key %q", k)
		}
	}

	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	outside := filepath.Join(parent, "outside")
	must(t, os.MkdirAll(out, 0o755))
	must(t, os.MkdirAll(outside, 0o755))
	victim := filepath.Join(outside, "victim.ndjson")
	original := []byte("must stay as it is\n")
	must(t, os.WriteFile(victim, original, 0o644))
	must(t, os.Symlink(outside, filepath.Join(out, "viafolder")))
	must(t, os.Symlink(victim, filepath.Join(out, "linked.ndjson")))
	must(t, os.Symlink(victim, filepath.Join(out, "partial.ndjson.partial")))

	settings := minioSettings(bed)
	settings["XDG_STATE_HOME"] = filepath.Join(parent, "state")
	r := run(t, settings, "download", "--bucket", name, "--prefix", "dl", "-o", out)
	assertNoSecret(t, []string{bed.MinIOSecretKey}, r, parent)
	if r.code != cli.ExitFailures {
		t.Errorf("exit %d, want %d (some keys refused)\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	if stderrLine(r.stderr, "dl/viafolder/Device.ndjson", "symbolic link") == "" {
		t.Errorf("no message says the key through a linked folder was refused:\n%s", r.stderr)
	}
	// Nothing outside changed or appeared.
	if got, err := os.ReadFile(victim); err != nil || !bytes.Equal(got, original) {
		t.Errorf("the file outside the folder changed: %q, %v", got, err)
	}
	entries, err := os.ReadDir(outside)
	must(t, err)
	if len(entries) != 1 {
		t.Errorf("files appeared outside the folder: %v", entries)
	}
	err = filepath.WalkDir(parent, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.Contains(e.Name(), "escape") || strings.HasPrefix(p, filepath.Join(parent, "state")) && !e.IsDir() && strings.HasSuffix(p, ".ndjson") {
			t.Errorf("%s was written", p)
		}
		return nil
	})
	must(t, err)
	// What is safe is there, whole.
	for _, rel := range []string{"Device.000.ndjson", "deep/er/Device.ndjson"} {
		if got, err := os.ReadFile(filepath.Join(out, rel)); err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %q, %v; want the object", rel, got, err)
		}
	}
	// The link in place of a file was replaced or refused, never written
	// through; no .partial is left.
	if info, err := os.Lstat(filepath.Join(out, "linked.ndjson")); err == nil && info.Mode()&fs.ModeSymlink == 0 {
		if got, _ := os.ReadFile(filepath.Join(out, "linked.ndjson")); !bytes.Equal(got, data) {
			t.Errorf("linked.ndjson replaced by %q, want the object", got)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(out, "*.partial"))
	for _, m := range matches {
		if info, err := os.Lstat(m); err == nil && info.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("a partial file is left: %s", m)
		}
	}
}
