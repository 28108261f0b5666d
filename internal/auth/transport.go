package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Transport adds the Source's token to each request as
// "Authorization: Bearer". A request the server refuses with 401, or 403
// (what gateways answer for an expired token), is sent once more with a
// new token; the second answer stands.
type Transport struct {
	Source *Source
	Base   http.RoundTripper // nil: http.DefaultTransport
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	tok, err := t.Source.Token(req.Context())
	if err != nil {
		closeBody(req)
		return nil, err
	}
	resp, err := base.RoundTrip(withToken(req, tok))
	if err != nil || (resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden) {
		return resp, err
	}
	// Sending again needs the body again.
	if req.Body != nil && req.GetBody == nil {
		return resp, nil
	}
	again := withToken(req, "")
	if req.Body != nil {
		body, err := req.GetBody()
		if err != nil {
			return resp, nil
		}
		again.Body = body
	}
	// The refusal's body is read to its end so that the connection is
	// used again.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	tok, err = t.Source.Renew(req.Context(), tok)
	if err != nil {
		if again.Body != nil {
			again.Body.Close()
		}
		return nil, err
	}
	again.Header.Set("Authorization", "Bearer "+tok)
	return base.RoundTrip(again)
}

// withToken returns a copy of req with tok as its bearer token: a
// RoundTripper must not change the request it was given.
func withToken(req *http.Request, tok string) *http.Request {
	r := req.Clone(req.Context())
	if tok != "" {
		r.Header.Set("Authorization", "Bearer "+tok)
	}
	return r
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// Discover reads the token endpoint from the SMART configuration of the
// FHIR server at base ([base]/.well-known/smart-configuration).
func Discover(ctx context.Context, hc *http.Client, base string) (string, error) {
	u := strings.TrimRight(base, "/") + "/.well-known/smart-configuration"
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", &TokenError{Endpoint: u, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		return "", tokenError(u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", &TokenError{Endpoint: u, Description: fmt.Sprintf("discovery answered HTTP %d; set FHIR_OAUTH_TOKEN_URL", resp.StatusCode)}
	}
	var conf struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&conf); err != nil || conf.TokenEndpoint == "" {
		return "", &TokenError{Endpoint: u, Description: "no token_endpoint in the SMART configuration"}
	}
	return conf.TokenEndpoint, nil
}
