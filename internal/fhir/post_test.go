package fhir

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
)

// request is what the fake server saw of one request.
type request struct {
	Method, Path string
	Header       http.Header
	Body         []byte // as received, before any decompression
}

// fakeServer records requests and answers each with respond.
type fakeServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newFakeServer(t *testing.T, respond http.HandlerFunc) *fakeServer {
	t.Helper()
	fs := &fakeServer{}
	fs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("server: read body: %v", err)
		}
		fs.mu.Lock()
		fs.requests = append(fs.requests, request{r.Method, r.URL.Path, r.Header.Clone(), body})
		fs.mu.Unlock()
		respond(w, r)
	}))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fakeServer) only(t *testing.T) request {
	t.Helper()
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if len(fs.requests) != 1 {
		t.Fatalf("server got %d requests, want 1", len(fs.requests))
	}
	return fs.requests[0]
}

// answer returns a handler that writes status, headers and body.
func answer(status int, body string, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func newClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func testBundle() *Builder {
	b := NewBuilder(Batch)
	b.Add("Patient", "p1", []byte(`{"resourceType":"Patient","id":"p1","x":1.50}`))
	b.Add("Encounter", "e1", []byte(`{"resourceType":"Encounter","id":"e1"}`))
	return b
}

func TestPostRequest(t *testing.T) {
	ok := batchResponse(`{"status":"201 Created"}`, `{"status":"200 OK"}`)
	tests := []struct {
		name     string
		base     string // path and user info put before the server's host
		cfg      Config
		wantAuth string
		wantGzip bool
		wantHdr  map[string]string
	}{
		{name: "plain", base: "/fhir"},
		{name: "trailing slash", base: "/fhir/"},
		{name: "gzip", base: "/fhir", cfg: Config{GzipRequests: true}, wantGzip: true},
		{name: "basic auth", base: "/fhir", cfg: Config{Auth: BasicAuth{User: "alice", Password: "pw"}}, wantAuth: "Basic YWxpY2U6cHc="},
		{name: "user info in the URL", base: "alice:pw@/fhir", wantAuth: "Basic YWxpY2U6cHc="},
		{name: "bearer", base: "/fhir", cfg: Config{Auth: BearerToken("tok")}, wantAuth: "Bearer tok"},
		{
			name:    "extra headers and user agent",
			base:    "/fhir",
			cfg:     Config{Header: http.Header{"X-Upsert-Extistence-Check": {"disabled"}}, UserAgent: "ua/1"},
			wantHdr: map[string]string{"X-Upsert-Extistence-Check": "disabled", "User-Agent": "ua/1"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, answer(200, ok, "Content-Type", "application/fhir+json"))
			cfg := tt.cfg
			host := strings.TrimPrefix(srv.URL, "http://")
			if user, path, found := strings.Cut(tt.base, "@"); found {
				cfg.BaseURL = "http://" + user + "@" + host + path
			} else {
				cfg.BaseURL = srv.URL + tt.base
			}
			b := testBundle()
			body := b.Bytes()
			got, err := newClient(t, cfg).Post(context.Background(), body, b.Len())
			if err != nil {
				t.Fatalf("Post: %v", err)
			}
			want := []EntryResult{{Result: Created, Status: 201}, {Result: Updated, Status: 200}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}

			req := srv.only(t)
			if req.Method != "POST" || req.Path != "/fhir" {
				t.Errorf("request: got %s %s, want POST /fhir", req.Method, req.Path)
			}
			for k, w := range map[string]string{
				"Content-Type":  "application/fhir+json",
				"Accept":        "application/fhir+json",
				"Authorization": tt.wantAuth,
			} {
				if g := req.Header.Get(k); g != w {
					t.Errorf("%s: got %q, want %q", k, g, w)
				}
			}
			for k, w := range tt.wantHdr {
				if g := req.Header.Get(k); g != w {
					t.Errorf("%s: got %q, want %q", k, g, w)
				}
			}
			received := req.Body
			if tt.wantGzip {
				if g := req.Header.Get("Content-Encoding"); g != "gzip" {
					t.Errorf("Content-Encoding: got %q, want gzip", g)
				}
				zr, err := gzip.NewReader(bytes.NewReader(req.Body))
				if err != nil {
					t.Fatalf("body is not gzip: %v", err)
				}
				if received, err = io.ReadAll(zr); err != nil {
					t.Fatalf("gunzip body: %v", err)
				}
			} else if g := req.Header.Get("Content-Encoding"); g != "" {
				t.Errorf("Content-Encoding: got %q, want none", g)
			}
			if !bytes.Equal(received, body) {
				t.Errorf("server got body\n%s\nwant\n%s", received, body)
			}
		})
	}
}

