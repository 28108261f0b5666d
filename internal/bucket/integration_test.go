//go:build e2e

package bucket

// Integration tests against the real MinIO of the test bed (see
// tools/testbed): each test makes its own bucket and deletes it after.

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// testBucket makes a bucket with a random name on the test bed's MinIO and
// returns a Config for it (Prefix unset) and an admin client to fill it.
func testBucket(t *testing.T) (Config, *minio.Client) {
	t.Helper()
	b := testbed.Default(t)
	admin, err := minio.New(b.MinIOEndpoint, &minio.Options{
		Creds: credentials.NewStaticV4(b.MinIOAccessKey, b.MinIOSecretKey, ""),
	})
	if err != nil {
		t.Fatal(err)
	}
	suffix := make([]byte, 5)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := "m2f-bucket-test-" + hex.EncodeToString(suffix)
	if err := admin.MakeBucket(t.Context(), name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
	t.Cleanup(func() {
		// t.Context is already done when cleanups run.
		err := admin.RemoveBucketWithOptions(context.Background(), name, minio.RemoveBucketOptions{ForceDelete: true})
		if err != nil {
			t.Errorf("remove bucket %s: %v", name, err)
		}
	})
	return Config{Endpoint: b.MinIOEndpoint, AccessKey: b.MinIOAccessKey, SecretKey: b.MinIOSecretKey,
		Bucket: name}, admin
}

func put(t *testing.T, admin *minio.Client, bucket, key string, data []byte) {
	t.Helper()
	_, err := admin.PutObject(t.Context(), bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "synthea", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fillBucket stores the sample objects and returns them by key, with the
// plain NDJSON text of each NDJSON object in plain.
func fillBucket(t *testing.T, cfg Config, admin *minio.Client) (stored, plain map[string][]byte) {
	t.Helper()
	patient := readTestdata(t, "Patient.000.ndjson")
	org := readTestdata(t, "Organization.000.ndjson")
	allergy := readTestdata(t, "AllergyIntolerance.000.ndjson")
	device := readTestdata(t, "Device.000.ndjson")
	stored = map[string][]byte{
		"in/Patient.000.ndjson":                        patient,
		"in/Organization.000.ndjson.gz":                gzipped(t, org),
		"in/nested/deep/AllergyIntolerance.000.ndjson": allergy,
		"in/nested/Practitioner.000.ndjson.gz":         gzipped(t, readTestdata(t, "Practitioner.000.ndjson")),
		"in/SOURCE.md":                                 readTestdata(t, "SOURCE.md"),
		"other/Device.000.ndjson":                      device, // outside the prefix
	}
	plain = map[string][]byte{
		"in/Patient.000.ndjson":                        patient,
		"in/Organization.000.ndjson.gz":                org,
		"in/nested/deep/AllergyIntolerance.000.ndjson": allergy,
		"in/nested/Practitioner.000.ndjson.gz":         readTestdata(t, "Practitioner.000.ndjson"),
	}
	for k, v := range stored {
		put(t, admin, cfg.Bucket, k, v)
	}
	return stored, plain
}

func TestIntegrationList(t *testing.T) {
	cfg, admin := testBucket(t)
	stored, _ := fillBucket(t, cfg, admin)
	cfg.Prefix = "in"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(t.Context()); err != nil {
		t.Fatalf("check: %v", err)
	}
	objs, err := c.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, rel, typ string
		ndjson        bool
	}{
		{"in/Organization.000.ndjson.gz", "Organization.000.ndjson.gz", "Organization", true},
		{"in/Patient.000.ndjson", "Patient.000.ndjson", "Patient", true},
		{"in/SOURCE.md", "SOURCE.md", "", false},
		{"in/nested/Practitioner.000.ndjson.gz", "nested/Practitioner.000.ndjson.gz", "Practitioner", true},
		{"in/nested/deep/AllergyIntolerance.000.ndjson", "nested/deep/AllergyIntolerance.000.ndjson", "AllergyIntolerance", true},
	}
	if len(objs) != len(want) {
		t.Fatalf("got %d objects %+v, want %d", len(objs), objs, len(want))
	}
	var total, wantTotal int64
	for i, w := range want {
		o := objs[i]
		if o.Key != w.key || o.Rel != w.rel || o.Type != w.typ || o.NDJSON != w.ndjson {
			t.Errorf("object %d: got %+v, want %+v", i, o, w)
		}
		if o.Size != int64(len(stored[w.key])) {
			t.Errorf("%s: size %d, want %d", o.Key, o.Size, len(stored[w.key]))
		}
		if !isMD5(o.ETag) || o.LastModified.IsZero() {
			t.Errorf("%s: ETag %q, LastModified %v; want an MD5 and a time", o.Key, o.ETag, o.LastModified)
		}
		total += o.Size
		wantTotal += int64(len(stored[w.key]))
	}
	if total != wantTotal {
		t.Errorf("total size: got %d, want %d", total, wantTotal)
	}
}

func TestIntegrationSource(t *testing.T) {
	cfg, admin := testBucket(t)
	_, plain := fillBucket(t, cfg, admin)
	cfg.Prefix = "in/"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	src := c.Source()
	if got, want := src.String(), "s3://"+cfg.Bucket+"/in"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	files, err := src.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
		key := strings.TrimPrefix(f.Name, "s3://"+cfg.Bucket+"/")
		rc, err := source.OpenNDJSON(t.Context(), f)
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		got, err := io.ReadAll(rc) // small test files only
		_ = rc.Close()
		if err != nil || !bytes.Equal(got, plain[key]) {
			t.Errorf("%s: got %d bytes (%v), want %d identical bytes", f.Name, len(got), err, len(plain[key]))
		}
	}
	var want []string
	for k := range plain {
		want = append(want, "s3://"+cfg.Bucket+"/"+k)
	}
	sort.Strings(want)
	if strings.Join(names, "\n") != strings.Join(want, "\n") {
		t.Errorf("names: got %q, want %q", names, want)
	}

	_, err = c.Open(t.Context(), "in/missing.ndjson")
	var resp minio.ErrorResponse
	if !errors.As(err, &resp) || resp.Code != "NoSuchKey" || !strings.Contains(err.Error(), "in/missing.ndjson") {
		t.Errorf("open missing: got %v, want NoSuchKey naming the key", err)
	}
}

func TestIntegrationErrors(t *testing.T) {
	good, _ := testBucket(t)
	const secret = "wrong-secret-must-not-show"
	tests := []struct {
		name   string
		change func(*Config)
		want   error
	}{
		{"wrong secret key", func(c *Config) { c.SecretKey = secret }, ErrAuth},
		{"unknown access key", func(c *Config) { c.AccessKey, c.SecretKey = "nobody", secret }, ErrAuth},
		{"missing bucket", func(c *Config) { c.Bucket += "-missing" }, ErrNoBucket},
		{"https to plain minio", func(c *Config) { c.Secure = true }, ErrTLS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "dl")
			_, derr := c.Download(t.Context(), dir, DownloadOptions{})
			_, lerr := c.List(t.Context())
			for op, err := range map[string]error{"check": c.Check(t.Context()), "list": lerr, "download": derr} {
				if !errors.Is(err, tt.want) {
					t.Errorf("%s: got %v, want errors.Is(err, %v)", op, err, tt.want)
				}
				if Hint(err) == "" {
					t.Errorf("%s: no hint for %v", op, err)
				}
				if text := fmt.Sprint(err, Hint(err)); strings.Contains(text, cfg.SecretKey) {
					t.Errorf("%s: %q shows the secret key", op, text)
				}
			}
			assertMissing(t, dir)
		})
	}
}
