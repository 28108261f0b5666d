// Package auth gets OAuth2 access tokens for the FHIR server by the client
// credentials grant (SMART Backend Services): the client authenticates
// with a secret (HTTP Basic or in the form) or with a signed JWT
// (private_key_jwt, RS384 or ES384). A Source keeps one token for every
// request in flight, asks for the next one shortly before it expires, one
// request at a time, and a Transport sends a request refused with 401 (or
// a gateway's 403) once more with a new token.
package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Method is how the client authenticates at the token endpoint.
type Method int

// Client authentication methods.
const (
	SecretBasic   Method = iota // client_secret_basic: id and secret as HTTP Basic
	SecretPost                  // client_secret_post: id and secret in the form
	PrivateKeyJWT               // private_key_jwt: a signed assertion (RFC 7523)
)

// Config says how to get tokens.
type Config struct {
	// TokenURL is the token endpoint; "" discovers it from
	// BaseURL/.well-known/smart-configuration.
	TokenURL string
	BaseURL  string
	ClientID string
	Method   Method
	// ClientSecret is the secret of SecretBasic and SecretPost.
	ClientSecret string
	// Key signs the assertions of PrivateKeyJWT (an *rsa.PrivateKey for
	// RS384, an *ecdsa.PrivateKey on P-384 for ES384); KeyID is its kid.
	Key   crypto.Signer
	KeyID string
	Alg   string // RS384 or ES384
	Scope []string
	// HTTP talks to the token endpoint (and discovery); nil: a client
	// with a 30-second timeout.
	HTTP *http.Client
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Stats count the token requests of a run.
type Stats struct {
	// Requests counts every request to the token endpoint.
	Requests int64 `json:"tokenRequests"`
	// Refreshes counts the tokens that replaced an earlier one.
	Refreshes int64 `json:"tokenRefreshes"`
	// Rejected counts the refreshes a 401 or 403 of the server caused.
	Rejected int64 `json:"tokenRejected"`
}

// Source hands out access tokens. It is safe for concurrent use: callers
// share one token, and only one of them at a time asks for a new one.
type Source struct {
	cfg Config
	// mu is held while a token is requested, so that callers in flight
	// wait for that one request rather than each making their own.
	mu       sync.Mutex
	tok      *oauth2.Token
	got      time.Time // when tok came
	tokenURL string    // cfg.TokenURL, or the discovered one

	requests, refreshes, rejected atomic.Int64
}

// New checks cfg and returns a Source. It makes no request.
func New(cfg Config) (*Source, error) {
	if cfg.ClientID == "" {
		return nil, errors.New("no client id")
	}
	switch cfg.Method {
	case SecretBasic, SecretPost:
		if cfg.ClientSecret == "" {
			return nil, errors.New("no client secret")
		}
	case PrivateKeyJWT:
		if cfg.Key == nil {
			return nil, errors.New("no private key")
		}
		if _, err := signingMethod(cfg.Alg, cfg.Key); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown client authentication method %d", cfg.Method)
	}
	if cfg.TokenURL == "" && cfg.BaseURL == "" {
		return nil, errors.New("no token endpoint and no base URL to discover it from")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Source{cfg: cfg, tokenURL: cfg.TokenURL}, nil
}

// Stats returns the counts so far.
func (s *Source) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Refreshes: s.refreshes.Load(), Rejected: s.rejected.Load()}
}

// Token returns a token that is not near its expiry, asking for a new one
// when the one it has is.
func (s *Source) Token(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fresh() {
		return s.tok.AccessToken, nil
	}
	return s.fetch(ctx, false)
}

// Renew returns a new token in place of stale, which the server refused.
// When another caller has replaced stale already, that token is returned
// without a request.
func (s *Source) Renew(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != nil && s.tok.AccessToken != stale && s.fresh() {
		return s.tok.AccessToken, nil
	}
	return s.fetch(ctx, true)
}

// fresh reports whether the token held is good for a while yet: a token is
// replaced a margin before it expires (a fifth of its lifetime, between 5
// seconds and a minute), so that no request carries one that expires on
// its way.
func (s *Source) fresh() bool {
	if s.tok == nil || s.tok.AccessToken == "" {
		return false
	}
	if s.tok.Expiry.IsZero() {
		return true
	}
	margin := min(max(s.tok.Expiry.Sub(s.got)/5, 5*time.Second), time.Minute)
	return s.cfg.Now().Before(s.tok.Expiry.Add(-margin))
}

// fetch asks the token endpoint for a token; s.mu is held.
func (s *Source) fetch(ctx context.Context, rejected bool) (string, error) {
	if s.tokenURL == "" {
		u, err := Discover(ctx, s.cfg.HTTP, s.cfg.BaseURL)
		if err != nil {
			return "", err
		}
		s.tokenURL = u
	}
	cc := clientcredentials.Config{
		ClientID: s.cfg.ClientID,
		TokenURL: s.tokenURL,
		Scopes:   s.cfg.Scope,
	}
	switch s.cfg.Method {
	case SecretBasic:
		cc.ClientSecret, cc.AuthStyle = s.cfg.ClientSecret, oauth2.AuthStyleInHeader
	case SecretPost:
		cc.ClientSecret, cc.AuthStyle = s.cfg.ClientSecret, oauth2.AuthStyleInParams
	case PrivateKeyJWT:
		a, err := Assertion(s.cfg.Key, s.cfg.Alg, s.cfg.KeyID, s.cfg.ClientID, s.tokenURL, s.cfg.Now())
		if err != nil {
			return "", err
		}
		cc.AuthStyle = oauth2.AuthStyleInParams
		cc.EndpointParams = map[string][]string{
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
			"client_assertion":      {a},
		}
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.cfg.HTTP)
	s.requests.Add(1)
	now := s.cfg.Now()
	tok, err := cc.Token(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", tokenError(s.tokenURL, err)
	}
	if s.tok != nil {
		s.refreshes.Add(1)
		if rejected {
			s.rejected.Add(1)
		}
	}
	if !strings.EqualFold(tok.Type(), "bearer") {
		return "", &TokenError{Endpoint: s.tokenURL, Description: fmt.Sprintf("token type %q, not Bearer", tok.Type())}
	}
	// The expiry counts from when the request went, on the Source's
	// clock (oauth2 counts from when the answer came, on time.Now).
	if secs := expiresIn(tok); secs > 0 {
		tok.Expiry = now.Add(time.Duration(secs * float64(time.Second)))
	}
	s.tok, s.got = tok, now
	return tok.AccessToken, nil
}

// expiresIn is the token's expires_in, in seconds; 0 if it has none.
func expiresIn(tok *oauth2.Token) float64 {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		return v
	case string:
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return 0
}
