package auth

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// fhirServer accepts only the bearer tokens in good; it records each
// request's token and body.
type fhirServer struct {
	*httptest.Server
	mu     sync.Mutex
	tokens []string
	bodies []string
}

func newFHIRServer(t *testing.T, refuse int, good ...string) *fhirServer {
	fs := &fhirServer{}
	ok := map[string]bool{}
	for _, g := range good {
		ok["Bearer "+g] = true
	}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fs.mu.Lock()
		fs.tokens = append(fs.tokens, r.Header.Get("Authorization"))
		fs.bodies = append(fs.bodies, string(b))
		fs.mu.Unlock()
		if !ok[r.Header.Get("Authorization")] {
			w.WriteHeader(refuse)
			_, _ = io.WriteString(w, `{"resourceType":"OperationOutcome"}`)
			return
		}
		_, _ = io.WriteString(w, `{"resourceType":"Bundle"}`)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func TestTransportRefusedOnceSendsAgain(t *testing.T) {
	for _, tc := range []struct {
		name       string
		refuse     int
		good       []string
		wantStatus int
		wantTokens []string
		wantStats  Stats
	}{
		{"401 then a new token", 401, []string{"tok-2"}, 200, []string{"Bearer tok-1", "Bearer tok-2"}, Stats{Requests: 2, Refreshes: 1, Rejected: 1}},
		{"a gateway's 403", 403, []string{"tok-2"}, 200, []string{"Bearer tok-1", "Bearer tok-2"}, Stats{Requests: 2, Refreshes: 1, Rejected: 1}},
		{"accepted at once", 401, []string{"tok-1"}, 200, []string{"Bearer tok-1"}, Stats{Requests: 1}},
		// Refused again with the new token: the second answer stands, no
		// third try.
		{"refused twice", 401, nil, 401, []string{"Bearer tok-1", "Bearer tok-2"}, Stats{Requests: 2, Refreshes: 1, Rejected: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTokenServer(t, 300)
			fs := newFHIRServer(t, tc.refuse, tc.good...)
			src := secretSource(t, ts.URL, SecretBasic, nil)
			hc := &http.Client{Transport: &Transport{Source: src}}
			body := `{"resourceType":"Bundle","type":"batch"}`
			req, _ := http.NewRequestWithContext(context.Background(), "POST", fs.URL+"/fhir", bytes.NewReader([]byte(body)))
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status: got %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			if len(fs.tokens) != len(tc.wantTokens) {
				t.Fatalf("got tokens %v, want %v", fs.tokens, tc.wantTokens)
			}
			for i := range fs.tokens {
				if fs.tokens[i] != tc.wantTokens[i] {
					t.Errorf("request %d: got %q, want %q", i+1, fs.tokens[i], tc.wantTokens[i])
				}
				if fs.bodies[i] != body {
					t.Errorf("request %d: got body %q, want %q", i+1, fs.bodies[i], body)
				}
			}
			if got := src.Stats(); got != tc.wantStats {
				t.Errorf("got %+v, want %+v", got, tc.wantStats)
			}
			if got := req.Header.Get("Authorization"); got != "" {
				t.Errorf("the caller's request was changed: Authorization %q", got)
			}
		})
	}
}

func TestTransportTokenErrorIsNotRetryable(t *testing.T) {
	ts := newTokenServer(t, 60)
	ts.failStatus, ts.failBody = 401, `{"error":"invalid_client"}`
	fs := newFHIRServer(t, 401)
	hc := &http.Client{Transport: &Transport{Source: secretSource(t, ts.URL, SecretBasic, nil)}}
	req, _ := http.NewRequest("GET", fs.URL+"/fhir/metadata", nil)
	resp, err := hc.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("got no error, want the token endpoint's")
	}
	var r interface{ Retryable() bool }
	if !errors.Is(err, ErrToken) || !errors.As(err, &r) || r.Retryable() {
		t.Errorf("got %v, want a not retryable ErrToken", err)
	}
	if len(fs.tokens) != 0 {
		t.Errorf("the server got %d requests without a token, want 0", len(fs.tokens))
	}
}
