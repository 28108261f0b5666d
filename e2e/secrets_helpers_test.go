//go:build e2e

package e2e

import (
	"bytes"
	"encoding/base64"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Canary secrets: values that must never show in anything the tool prints
// or writes. The fault and bad-input tests run with them set, so every
// error path they reach is checked too.
const (
	canaryUser     = "canary-user"
	canaryPassword = "canary-pw-Zq81xK7"
	canaryToken    = "canary-tok-Wv62LpQ"
	canaryMinIO    = "canary-minio-Jr44DdU"
	canaryURLPass  = "canary-urlpass-Hs93Mt"
)

// canaryStrings are the canaries and the forms they take on the wire.
func canaryStrings() []string {
	return []string{
		canaryPassword, canaryToken, canaryMinIO, canaryURLPass,
		base64.StdEncoding.EncodeToString([]byte(canaryUser + ":" + canaryPassword)),
		base64.StdEncoding.EncodeToString([]byte("user:" + canaryURLPass)),
		url.QueryEscape(canaryURLPass),
	}
}

// canarySettings are FHIR settings with every secret a canary: Basic auth
// on (the test bed's HAPI ignores credentials), a token and a MinIO secret
// key that are set but not used. State goes under dir, not $HOME.
func canarySettings(dir string) map[string]string {
	return map[string]string{
		"FHIR_AUTH_ENABLED": "true",
		"FHIR_USERNAME":     canaryUser,
		"FHIR_PASSWORD":     canaryPassword,
		"FHIR_TOKEN":        canaryToken,
		"MINIO_ACCESS_KEY":  "canary-access",
		"MINIO_SECRET_KEY":  canaryMinIO,
		"XDG_STATE_HOME":    filepath.Join(dir, "state"),
	}
}

// assertNoCanary checks that no canary shows in the run's output or in
// any file under dirs.
func assertNoCanary(t *testing.T, r result, dirs ...string) {
	t.Helper()
	assertNoSecret(t, canaryStrings(), r, dirs...)
}

// assertNoSecret checks that none of secrets shows in stdout, stderr or
// any file under dirs (symbolic links are not followed).
func assertNoSecret(t *testing.T, secrets []string, r result, dirs ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if strings.Contains(r.stdout, s) {
			t.Errorf("a secret (%.10s…) shows on stdout:\n%s", s, r.stdout)
		}
		if strings.Contains(r.stderr, s) {
			t.Errorf("a secret (%.10s…) shows on stderr:\n%s", s, r.stderr)
		}
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
			if err != nil || !e.Type().IsRegular() {
				return nil // unreadable on purpose (a bad-input case), or not a file
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, s := range secrets {
				if s != "" && bytes.Contains(data, []byte(s)) {
					t.Errorf("a secret (%.10s…) is written in %s", s, p)
				}
			}
			return nil
		})
		must(t, err)
	}
}
