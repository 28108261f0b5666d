package cli

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/joho/godotenv"
)

// settingNames are the variables read from .env and the environment.
var settingNames = []string{
	"FHIR_BASE_URL", "FHIR_AUTH_ENABLED", "FHIR_USERNAME", "FHIR_PASSWORD", "FHIR_TOKEN",
	"TMP_DIR", "WORK_DIR", "BATCH_SIZE", "BATCH_BYTES", "BATCH_REFS", "CONCURRENCY", "MAX_CONCURRENCY", "TX_SEMANTICS",
	"MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_BUCKET", "MINIO_PREFIX",
	"MINIO_SECURE", "MINIO_REGION",
	"FHIR_OAUTH_CLIENT_ID", "FHIR_OAUTH_TOKEN_URL", "FHIR_OAUTH_CLIENT_SECRET", "FHIR_OAUTH_CLIENT_AUTH",
	"FHIR_OAUTH_PRIVATE_KEY_FILE", "FHIR_OAUTH_KEY_ID", "FHIR_OAUTH_ALG", "FHIR_OAUTH_SCOPE",
	"FHIR_CLIENT_CERT", "FHIR_CLIENT_KEY",
	"MINIO_SESSION_TOKEN", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	"AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
}

// defaultEndpoint is MinIO's address when MINIO_ENDPOINT is not set.
const defaultEndpoint = "localhost:9000"

// settings are the values of .env overlaid by the environment.
type settings map[string]string

// loadSettings reads envFile (".env" when empty; a missing default file is
// fine, a missing named one is not), then the environment, later winning.
func loadSettings(envFile string, lookup func(string) (string, bool)) (settings, error) {
	s := settings{}
	path, named := envFile, envFile != ""
	if !named {
		path = ".env"
	}
	vals, err := godotenv.Read(path)
	switch {
	case err == nil:
		for _, k := range settingNames {
			if v, ok := vals[k]; ok {
				s[k] = v
			}
		}
	case errors.Is(err, os.ErrNotExist) && !named:
	default:
		return nil, usageErrorf("--env-file %s: %v", path, cleanPathErr(err))
	}
	for _, k := range settingNames {
		if v, ok := lookup(k); ok && v != "" {
			s[k] = v
		}
	}
	return s, nil
}

func (s settings) str(name, def string) string {
	if v := strings.TrimSpace(s[name]); v != "" {
		return v
	}
	return def
}

func (s settings) boolean(name string, def bool) (bool, error) {
	v := strings.TrimSpace(s[name])
	if v == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.ToLower(v))
	if err != nil {
		return false, usageErrorf("%s=%q is not true or false", name, v)
	}
	return b, nil
}

func (s settings) integer(name string, def int) (int, error) {
	v := strings.TrimSpace(s[name])
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, usageErrorf("%s=%q is not a whole number", name, v)
	}
	return n, nil
}

func cleanPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// usageError is a mistake in the command line or the settings: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}
