//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// canaryClientSecret is an OAuth2 client secret that must never show.
const canaryClientSecret = "canary-client-secret-Bx27Qe"

// TestSecretsOAuth runs upload and verify with OAuth2 credentials, -v on,
// through success and the token endpoint's error paths (a wrong secret, a
// key it does not know, an unreachable endpoint, a key file that is no
// key), and checks that neither the secrets, the private keys nor any
// token (a JWT: an access token or a client assertion) shows anywhere.
func TestSecretsOAuth(t *testing.T) {
	bed := testbed.Auth(t)
	keyDir := t.TempDir()
	known, unknown := newSigningKey(t, keyDir, "ES384"), newSigningKey(t, t.TempDir(), "ES384")
	bed.SetClientJWKS(t, testbed.ES384ClientID, known.jwks)
	notKey := filepath.Join(keyDir, "not-a-key.pem")
	must(t, os.WriteFile(notKey, []byte("-----BEGIN PRIVATE KEY-----\n"+canaryClientSecret+"\n-----END PRIVATE KEY-----\n"), 0o600))
	data := oneOrganization(t)
	base := map[string]string{"FHIR_BASE_URL": bed.GatewayURL, "MINIO_SECRET_KEY": canaryMinIO}
	secretClient := with(base, "FHIR_OAUTH_CLIENT_ID", testbed.ClientSecretID, "FHIR_OAUTH_CLIENT_SECRET", testbed.ClientSecret)
	keyClient := with(base, "FHIR_OAUTH_CLIENT_ID", testbed.ES384ClientID, "FHIR_OAUTH_TOKEN_URL", bed.TokenURL)
	up := func(extra ...string) []string {
		return append([]string{"upload", "-i", data, "--ca-cert", bed.CA, "-v", "--failure-log", "$TMP/f.log", "--report", "$TMP/r.json", "--checkpoint-dir", "$TMP/ckpt"}, extra...)
	}
	cases := []secretCase{
		{"secret, success", secretClient, up(), cli.ExitOK, "Access tokens: 1 requested"},
		{"secret, --json", secretClient, up("--json"), cli.ExitOK, `"tokenRequests": 1`},
		{"secret, verify", secretClient, []string{"verify", "-i", data, "--ca-cert", bed.CA}, cli.ExitOK, ""},
		{"wrong secret", with(secretClient, "FHIR_OAUTH_CLIENT_SECRET", canaryClientSecret), up(), cli.ExitAuth, "unauthorized_client (Invalid client or Invalid client credentials)"},
		{"wrong secret, post", with(secretClient, "FHIR_OAUTH_CLIENT_SECRET", canaryClientSecret, "FHIR_OAUTH_CLIENT_AUTH", "post"), up(), cli.ExitAuth, "unauthorized_client (Invalid client or Invalid client credentials)"},
		{"key, success", with(keyClient, "FHIR_OAUTH_PRIVATE_KEY_FILE", known.file, "FHIR_OAUTH_KEY_ID", known.kid), up(), cli.ExitOK, "Failed: 0"},
		{"key the server does not know", with(keyClient, "FHIR_OAUTH_PRIVATE_KEY_FILE", unknown.file, "FHIR_OAUTH_KEY_ID", unknown.kid), up(), cli.ExitAuth, "invalid_client (Unable to load public key)"},
		{"token endpoint down", with(secretClient, "FHIR_OAUTH_TOKEN_URL", "http://"+freePort(t)+"/token"), up(), cli.ExitAuth, "connection refused"},
		{"not a key", with(keyClient, "FHIR_OAUTH_PRIVATE_KEY_FILE", notKey), up(), cli.ExitUsage, "FHIR_OAUTH_PRIVATE_KEY_FILE"},
		{"secret and token both", with(secretClient, "FHIR_TOKEN", canaryToken), up(), cli.ExitUsage, "FHIR_TOKEN"},
	}
	secrets := []string{canaryClientSecret, testbed.ClientSecret, known.secret, unknown.secret}
	runSecretCasesNoJWT(t, secrets, cases)
}

// runSecretCasesNoJWT is runSecretCases that also finds no token.
func runSecretCasesNoJWT(t *testing.T, secrets []string, cases []secretCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				args[i] = replaceTmp(a, tmp)
			}
			settings := with(tc.settings, "XDG_STATE_HOME", filepath.Join(tmp, "state"))
			r := run(t, settings, args...)
			if r.code != tc.want {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tc.want, tail(r.stdout), r.stderr)
			}
			if tc.wantText != "" && !containsText(r, tc.wantText) {
				t.Errorf("the output does not say %q:\nstdout:\n%s\nstderr:\n%s", tc.wantText, tail(r.stdout), r.stderr)
			}
			assertNoSecret(t, append(canaryStrings(), secrets...), r, tmp)
			assertNoJWT(t, r, tmp)
		})
	}
}

func replaceTmp(a, tmp string) string { return strings.ReplaceAll(a, "$TMP", tmp) }

func containsText(r result, s string) bool { return strings.Contains(r.stdout+r.stderr, s) }
