package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const testSecret = "s3cret-of-the-client"

// tokenServer is a token endpoint that issues tok-1, tok-2, ... living
// expiresIn seconds, and records each request's form and header.
type tokenServer struct {
	*httptest.Server
	n         atomic.Int32
	expiresIn int
	mu        sync.Mutex
	forms     []url.Values
	headers   []http.Header
	// fail, when set, answers every request with this status and body.
	failStatus int
	failBody   string
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			t.Errorf("token request: %v", err)
		}
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.PostForm)
		ts.headers = append(ts.headers, r.Header.Clone())
		ts.mu.Unlock()
		if ts.failStatus != 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(ts.failStatus)
			_, _ = io.WriteString(w, ts.failBody)
			return
		}
		n := ts.n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":%d}`, n, ts.expiresIn)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) requests() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return len(ts.forms)
}

// clock is a settable time.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func secretSource(t *testing.T, url string, m Method, clk *clock) *Source {
	t.Helper()
	cfg := Config{TokenURL: url, ClientID: "loader", ClientSecret: testSecret, Method: m, Scope: []string{"system/*.write"}}
	if clk != nil {
		cfg.Now = clk.now
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t, 60)
	clk := &clock{t: time.Now()}
	s := secretSource(t, ts.URL, SecretBasic, clk)
	ctx := context.Background()
	steps := []struct {
		name  string
		after time.Duration
		want  string
	}{
		{"first", 0, "tok-1"},
		{"well before expiry", 40 * time.Second, "tok-1"},
		// 60 s tokens are replaced 12 s (a fifth) before they expire.
		{"within the margin", 9 * time.Second, "tok-2"},
		{"the new one", 30 * time.Second, "tok-2"},
		{"past expiry", 60 * time.Second, "tok-3"},
	}
	for _, st := range steps {
		clk.add(st.after)
		got, err := s.Token(ctx)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: got %s, want %s", st.name, got, st.want)
		}
	}
	if got, want := s.Stats(), (Stats{Requests: 3, Refreshes: 2}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestConcurrentCallersShareOneRequest(t *testing.T) {
	ts := newTokenServer(t, 300)
	s := secretSource(t, ts.URL, SecretBasic, nil)
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := s.Token(context.Background()); err != nil || tok != "tok-1" {
				t.Errorf("got %q, %v, want tok-1", tok, err)
			}
		}()
	}
	wg.Wait()
	if got := ts.requests(); got != 1 {
		t.Errorf("got %d token requests, want 1", got)
	}
	// Every sender whose request was refused with tok-1 renews it at once:
	// one new token for all of them.
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if tok, err := s.Renew(context.Background(), "tok-1"); err != nil || tok != "tok-2" {
				t.Errorf("got %q, %v, want tok-2", tok, err)
			}
		}()
	}
	wg.Wait()
	if got, want := s.Stats(), (Stats{Requests: 2, Refreshes: 1, Rejected: 1}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestClientSecretStyles(t *testing.T) {
	for _, tc := range []struct {
		name   string
		method Method
	}{{"basic", SecretBasic}, {"post", SecretPost}} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, 60)
			s := secretSource(t, ts.URL, tc.method, nil)
			if _, err := s.Token(context.Background()); err != nil {
				t.Fatal(err)
			}
			form, hdr := ts.forms[0], ts.headers[0]
			if got := form["grant_type"]; len(got) != 1 || got[0] != "client_credentials" {
				t.Errorf("grant_type: got %v, want client_credentials", got)
			}
			if got := form["scope"]; len(got) != 1 || got[0] != "system/*.write" {
				t.Errorf("scope: got %v, want system/*.write", got)
			}
			user, pass, basic := (&http.Request{Header: hdr}).BasicAuth()
			switch tc.method {
			case SecretBasic:
				if !basic || user != "loader" || pass != testSecret {
					t.Errorf("basic auth: got %q, %v, want loader and the secret", user, basic)
				}
				if _, ok := form["client_secret"]; ok {
					t.Errorf("client_secret in the form with basic")
				}
			case SecretPost:
				if basic {
					t.Errorf("basic auth with post")
				}
				if got := form["client_secret"]; len(got) != 1 || got[0] != testSecret {
					t.Errorf("client_secret: got %d values, want the secret", len(got))
				}
				if got := form["client_id"]; len(got) != 1 || got[0] != "loader" {
					t.Errorf("client_id: got %v, want loader", got)
				}
			}
		})
	}
}

