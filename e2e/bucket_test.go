//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// seedBucket makes a bucket with some sample files under export/: plain,
// gzipped, nested, and one object that is not NDJSON. It returns the
// bucket name and key -> bytes stored.
func seedBucket(t *testing.T, bed *testbed.Bed) (string, map[string][]byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mc, err := minio.New(bed.MinIOEndpoint, &minio.Options{Creds: credentials.NewStaticV4(bed.MinIOAccessKey, bed.MinIOSecretKey, "")})
	must(t, err)
	name := randomID(t) + "-e2e"
	must(t, mc.MakeBucket(ctx, name, minio.MakeBucketOptions{}))
	t.Cleanup(func() {
		ctx := context.Background()
		for o := range mc.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			_ = mc.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(ctx, name)
	})
	src := sampleData(t, "synthea-smart-bulk-10-patients")
	objects := map[string][]byte{}
	put := func(key string, data []byte) {
		_, err := mc.PutObject(ctx, name, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		must(t, err)
		objects[key] = data
	}
	read := func(file string) []byte {
		return readNDJSON(t, filepath.Join(src, file+".gz"))
	}
	put("export/Organization.000.ndjson", read("Organization.000.ndjson"))
	put("export/Practitioner.000.ndjson", read("Practitioner.000.ndjson"))
	put("export/sites/Location.000.ndjson", read("Location.000.ndjson"))
	put("export/Patient.000.ndjson", read("Patient.000.ndjson"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write(read("Encounter.000.ndjson"))
	must(t, err)
	must(t, zw.Close())
	put("export/nested/deeper/Encounter.000.ndjson.gz", gz.Bytes())
	put("export/README.txt", []byte("not data\n"))
	put("elsewhere/Condition.000.ndjson", read("Condition.000.ndjson"))
	return name, objects
}

func minioSettings(bed *testbed.Bed) map[string]string {
	return map[string]string{
		"FHIR_BASE_URL":    bed.FHIRBaseURL,
		"MINIO_ENDPOINT":   bed.MinIOEndpoint,
		"MINIO_ACCESS_KEY": bed.MinIOAccessKey,
		"MINIO_SECRET_KEY": bed.MinIOSecretKey,
	}
}

func TestBucketListDownloadUpload(t *testing.T) {
	bed := testbed.Default(t)
	name, objects := seedBucket(t, bed)
	settings := minioSettings(bed)

	// list --json: every NDJSON object under the prefix, with type and size.
	r := run(t, settings, "list", "--bucket", name, "--prefix", "export", "--json", "--count")
	if r.code != cli.ExitOK {
		t.Fatalf("list: exit %d: %s", r.code, r.stderr)
	}
	wantTypes := map[string]string{
		"export/Organization.000.ndjson":               "Organization",
		"export/Practitioner.000.ndjson":               "Practitioner",
		"export/sites/Location.000.ndjson":             "Location",
		"export/Patient.000.ndjson":                    "Patient",
		"export/nested/deeper/Encounter.000.ndjson.gz": "Encounter",
	}
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	seen := 0
	for sc.Scan() {
		var rec struct {
			Key, ResourceType string
			Size              int64
			Resources         int
		}
		must(t, json.Unmarshal(sc.Bytes(), &rec))
		seen++
		if wantTypes[rec.Key] != rec.ResourceType || int64(len(objects[rec.Key])) != rec.Size {
			t.Errorf("list: %s: got type %q size %d, want %q %d", rec.Key, rec.ResourceType, rec.Size, wantTypes[rec.Key], len(objects[rec.Key]))
		}
		if rec.Key == "export/nested/deeper/Encounter.000.ndjson.gz" && rec.Resources != 1215 {
			t.Errorf("list --count: Encounter: got %d resources, want 1215", rec.Resources)
		}
	}
	if seen != len(wantTypes) {
		t.Errorf("list: %d records, want %d:\n%s", seen, len(wantTypes), r.stdout)
	}
	r = run(t, settings, "list", "--bucket", name, "--prefix", "export", "--count")
	if !strings.Contains(r.stdout, "Total: 5 files, 5 types") || !strings.Contains(r.stdout, "1,358 resources") {
		t.Errorf("list: totals missing:\n%s", r.stdout)
	}

	// download: byte-identical files below the prefix; a rerun skips them.
	out := t.TempDir()
	r = run(t, settings, "download", "--bucket", name, "--prefix", "export", "-o", out)
	if r.code != cli.ExitOK {
		t.Fatalf("download: exit %d: %s\n%s", r.code, r.stdout, r.stderr)
	}
	for key := range wantTypes {
		got, err := os.ReadFile(filepath.Join(out, strings.TrimPrefix(key, "export/")))
		must(t, err)
		if !bytes.Equal(got, objects[key]) {
			t.Errorf("download: %s differs from the object", key)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "README.txt")); err == nil {
		t.Errorf("download wrote a non-NDJSON object")
	}
	r = run(t, settings, "download", "--bucket", name, "--prefix", "export", "-o", out)
	if !strings.Contains(r.stdout, "Already present: 5 files") {
		t.Errorf("download rerun did not skip:\n%s", r.stdout)
	}

	// upload from the bucket, then from the downloaded folder: the same
	// resources, so the second finds every one unchanged.
	report := filepath.Join(t.TempDir(), "report.json")
	logPath := filepath.Join(t.TempDir(), "f.log")
	r = run(t, settings, "upload", "-i", "s3://"+name+"/export", "--failure-log", logPath, "--report", report)
	if r.code != cli.ExitOK {
		t.Fatalf("upload from s3: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	fromS3 := readReport(t, report)
	if fromS3.Read != 1358 || fromS3.Landed() != 1358 {
		t.Errorf("upload from s3: read %d landed %d, want 1358", fromS3.Read, fromS3.Landed())
	}
	r = run(t, settings, "upload", "-i", out, "--failure-log", logPath, "--report", report)
	if r.code != cli.ExitOK {
		t.Fatalf("upload from folder: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	fromDir := readReport(t, report)
	if fromDir.Unchanged != 1358 {
		t.Errorf("upload of the downloaded folder: %d unchanged, want all 1358 (same resources as from s3)", fromDir.Unchanged)
	}
}

func readReport(t *testing.T, path string) transfer.Summary {
	t.Helper()
	var s transfer.Summary
	data, err := os.ReadFile(path)
	must(t, err)
	must(t, json.Unmarshal(data, &s))
	return s
}

func TestBucketErrorsReadWell(t *testing.T) {
	bed := testbed.Default(t)
	name, _ := seedBucket(t, bed)
	tests := []struct {
		name     string
		change   map[string]string
		bucket   string
		wantText string
		wantHint string
	}{
		{"wrong secret", map[string]string{"MINIO_SECRET_KEY": "canary-secret-42"}, name, "secret key does not match", "MINIO_SECRET_KEY"},
		{"unknown access key", map[string]string{"MINIO_ACCESS_KEY": "nobody", "MINIO_SECRET_KEY": "canary-secret-42"}, name, "access key", "MINIO_ACCESS_KEY"},
		{"missing bucket", nil, name + "-missing", "does not exist", "MINIO_BUCKET"},
		{"unreachable", map[string]string{"MINIO_ENDPOINT": "127.0.0.1:1"}, name, "127.0.0.1:1", "MINIO_ENDPOINT"},
		{"TLS to plain HTTP", map[string]string{"MINIO_SECURE": "true"}, name, "HTTPS was used", "MINIO_SECURE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			settings := minioSettings(bed)
			for k, v := range tc.change {
				settings[k] = v
			}
			for _, cmd := range [][]string{
				{"list", "--bucket", tc.bucket},
				{"download", "--bucket", tc.bucket, "-o", t.TempDir()},
				{"upload", "-i", "s3://" + tc.bucket + "/export", "--failure-log", filepath.Join(t.TempDir(), "f.log")},
			} {
				r := run(t, settings, cmd...)
				if r.code != cli.ExitFatal {
					t.Errorf("%s: exit %d, want %d\n%s", cmd[0], r.code, cli.ExitFatal, r.stderr)
				}
				if !strings.Contains(r.stderr, tc.wantText) || !strings.Contains(r.stderr, "hint:") || !strings.Contains(r.stderr, tc.wantHint) {
					t.Errorf("%s: unclear error, want %q and a hint naming %s:\n%s", cmd[0], tc.wantText, tc.wantHint, r.stderr)
				}
				if strings.Contains(r.stdout+r.stderr, "canary-secret-42") || strings.Contains(r.stdout+r.stderr, bed.MinIOSecretKey) {
					t.Errorf("%s: a secret key shows in the output", cmd[0])
				}
			}
		})
	}
}