func TestPostStatusError(t *testing.T) {
	oo := `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"HAPI-0450: Failed to parse request body"}]}`
	tests := []struct {
		name      string
		handler   http.HandlerFunc
		want      *StatusError
		retryable bool
	}{
		{
			name:      "503 with Retry-After",
			handler:   answer(503, "busy", "Retry-After", "7"),
			want:      &StatusError{Code: 503, RetryAfter: 7 * time.Second, Snippet: "busy"},
			retryable: true,
		},
		{
			name:      "429 without Retry-After",
			handler:   answer(429, ""),
			want:      &StatusError{Code: 429},
			retryable: true,
		},
		{
			name:    "400 with an OperationOutcome",
			handler: answer(400, oo, "Content-Type", "application/fhir+json"),
			want: &StatusError{Code: 400, Outcome: &Outcome{Issues: []Issue{{
				Severity: "error", Code: "processing", Diagnostics: "HAPI-0450: Failed to parse request body",
			}}}},
		},
		{
			name:    "401 with an HTML page",
			handler: answer(401, "<html>\n<body>login</body></html>", "Content-Type", "text/html"),
			want:    &StatusError{Code: 401, Snippet: "<html>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.handler)
			b := testBundle()
			_, err := newClient(t, Config{BaseURL: srv.URL}).Post(context.Background(), b.Bytes(), b.Len())
			var se *StatusError
			if !errors.As(err, &se) {
				t.Fatalf("got %T %v, want a *StatusError", err, err)
			}
			if diff := cmp.Diff(tt.want, se); diff != "" {
				t.Errorf("StatusError (-want +got):\n%s", diff)
			}
			if got := se.Retryable(); got != tt.retryable {
				t.Errorf("Retryable() = %v, want %v", got, tt.retryable)
			}
			if got := retry.Temporary(err); got != tt.retryable {
				t.Errorf("retry.Temporary = %v, want %v", got, tt.retryable)
			}
			if tt.want.Outcome != nil && !strings.Contains(err.Error(), tt.want.Outcome.Issues[0].Diagnostics) {
				t.Errorf("error %q does not give the diagnostics", err)
			}
		})
	}
}

// hijack returns a handler that takes over the connection, writes raw and
// closes it.
func hijack(t *testing.T, raw string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		buf.WriteString(raw)
		buf.Flush()
	}
}

func TestPostBrokenConnection(t *testing.T) {
	full := batchResponse(`{"status":"201 Created"}`, `{"status":"201 Created"}`)
	tests := []struct {
		name string
		raw  string
	}{
		{
			name: "closed mid-body",
			raw:  "HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 1000\r\n\r\n" + full[:len(full)/2],
		},
		{
			name: "closed mid-body, chunked",
			raw:  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + full[:16] + "\r\n",
		},
		{
			name: "closed mid-headers",
			raw:  "HTTP/1.1 200 OK\r\nContent-Ty",
		},
		{
			name: "closed before answering",
			raw:  "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, hijack(t, tt.raw))
			b := testBundle()
			_, err := newClient(t, Config{BaseURL: srv.URL}).Post(context.Background(), b.Bytes(), b.Len())
			if err == nil {
				t.Fatal("got no error, want one")
			}
			var ne *NetError
			if !errors.As(err, &ne) {
				t.Errorf("got %T %v, want a *NetError", err, err)
			}
			if !retry.Temporary(err) {
				t.Errorf("retry.Temporary(%v) = false, want true", err)
			}
		})
	}
}

func TestPostBadResponse(t *testing.T) {
	srv := newFakeServer(t, answer(200, batchResponse(`{"status":"201 Created"}`)))
	b := testBundle()
	_, err := newClient(t, Config{BaseURL: srv.URL}).Post(context.Background(), b.Bytes(), b.Len())
	if !errors.Is(err, ErrBadResponse) {
		t.Fatalf("got %v, want an error wrapping %v", err, ErrBadResponse)
	}
	if !retry.Temporary(err) {
		t.Errorf("retry.Temporary(%v) = false, want true", err)
	}
}

func TestPostCanceled(t *testing.T) {
	started := make(chan struct{})
	srv := newFakeServer(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	b := testBundle()
	_, err := newClient(t, Config{BaseURL: srv.URL}).Post(ctx, b.Bytes(), b.Len())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want %v", err, context.Canceled)
	}
	if retry.Temporary(err) {
		t.Errorf("retry.Temporary(%v) = true, want false", err)
	}
}

// TestEntryResultStatus: the code is the status's first word, whatever
// space separates it.
func TestEntryResultStatus(t *testing.T) {
	tests := []struct {
		status string
		code   int
		result Result
	}{
		{"201 Created", 201, Created},
		{"201\tCreated", 201, Created},
		{" 200 OK", 200, Updated},
		{"200", 200, Updated},
		{"404 Not Found", 404, Failed},
		{"", 0, Failed},
		{"abc", 0, Failed},
	}
	for _, tc := range tests {
		got := entryResult(tc.status, nil)
		if got.Status != tc.code || got.Result != tc.result {
			t.Errorf("entryResult(%q) = %+v, want status %d, %v", tc.status, got, tc.code, tc.result)
		}
	}
}