func TestPrivateKeyJWTAssertion(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alg string
		key crypto.Signer
	}{{"RS384", rsaKey}, {"ES384", ecKey}} {
		t.Run(tc.alg, func(t *testing.T) {
			ts := newTokenServer(t, 60)
			clk := &clock{t: time.Now()}
			s, err := New(Config{TokenURL: ts.URL + "/token", ClientID: "loader", Method: PrivateKeyJWT,
				Key: tc.key, KeyID: "key-1", Alg: tc.alg, Now: clk.now})
			if err != nil {
				t.Fatal(err)
			}
			for range 2 {
				if _, err := s.Token(context.Background()); err != nil {
					t.Fatal(err)
				}
				clk.add(time.Minute)
			}
			jtis := map[string]bool{}
			for i, form := range ts.forms {
				if got := form.Get("client_assertion_type"); got != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
					t.Errorf("client_assertion_type: got %q", got)
				}
				if _, ok := form["client_secret"]; ok {
					t.Errorf("a client_secret with private_key_jwt")
				}
				var claims jwt.RegisteredClaims
				tok, err := jwt.ParseWithClaims(form.Get("client_assertion"), &claims,
					func(*jwt.Token) (any, error) { return tc.key.Public(), nil },
					jwt.WithValidMethods([]string{tc.alg}), jwt.WithTimeFunc(clk.now),
					jwt.WithIssuer("loader"), jwt.WithSubject("loader"), jwt.WithAudience(ts.URL+"/token"),
					jwt.WithExpirationRequired())
				if err != nil {
					t.Fatalf("assertion %d: %v", i+1, err)
				}
				if got := tok.Header["kid"]; got != "key-1" {
					t.Errorf("kid: got %v, want key-1", got)
				}
				if life := claims.ExpiresAt.Sub(claims.IssuedAt.Time); life <= 0 || life > 5*time.Minute {
					t.Errorf("lifetime: got %v, want at most 5m", life)
				}
				if claims.ID == "" || jtis[claims.ID] {
					t.Errorf("jti %q: not unique", claims.ID)
				}
				jtis[claims.ID] = true
			}
		})
	}
}

func TestKeyMustFitAlg(t *testing.T) {
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	for _, tc := range []struct {
		name string
		key  crypto.Signer
		alg  string
	}{{"RS384 with EC", ec384, "RS384"}, {"ES384 on P-256", ec256, "ES384"}, {"HS256", ec384, "HS256"}} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{TokenURL: "http://127.0.0.1:1/token", ClientID: "c", Method: PrivateKeyJWT, Key: tc.key, Alg: tc.alg})
			if err == nil {
				t.Errorf("got no error, want one")
			}
		})
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	for _, tc := range []struct {
		name      string
		status    int
		body      string
		url       string // "" is the test's server
		wantCode  string
		wantInMsg string
	}{
		{"invalid client", 401, `{"error":"invalid_client","error_description":"Invalid client or Invalid client credentials"}`, "", "invalid_client", "invalid_client (Invalid client or Invalid client credentials)"},
		{"disabled client", 400, `{"error":"unauthorized_client","error_description":"Client is disabled"}`, "", "unauthorized_client", "Client is disabled"},
		{"no OAuth body", 503, `<html>down ` + testSecret + `</html>`, "", "", "HTTP 503"},
		{"unreachable", 0, "", closedURL, "", "connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, 60)
			ts.failStatus, ts.failBody = tc.status, tc.body
			tokenURL := tc.url
			if tokenURL == "" {
				tokenURL = ts.URL
			}
			s := secretSource(t, tokenURL, SecretPost, nil)
			_, err := s.Token(context.Background())
			if !errors.Is(err, ErrToken) {
				t.Fatalf("got %v, want ErrToken", err)
			}
			var te *TokenError
			if !errors.As(err, &te) || te.Code != tc.wantCode || te.Endpoint != tokenURL {
				t.Errorf("got %+v, want code %q at %s", te, tc.wantCode, tokenURL)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.wantInMsg) || !strings.Contains(msg, tokenURL) {
				t.Errorf("got %q, want it to name %s and say %q", msg, tokenURL, tc.wantInMsg)
			}
			if strings.Contains(msg, testSecret) {
				t.Errorf("the message shows the secret: %q", msg)
			}
			if te.Retryable() {
				t.Errorf("got retryable, want not")
			}
		})
	}
}

func TestDiscover(t *testing.T) {
	ts := newTokenServer(t, 60)
	fhirSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/fhir/.well-known/smart-configuration" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"token_endpoint": ts.URL + "/token", "token_endpoint_auth_methods_supported": []string{"private_key_jwt"}})
	}))
	defer fhirSrv.Close()
	s, err := New(Config{BaseURL: fhirSrv.URL + "/fhir", ClientID: "loader", ClientSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token(context.Background()); err != nil || tok != "tok-1" {
		t.Fatalf("got %q, %v, want tok-1", tok, err)
	}
	_, err = Discover(context.Background(), http.DefaultClient, fhirSrv.URL+"/other")
	if !errors.Is(err, ErrToken) || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("got %v, want ErrToken saying HTTP 404", err)
	}
}
