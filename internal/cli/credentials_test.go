package cli

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestServerCredsSettings(t *testing.T) {
	const secret = "s3cret-client-secret"
	for _, tc := range []struct {
		name      string
		s         settings
		wantUsage string // "" for no error
		wantOAuth bool
	}{
		{"none", settings{}, "", false},
		{"token", settings{"FHIR_TOKEN": "t"}, "", false},
		{"client secret", settings{"FHIR_OAUTH_CLIENT_ID": "c", "FHIR_OAUTH_CLIENT_SECRET": secret}, "", true},
		{"client secret, post", settings{"FHIR_OAUTH_CLIENT_ID": "c", "FHIR_OAUTH_CLIENT_SECRET": secret, "FHIR_OAUTH_CLIENT_AUTH": "post"}, "", true},
		{"client id alone", settings{"FHIR_OAUTH_CLIENT_ID": "c"}, "needs FHIR_OAUTH_CLIENT_SECRET or FHIR_OAUTH_PRIVATE_KEY_FILE", false},
		{"secret without client id", settings{"FHIR_OAUTH_CLIENT_SECRET": secret}, "FHIR_OAUTH_CLIENT_SECRET is set but FHIR_OAUTH_CLIENT_ID is not", false},
		{"secret and key", settings{"FHIR_OAUTH_CLIENT_ID": "c", "FHIR_OAUTH_CLIENT_SECRET": secret, "FHIR_OAUTH_PRIVATE_KEY_FILE": "k.pem"}, "both set", false},
		{"token and OAuth", settings{"FHIR_TOKEN": "t", "FHIR_OAUTH_CLIENT_ID": "c", "FHIR_OAUTH_CLIENT_SECRET": secret}, "use one way to sign in", false},
		{"unknown client auth", settings{"FHIR_OAUTH_CLIENT_ID": "c", "FHIR_OAUTH_CLIENT_SECRET": secret, "FHIR_OAUTH_CLIENT_AUTH": "jwt"}, "use basic or post", false},
		{"missing key file", settings{"FHIR_OAUTH_CLIENT_ID": "c", "FHIR_OAUTH_PRIVATE_KEY_FILE": "/nonexistent/k.pem"}, "FHIR_OAUTH_PRIVATE_KEY_FILE /nonexistent/k.pem", false},
		{"client cert without key", settings{"FHIR_CLIENT_CERT": "c.pem"}, "FHIR_CLIENT_CERT and FHIR_CLIENT_KEY go together", false},
		{"missing client cert", settings{"FHIR_CLIENT_CERT": "/nonexistent/c.pem", "FHIR_CLIENT_KEY": "/nonexistent/k.pem"}, "FHIR_CLIENT_CERT /nonexistent/c.pem", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := resolveServerCreds(tc.s, serverFlags{}, "https://fhir.example.org/fhir")
			if tc.wantUsage != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantUsage) {
					t.Fatalf("got %v, want a usage error saying %q", err, tc.wantUsage)
				}
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the message shows the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if got := c.tokens != nil; got != tc.wantOAuth {
				t.Errorf("OAuth: got %v, want %v", got, tc.wantOAuth)
			}
			if tc.wantOAuth && c.stats() == nil {
				t.Errorf("no token counts with OAuth")
			}
		})
	}
}

func TestHintForCertificateRequired(t *testing.T) {
	err := fmt.Errorf("check: %w", &net.OpError{Op: "remote error", Err: errors.New("tls: certificate required")})
	h := hints(err)
	if len(h) != 1 || !strings.Contains(h[0], "FHIR_CLIENT_CERT") {
		t.Errorf("got %q, want a hint naming FHIR_CLIENT_CERT", h)
	}
}
