//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
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

// TestS3CredentialChain uploads from MinIO with temporary credentials from
// its STS API (AssumeRole): as MINIO_* keys with MINIO_SESSION_TOKEN, as
// the AWS_* variables, and as a profile of a shared credentials file. The
// session token is needed (without it MinIO refuses the temporary keys)
// and shows nowhere.
func TestS3CredentialChain(t *testing.T) {
	bed := testbed.Default(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	d := makeDataset(t, 5, false)
	bucketName := putDataset(t, ctx, bed, d)

	sts, err := credentials.NewSTSAssumeRole("http://"+bed.MinIOEndpoint, credentials.STSAssumeRoleOptions{
		AccessKey: bed.MinIOAccessKey, SecretKey: bed.MinIOSecretKey, DurationSeconds: 900,
	})
	must(t, err)
	tmp, err := sts.GetWithContext(&credentials.CredContext{})
	must(t, err)
	if tmp.SessionToken == "" || tmp.AccessKeyID == bed.MinIOAccessKey {
		t.Fatalf("AssumeRole gave no temporary credentials")
	}
	dir := t.TempDir()
	credFile := filepath.Join(dir, "credentials")
	must(t, os.WriteFile(credFile, fmt.Appendf(nil, "[default]\naws_access_key_id = nobody\naws_secret_access_key = nothing\n\n[m2f]\naws_access_key_id = %s\naws_secret_access_key = %s\naws_session_token = %s\n",
		tmp.AccessKeyID, tmp.SecretAccessKey, tmp.SessionToken), 0o600))
	secrets := []string{tmp.SecretAccessKey, tmp.SessionToken, bed.MinIOSecretKey}

	base := map[string]string{"MINIO_ENDPOINT": bed.MinIOEndpoint, "FHIR_BASE_URL": bed.FHIRBaseURL}
	for _, tc := range []struct {
		name     string
		settings map[string]string
		want     int
	}{
		{"MINIO_* with session token", with(base, "MINIO_ACCESS_KEY", tmp.AccessKeyID, "MINIO_SECRET_KEY", tmp.SecretAccessKey, "MINIO_SESSION_TOKEN", tmp.SessionToken), cli.ExitOK},
		{"MINIO_* without session token", with(base, "MINIO_ACCESS_KEY", tmp.AccessKeyID, "MINIO_SECRET_KEY", tmp.SecretAccessKey), cli.ExitFatal},
		{"AWS_* variables", with(base, "AWS_ACCESS_KEY_ID", tmp.AccessKeyID, "AWS_SECRET_ACCESS_KEY", tmp.SecretAccessKey, "AWS_SESSION_TOKEN", tmp.SessionToken), cli.ExitOK},
		{"shared credentials file, profile", with(base, "AWS_SHARED_CREDENTIALS_FILE", credFile, "AWS_PROFILE", "m2f"), cli.ExitOK},
		{"shared credentials file, default profile", with(base, "AWS_SHARED_CREDENTIALS_FILE", credFile), cli.ExitFatal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			work := t.TempDir()
			settings := with(tc.settings, "XDG_STATE_HOME", filepath.Join(work, "state"))
			r := run(t, settings, "upload", "-i", "s3://"+bucketName+"/export", "--failure-log", filepath.Join(work, "f.log"),
				"--report", filepath.Join(work, "report.json"), "--fresh")
			assertNoSecret(t, secrets, r, work)
			if r.code != tc.want {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, tail(r.stdout), r.stderr)
			}
			if tc.want != cli.ExitOK {
				if !strings.Contains(r.stderr, "minio-to-fhir: hint: ") {
					t.Errorf("no hint:\n%s", r.stderr)
				}
				return
			}
			if sum := readReport(t, filepath.Join(work, "report.json")); sum.Landed() != d.total() || sum.Failed != 0 {
				t.Errorf("landed %d, failed %d, want %d landed", sum.Landed(), sum.Failed, d.total())
			}
			checkLanded(t, bed.FHIRBaseURL, d)
			// list and download take the same chain.
			r = run(t, settings, "list", "--bucket", bucketName, "--prefix", "export")
			assertNoSecret(t, secrets, r)
			if r.code != cli.ExitOK || !strings.Contains(r.stdout, "Patient.ndjson") {
				t.Errorf("list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// putDataset copies a dataset's files into a new bucket under export/.
func putDataset(t *testing.T, ctx context.Context, bed *testbed.Bed, d *dataset) string {
	t.Helper()
	mc, err := minio.New(bed.MinIOEndpoint, &minio.Options{Creds: credentials.NewStaticV4(bed.MinIOAccessKey, bed.MinIOSecretKey, "")})
	must(t, err)
	name := randomID(t) + "-sts"
	must(t, mc.MakeBucket(ctx, name, minio.MakeBucketOptions{}))
	t.Cleanup(func() {
		ctx := context.Background()
		for o := range mc.ListObjects(ctx, name, minio.ListObjectsOptions{Recursive: true}) {
			_ = mc.RemoveObject(ctx, name, o.Key, minio.RemoveObjectOptions{})
		}
		_ = mc.RemoveBucket(ctx, name)
	})
	for file, data := range d.files {
		_, err := mc.PutObject(ctx, name, "export/"+file, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
		must(t, err)
	}
	return name
}
