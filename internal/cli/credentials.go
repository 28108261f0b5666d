package cli

import (
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/auth"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
)

// oauthSettingNames are the settings of OAuth2 (SMART Backend Services)
// besides FHIR_OAUTH_CLIENT_ID; like the settings of mutual TLS
// (FHIR_CLIENT_CERT, FHIR_CLIENT_KEY) they come only from .env or the
// environment, never from a flag.
var oauthSettingNames = []string{
	"FHIR_OAUTH_TOKEN_URL", "FHIR_OAUTH_CLIENT_SECRET", "FHIR_OAUTH_CLIENT_AUTH",
	"FHIR_OAUTH_PRIVATE_KEY_FILE", "FHIR_OAUTH_KEY_ID", "FHIR_OAUTH_ALG", "FHIR_OAUTH_SCOPE",
}

// defaultScope is what a load and verify need: SMART v1 system scopes to
// write and read every type.
const defaultScope = "system/*.read system/*.write"

// serverCreds are the credentials for the FHIR server: Basic, a static
// token or OAuth2 tokens, and the TLS settings with the client
// certificate of mutual TLS.
type serverCreds struct {
	auth   fhir.Auth
	tls    *tls.Config
	tokens *auth.Source // nil unless OAuth2
}

// apply sets the credentials on cfg.
func (c *serverCreds) apply(cfg *fhir.Config) {
	cfg.Auth, cfg.TLS = c.auth, c.tls
	if c.tokens != nil {
		cfg.Transport = func(base http.RoundTripper) http.RoundTripper {
			return &auth.Transport{Source: c.tokens, Base: base}
		}
	}
}

// stats are the token counts, nil without OAuth2.
func (c *serverCreds) stats() *auth.Stats {
	if c.tokens == nil {
		return nil
	}
	st := c.tokens.Stats()
	return &st
}

// resolveServerCreds reads the credentials from the settings and flags.
// baseURL is the first FHIR base URL, where the token endpoint is
// discovered unless FHIR_OAUTH_TOKEN_URL names it.
func resolveServerCreds(s settings, f serverFlags, baseURL string) (*serverCreds, error) {
	tlsConf, err := tlsConfig(f.caCert, f.insecure)
	if err != nil {
		return nil, err
	}
	if tlsConf, err = clientCert(s, tlsConf); err != nil {
		return nil, err
	}
	c := &serverCreds{tls: tlsConf}
	if c.auth, err = fhirAuth(s); err != nil {
		return nil, err
	}
	if s.str("FHIR_OAUTH_CLIENT_ID", "") == "" {
		for _, n := range oauthSettingNames {
			if s.str(n, "") != "" {
				return nil, usageErrorf("%s is set but FHIR_OAUTH_CLIENT_ID is not: OAuth2 needs the client id", n)
			}
		}
		return c, nil
	}
	if c.auth != nil {
		return nil, usageErrorf("FHIR_OAUTH_CLIENT_ID and FHIR_TOKEN or FHIR_AUTH_ENABLED=true are set: use one way to sign in")
	}
	if c.tokens, err = tokenSource(s, tlsConf, f.timeout, baseURL); err != nil {
		return nil, err
	}
	return c, nil
}

// tokenSource builds the OAuth2 token source of the settings.
func tokenSource(s settings, tlsConf *tls.Config, timeout time.Duration, baseURL string) (*auth.Source, error) {
	cfg := auth.Config{
		TokenURL: s.str("FHIR_OAUTH_TOKEN_URL", ""),
		BaseURL:  baseURL,
		ClientID: s.str("FHIR_OAUTH_CLIENT_ID", ""),
		Scope:    strings.Fields(s.str("FHIR_OAUTH_SCOPE", defaultScope)),
	}
	secret, keyFile := s["FHIR_OAUTH_CLIENT_SECRET"], s.str("FHIR_OAUTH_PRIVATE_KEY_FILE", "")
	switch {
	case secret != "" && keyFile != "":
		return nil, usageErrorf("FHIR_OAUTH_CLIENT_SECRET and FHIR_OAUTH_PRIVATE_KEY_FILE are both set: give one")
	case keyFile != "":
		key, alg, err := auth.LoadKey(keyFile)
		if err != nil {
			return nil, usageErrorf("FHIR_OAUTH_PRIVATE_KEY_FILE %s: %v", keyFile, cleanPathErr(err))
		}
		cfg.Method, cfg.Key, cfg.Alg = auth.PrivateKeyJWT, key, s.str("FHIR_OAUTH_ALG", alg)
		cfg.KeyID = s.str("FHIR_OAUTH_KEY_ID", "")
	case secret != "":
		cfg.ClientSecret = secret
		switch style := strings.ToLower(s.str("FHIR_OAUTH_CLIENT_AUTH", "basic")); style {
		case "basic", "client_secret_basic":
			cfg.Method = auth.SecretBasic
		case "post", "client_secret_post":
			cfg.Method = auth.SecretPost
		default:
			return nil, usageErrorf("FHIR_OAUTH_CLIENT_AUTH=%q: use basic or post", style)
		}
	default:
		return nil, usageErrorf("FHIR_OAUTH_CLIENT_ID needs FHIR_OAUTH_CLIENT_SECRET or FHIR_OAUTH_PRIVATE_KEY_FILE")
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = tlsConf
	cfg.HTTP = &http.Client{Timeout: min(timeout, time.Minute), Transport: tr}
	src, err := auth.New(cfg)
	if err != nil {
		return nil, usageErrorf("OAuth2 settings: %v", err)
	}
	return src, nil
}

// clientCert adds the client certificate of FHIR_CLIENT_CERT and
// FHIR_CLIENT_KEY (PEM files) to conf, for servers that ask for one
// (mutual TLS).
func clientCert(s settings, conf *tls.Config) (*tls.Config, error) {
	certFile, keyFile := s.str("FHIR_CLIENT_CERT", ""), s.str("FHIR_CLIENT_KEY", "")
	if certFile == "" && keyFile == "" {
		return conf, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, usageErrorf("FHIR_CLIENT_CERT and FHIR_CLIENT_KEY go together: give both")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		// The error names the files, never their contents.
		return nil, usageErrorf("FHIR_CLIENT_CERT %s, FHIR_CLIENT_KEY %s: %v", certFile, keyFile, cleanPathErr(err))
	}
	if conf == nil {
		conf = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	conf.Certificates = []tls.Certificate{cert}
	return conf, nil
}

// printTokens prints the OAuth2 token counts of the summary.
func printTokens(w io.Writer, st *auth.Stats) {
	if st == nil {
		return
	}
	fmt.Fprintf(w, "Access tokens: %s requested, %s refreshed (%s after the server refused one)\n",
		progress.Thousands(int(st.Requests)), progress.Thousands(int(st.Refreshes)), progress.Thousands(int(st.Rejected)))
}
