package testbed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/tools/faultproxy"
)

// AuthBed is the credentials part of the test bed (scripts/testbed-auth):
// Keycloak, a token-validating gateway (oauth2-proxy, HTTPS) and nginx
// asking for a client certificate (mutual TLS), both in front of the
// default bed's HAPI.
type AuthBed struct {
	*Bed                 // the default bed, whose HAPI is behind the gateway
	KeycloakURL   string // http://127.0.0.1:PORT
	Issuer        string // the realm's issuer
	TokenURL      string // the realm's token endpoint
	AdminUser     string
	AdminPassword string
	GatewayURL    string // https FHIR base through the gateway
	MTLSURL       string // https FHIR base behind nginx (client certificate required)
	CA            string // PEM file of the bed's CA
	ClientCert    string // PEM files of a client certificate the CA signed
	ClientKey     string
	StateDir      string
	// Proxy is a fault proxy between the gateway and HAPI, run by this
	// test process: tests slow the gateway's batches with it.
	Proxy          *faultproxy.Proxy
	hc             *http.Client
	adminTokenTime time.Time
	adminToken     string
}

// The clients of the realm (testbed/auth/realm.json).
const (
	// ClientSecretID authenticates with ClientSecret (basic or post).
	ClientSecretID = "m2f-secret"
	ClientSecret   = "m2f-canary-client-secret-4f1d"
	// DisableClientID is a secret client the tests disable and enable.
	DisableClientID = "m2f-disable"
	DisableSecret   = "m2f-canary-disable-secret-91aa"
	// RS384ClientID and ES384ClientID authenticate with private_key_jwt;
	// their keys are set with SetClientJWKS.
	RS384ClientID = "m2f-rs384"
	ES384ClientID = "m2f-es384"
)

// authPort is the first port of the auth bed: Keycloak; +1 its management
// port, +2 the gateway, +3 nginx, +4 the fault proxy the gateway forwards
// to.
const authPort = 18110

var authBed struct {
	b   *AuthBed
	err error
}

// Auth returns the auth bed, starting it (and the default bed) unless it
// runs. Tests fail, never skip, when it cannot be had.
func Auth(t testing.TB) *AuthBed {
	t.Helper()
	def := Start(t, Settings{Name: "default"})
	mu.Lock()
	defer mu.Unlock()
	if authBed.b == nil && authBed.err == nil {
		authBed.b, authBed.err = startAuth(def)
	}
	if authBed.err != nil {
		t.Fatalf("auth test bed: %v", authBed.err)
	}
	return authBed.b
}

func startAuth(def *Bed) (*AuthBed, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	off, _ := strconv.Atoi(os.Getenv("TESTBED_PORT_OFFSET"))
	u, err := url.Parse(def.FHIRBaseURL)
	if err != nil {
		return nil, err
	}
	proxy, err := faultproxy.StartOn(fmt.Sprintf("127.0.0.1:%d", authPort+off+4), u.Host)
	if err != nil {
		return nil, fmt.Errorf("fault proxy for the gateway: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "testbed-auth"), "up")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AUTH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, fmt.Sprintf("AUTH_PORT=%d", authPort+off), "AUTH_UPSTREAM="+u.Host, "AUTH_GATEWAY_UPSTREAM="+proxy.Addr())
	if os.Getenv("TESTBED_STATE_ROOT") == "" {
		cmd.Env = append(cmd.Env, "TESTBED_STATE_ROOT="+filepath.Join(root, ".testbed", "test"))
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		proxy.Close()
		return nil, fmt.Errorf("scripts/testbed-auth up: %v\n%s", err, stderr.String())
	}
	v := parseExports(stdout.String())
	b := &AuthBed{
		Bed: def, KeycloakURL: v["KEYCLOAK_URL"], Issuer: v["OAUTH_ISSUER"], TokenURL: v["OAUTH_TOKEN_URL"],
		AdminUser: v["KEYCLOAK_ADMIN_USER"], AdminPassword: v["KEYCLOAK_ADMIN_PASSWORD"],
		GatewayURL: v["GATEWAY_URL"], MTLSURL: v["MTLS_URL"],
		CA: v["BED_CA"], ClientCert: v["BED_CLIENT_CERT"], ClientKey: v["BED_CLIENT_KEY"],
		hc: &http.Client{Timeout: 30 * time.Second}, Proxy: proxy,
	}
	b.StateDir = filepath.Dir(filepath.Dir(b.CA))
	return b, nil
}

// admin returns an access token of Keycloak's admin (master realm).
func (b *AuthBed) admin() (string, error) {
	if b.adminToken != "" && time.Since(b.adminTokenTime) < 30*time.Second {
		return b.adminToken, nil
	}
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {b.AdminUser}, "password": {b.AdminPassword}}
	resp, err := b.hc.PostForm(b.KeycloakURL+"/realms/master/protocol/openid-connect/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("keycloak admin token: HTTP %d", resp.StatusCode)
	}
	b.adminToken, b.adminTokenTime = tok.AccessToken, time.Now()
	return tok.AccessToken, nil
}

// adminDo sends an admin REST request and decodes the answer into out.
func (b *AuthBed) adminDo(method, path string, in, out any) error {
	tok, err := b.admin()
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		j, _ := json.Marshal(in)
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.KeycloakURL+"/admin/realms/m2f"+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 2048))
		return fmt.Errorf("keycloak %s %s: HTTP %d %s", method, path, resp.StatusCode, msg)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

// client returns the representation of the client clientID.
func (b *AuthBed) client(clientID string) (map[string]any, error) {
	var cs []map[string]any
	if err := b.adminDo("GET", "/clients?clientId="+url.QueryEscape(clientID), nil, &cs); err != nil {
		return nil, err
	}
	if len(cs) != 1 {
		return nil, fmt.Errorf("keycloak: %d clients %q", len(cs), clientID)
	}
	return cs[0], nil
}

// updateClient changes the client clientID with change.
func (b *AuthBed) updateClient(t testing.TB, clientID string, change func(map[string]any)) {
	t.Helper()
	c, err := b.client(clientID)
	if err != nil {
		t.Fatal(err)
	}
	change(c)
	if err := b.adminDo("PUT", "/clients/"+c["id"].(string), c, nil); err != nil {
		t.Fatal(err)
	}
}

// SetClientEnabled enables or disables a client at Keycloak. Tokens it
// issued before stay valid until they expire.
func (b *AuthBed) SetClientEnabled(t testing.TB, clientID string, enabled bool) {
	t.Helper()
	b.updateClient(t, clientID, func(c map[string]any) { c["enabled"] = enabled })
}

// SetClientJWKS sets the public keys (a JWK Set, JSON) a private_key_jwt
// client signs with.
func (b *AuthBed) SetClientJWKS(t testing.TB, clientID, jwks string) {
	t.Helper()
	b.updateClient(t, clientID, func(c map[string]any) {
		attrs, _ := c["attributes"].(map[string]any)
		if attrs == nil {
			attrs = map[string]any{}
		}
		attrs["use.jwks.string"] = "true"
		attrs["jwks.string"] = jwks
		c["attributes"] = attrs
	})
}

// ClientToken gets an access token for a secret client by the client
// credentials grant, as a user pastes one into FHIR_TOKEN.
func (b *AuthBed) ClientToken(t testing.TB, clientID, secret string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", b.TokenURL, strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	req.SetBasicAuth(clientID, secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token of %s: HTTP %d", clientID, resp.StatusCode)
	}
	return tok.AccessToken
}
