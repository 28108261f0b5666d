//go:build e2e

package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestBundlesFromBucketAndFile: Bundle objects of a bucket (gzipped too)
// load from s3://bucket/prefix and verify there, named by their s3:// URL
// and entry; a single Bundle file given as --input loads too.
func TestBundlesFromBucketAndFile(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	tx := func(entries ...string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}`
	}
	pat := func(id string) string {
		return fmt.Sprintf(`{"fullUrl":"urn:uuid:%s-%s","resource":{"resourceType":"Patient","id":"%s-%s"},"request":{"method":"POST","url":"Patient"}}`, p, id, p, id)
	}
	obs := func(id, subject string) string {
		return fmt.Sprintf(`{"fullUrl":"urn:uuid:%s-%s","resource":{"resourceType":"Observation","id":"%s-%s","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:%s-%s"}},"request":{"method":"POST","url":"Observation"}}`, p, id, p, id, p, subject)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(tx(pat("b2"), obs("o2", "b2"), `{"resource":{"resourceType":"Patient"},"request":{"method":"POST","url":"Patient"}}`)))
	must(t, err)
	must(t, zw.Close())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mc, err := minio.New(bed.MinIOEndpoint, &minio.Options{Creds: credentials.NewStaticV4(bed.MinIOAccessKey, bed.MinIOSecretKey, "")})
	must(t, err)
	bucket := p + "-bundles"
	must(t, mc.MakeBucket(ctx, bucket, minio.MakeBucketOptions{}))
	t.Cleanup(func() {
		for o := range mc.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
			_ = mc.RemoveObject(context.Background(), bucket, o.Key, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(context.Background(), bucket)
	})
	for key, data := range map[string][]byte{
		"synthea/fhir/A_Patient.json":    []byte(tx(pat("b1"), obs("o1", "b1"))),
		"synthea/fhir/B_Patient.json.gz": gz.Bytes(),
		"synthea/metadata/run.json":      []byte(`{"seed":1}`),
	} {
		_, err := mc.PutObject(ctx, bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		must(t, err)
	}

	tmp := t.TempDir()
	flog := filepath.Join(tmp, "failures.log")
	settings := minioSettings(bed)
	r := run(t, settings, "upload", "-i", "s3://"+bucket+"/synthea", "--failure-log", flog, "--checkpoint-dir", filepath.Join(tmp, "ckpt"))
	noID := "s3://" + bucket + "/synthea/fhir/B_Patient.json.gz entry 3"
	if r.code != cli.ExitFailures || !strings.Contains(r.stderr, "s3://"+bucket+"/synthea/fhir/B_Patient.json.gz: entry 3: Patient with no id") ||
		!strings.Contains(r.stderr, "warning: s3://"+bucket+"/synthea/metadata/run.json: skipped") {
		t.Errorf("upload from the bucket: exit %d, want %d naming the entry with no id and the JSON that is not FHIR\n%s\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	if _, ok := bundleFailures(t, flog)[noID]; !ok {
		t.Errorf("failure log %v lacks %s", keys(bundleFailures(t, flog)), noID)
	}
	for typ, ids := range map[string][]string{"Patient": {p + "-b1", p + "-b2"}, "Observation": {p + "-o1", p + "-o2"}} {
		if vs := s.versions(t, typ, ids); len(vs) != len(ids) {
			t.Errorf("%s: %d of %v on the server", typ, len(vs), ids)
		}
	}
	code, rep, vr := runVerify(t, settings, "-i", "s3://"+bucket+"/synthea")
	if rep.Total.Found != 4 || rep.Total.Missing != 0 || rep.Total.Differing != 0 {
		t.Errorf("verify from the bucket: exit %d, found %d, missing %d, differing %d; want 4 found\n%s", code, rep.Total.Found, rep.Total.Missing, rep.Total.Differing, vr.stderr)
	}

	// One Bundle file as the input.
	dir := writeTree(t, map[string]string{"one.json": tx(pat("f1"), obs("f2", "f1"))})
	if _, sum := uploadOK(t, bed.FHIRBaseURL, filepath.Join(dir, "one.json")); sum.Failed != 0 || sum.Landed() != 2 {
		t.Errorf("upload -i one.json: %d landed, %d failed; want 2, 0", sum.Landed(), sum.Failed)
	}
}
