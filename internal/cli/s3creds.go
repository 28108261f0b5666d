package cli

import (
	"os"
	"path/filepath"

	"github.com/minio/minio-go/v7/pkg/credentials"
)

// s3Credentials picks the bucket's credentials, the first of:
//  1. MINIO_ACCESS_KEY and MINIO_SECRET_KEY (with MINIO_SESSION_TOKEN for
//     temporary credentials);
//  2. AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (with AWS_SESSION_TOKEN);
//  3. a profile (AWS_PROFILE, else "default") of the shared credentials
//     file (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials) when the
//     file exists or either setting is given;
//  4. none: anonymous access.
//
// minio-go reads the file (and the session token in it) when it signs.
func s3Credentials(s settings) *credentials.Credentials {
	if ak := s.str("MINIO_ACCESS_KEY", ""); ak != "" {
		return credentials.NewStaticV4(ak, s["MINIO_SECRET_KEY"], s.str("MINIO_SESSION_TOKEN", ""))
	}
	if ak := s.str("AWS_ACCESS_KEY_ID", ""); ak != "" {
		return credentials.NewStaticV4(ak, s["AWS_SECRET_ACCESS_KEY"], s.str("AWS_SESSION_TOKEN", ""))
	}
	file, profile := s.str("AWS_SHARED_CREDENTIALS_FILE", ""), s.str("AWS_PROFILE", "")
	if file == "" {
		if home, err := os.UserHomeDir(); err == nil {
			file = filepath.Join(home, ".aws", "credentials")
		}
	}
	if _, err := os.Stat(file); err == nil || s.str("AWS_PROFILE", "") != "" || s.str("AWS_SHARED_CREDENTIALS_FILE", "") != "" {
		if profile == "" {
			profile = "default"
		}
		return credentials.NewFileAWSCredentials(file, profile)
	}
	return credentials.NewStaticV4("", "", "")
}
