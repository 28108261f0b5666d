package fhir

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOutcomeString(t *testing.T) {
	issue := func(severity, code, diagnostics, text string) Issue {
		is := Issue{Severity: severity, Code: code, Diagnostics: diagnostics}
		is.Details.Text = text
		return is
	}
	tests := []struct {
		name string
		o    *Outcome
		want string
	}{
		{"nil", nil, ""},
		{"no issues", &Outcome{}, ""},
		{"errors only, in order", &Outcome{Issues: []Issue{
			issue("information", "informational", "info", ""),
			issue("error", "processing", "first", ""),
			issue("warning", "processing", "warn", ""),
			issue("fatal", "exception", "second", ""),
		}}, "first; second"},
		{"all when no errors", &Outcome{Issues: []Issue{
			issue("warning", "processing", "w1", ""),
			issue("information", "informational", "i1", ""),
		}}, "w1; i1"},
		{"details text, then code", &Outcome{Issues: []Issue{
			issue("error", "invalid", "", "from details"),
			issue("error", "conflict", "", ""),
		}}, "from details; conflict"},
		{"empty issue skipped", &Outcome{Issues: []Issue{issue("error", "", "", ""), issue("error", "", "x", "")}}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name, in string
		want     time.Duration
	}{
		{"seconds", "7", 7 * time.Second},
		{"spaces", " 120 ", 2 * time.Minute},
		{"zero", "0", 0},
		{"none", "", 0},
		{"negative", "-3", 0},
		{"garbage", "soon", 0},
		{"date", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestStatusError(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name    string
		code    int
		header  http.Header
		body    string
		want    *StatusError
		wantMsg string
	}{
		{
			name:    "OperationOutcome",
			code:    400,
			body:    `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"HAPI-1821: bad"}]}`,
			want:    &StatusError{Code: 400, Outcome: &Outcome{Issues: []Issue{{Severity: "error", Code: "invalid", Diagnostics: "HAPI-1821: bad"}}}},
			wantMsg: "HTTP 400 Bad Request: HAPI-1821: bad",
		},
		{
			name:    "Retry-After and a text body",
			code:    503,
			header:  http.Header{"Retry-After": {"7"}},
			body:    "\n  Service busy\r\nmore\n",
			want:    &StatusError{Code: 503, Snippet: "Service busy", RetryAfter: 7 * time.Second},
			wantMsg: "HTTP 503 Service Unavailable: Service busy",
		},
		{
			name:    "JSON that is not an OperationOutcome",
			code:    502,
			body:    `{"error":"upstream"}`,
			want:    &StatusError{Code: 502, Snippet: `{"error":"upstream"}`},
			wantMsg: `HTTP 502 Bad Gateway: {"error":"upstream"}`,
		},
		{
			name:    "long body cut",
			code:    500,
			body:    long,
			want:    &StatusError{Code: 500, Snippet: long[:200] + "…"},
			wantMsg: "HTTP 500 Internal Server Error: " + long[:200] + "…",
		},
		{
			name:    "empty body",
			code:    504,
			want:    &StatusError{Code: 504},
			wantMsg: "HTTP 504 Gateway Timeout",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			got := statusError(&http.Response{StatusCode: tt.code, Header: h}, []byte(tt.body))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statusError (-want +got):\n%s", diff)
			}
			if msg := got.Error(); msg != tt.wantMsg {
				t.Errorf("Error() = %q, want %q", msg, tt.wantMsg)
			}
			if got.Wait() != tt.want.RetryAfter {
				t.Errorf("Wait() = %v, want %v", got.Wait(), tt.want.RetryAfter)
			}
		})
	}
}

func TestStatusErrorRetryable(t *testing.T) {
	// The codes worth sending again (409: a race with a concurrent write,
	// as on a cluster); other 4xx are the request's fault.
	tests := []struct {
		code int
		want bool
	}{
		{408, true}, {409, true}, {429, true}, {502, true}, {503, true}, {504, true},
		{400, false}, {401, false}, {403, false}, {404, false}, {405, false},
		{410, false}, {412, false}, {413, false}, {415, false}, {422, false},
	}
	for _, tt := range tests {
		t.Run(http.StatusText(tt.code), func(t *testing.T) {
			if got := (&StatusError{Code: tt.code}).Retryable(); got != tt.want {
				t.Errorf("Retryable() for %d = %v, want %v", tt.code, got, tt.want)
			}
		})
	}
}

func TestSnippetOfHTMLPage(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"nginx without a client certificate", "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>", "400 No required SSL certificate was sent"},
		{"no title", "<html>\n<body>down</body>", "<html>"},
		{"text", "upstream connect error\nmore", "upstream connect error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := snippet([]byte(tc.body)); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
