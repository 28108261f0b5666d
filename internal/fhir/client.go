// Package fhir talks to a FHIR R4 server: it checks the server, builds
// batch Bundles from raw resource JSON, posts them and reads every entry of
// the batch-response.
package fhir

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// Auth adds credentials to a request.
type Auth interface {
	apply(*http.Request)
}

// BasicAuth is HTTP Basic authentication.
type BasicAuth struct{ User, Password string }

func (a BasicAuth) apply(r *http.Request) { r.SetBasicAuth(a.User, a.Password) }

// BearerToken is an OAuth bearer token.
type BearerToken string

func (t BearerToken) apply(r *http.Request) { r.Header.Set("Authorization", "Bearer "+string(t)) }

// Config says how to reach a server.
type Config struct {
	BaseURL string        // e.g. http://localhost:8080/fhir
	Auth    Auth          // nil: no credentials
	HTTP    *http.Client  // nil: a client with Timeout
	Timeout time.Duration // per request; 0: defaults.Timeout
	// GzipRequests sends request bodies with Content-Encoding: gzip.
	GzipRequests bool
	// Header is added to every batch request. (The header that
	// SetTransactionFirst turns on is not kept here.)
	Header http.Header
	// TLS configures HTTPS (a private CA); nil verifies with the system's
	// roots.
	TLS       *tls.Config
	UserAgent string
	// Transport, when set, wraps the HTTP transport (e.g. to add OAuth2
	// tokens, auth.Transport); it is not used with HTTP.
	Transport func(http.RoundTripper) http.RoundTripper
}

// Client is a FHIR server client. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	cfg     Config
	http    *http.Client
	txFirst atomic.Bool // send TxSemanticsHeader with batch requests
	// untimed is http without its Timeout, for requests that carry their
	// own (WithTimeout).
	untimed *http.Client
}

// New checks cfg and returns a client. User info in the base URL becomes
// Basic auth and is removed from the URL, so it never shows in messages.
func New(cfg Config) (*Client, error) {
	u, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if u.User != nil {
		if cfg.Auth == nil {
			pw, _ := u.User.Password()
			cfg.Auth = BasicAuth{User: u.User.Username(), Password: pw}
		}
		u.User = nil
	}
	hc := cfg.HTTP
	if hc == nil {
		timeout := cfg.Timeout
		if timeout <= 0 {
			timeout = defaults.Timeout
		}
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		tr.TLSClientConfig = cfg.TLS
		var rt http.RoundTripper = tr
		if cfg.Transport != nil {
			rt = cfg.Transport(tr)
		}
		hc = &http.Client{Timeout: timeout, Transport: rt}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "minio-to-fhir"
	}
	untimed := *hc
	untimed.Timeout = 0
	return &Client{base: u, cfg: cfg, http: hc, untimed: &untimed}, nil
}

// ParseBaseURL checks that s is an absolute http(s) URL and returns it
// without a trailing slash.
func ParseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("not a URL: %s", redactErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%q is not an http or https URL", Redact(s))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%q has no host", Redact(s))
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// Redact hides the password in a URL string, for messages.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err == nil && u.User != nil {
		return u.Redacted()
	}
	// url.Parse does not find the password of a URL that it rejects (an
	// error message would show it) or that lacks "http://" (it sees an
	// opaque URL): cut out what stands between the first ':' and the last
	// '@' of the authority. An authority that does not parse may hold a '/'.
	scheme, rest := "", s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme, rest = s[:i+3], s[i+3:]
	}
	end := "?#"
	if err == nil {
		end = "/?#"
	}
	auth := rest
	if i := strings.IndexAny(rest, end); i >= 0 {
		auth = rest[:i]
	}
	at := strings.LastIndex(auth, "@")
	colon := strings.Index(auth, ":")
	if at < 0 || colon < 0 || colon > at {
		return s
	}
	return scheme + rest[:colon+1] + "xxxxx" + rest[at:]
}

func redactErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		red := Redact(ue.URL)
		if red != ue.URL {
			// The reason may quote a piece of the password (as a port
			// or an escape): leave it out.
			return ue.Op + " " + red + ": malformed URL"
		}
		return ue.Op + " " + red + ": " + ue.Err.Error()
	}
	return err.Error()
}

// BaseURL returns the server's base URL, without credentials.
func (c *Client) BaseURL() string { return c.base.String() }

func (c *Client) newRequest(ctx context.Context, method, path string, body []byte) (*http.Request, error) {
	u := *c.base
	if path != "" {
		u.Path += "/" + path
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	if c.cfg.Auth != nil {
		c.cfg.Auth.apply(req)
	}
	return req, nil
}

// gzipBody compresses a request body.
func gzipBody(body []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(body) / 4)
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(body); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// credentialErr returns the error of a credential source under the
// transport (an OAuth2 token endpoint that refused the client), which
// says itself that sending again does not help; nil for other errors.
func credentialErr(err error) error {
	var r interface{ Retryable() bool }
	if !errors.As(err, &r) || r.Retryable() {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
