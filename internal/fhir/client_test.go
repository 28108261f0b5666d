package fhir

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBaseURL(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" for an error
	}{
		{"plain", "http://localhost:8080/fhir", "http://localhost:8080/fhir"},
		{"trailing slashes", "http://localhost:8080/fhir//", "http://localhost:8080/fhir"},
		{"spaces, query and fragment", "  https://h.example/fhir/?a=1#x ", "https://h.example/fhir"},
		{"no path", "http://h", "http://h"},
		{"user info kept", "http://u:p@h/fhir", "http://u:p@h/fhir"},
		{"other scheme", "ftp://h/fhir", ""},
		{"no scheme", "localhost:8080/fhir", ""},
		{"relative", "/fhir", ""},
		{"no host", "http:///fhir", ""},
		{"empty", "", ""},
		{"bad port", "http://h:port/fhir", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseBaseURL(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("got %v, want an error", u)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want %s", err, tt.want)
			}
			if got := u.String(); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestPasswordNeverShown feeds URLs with a password, valid and not, to
// everything that may name the URL in an error.
func TestPasswordNeverShown(t *testing.T) {
	for _, in := range []string{
		"ftp://alice:" + secret + "@h/fhir",
		"http://alice:" + secret + "@h:port/fhir",
		"http://alice:" + secret + "@h/fh\x7fir",
		"http://alice:" + secret + "@[::1/fhir",
		"http://al ice:" + secret + "@h/fhir",
		"http://alice:" + secret + "@/fhir",
		"alice:" + secret + "@h/fhir",
		"http://alice:" + secret + "/x@h/fhir",
	} {
		t.Run(fmt.Sprintf("%q", in), func(t *testing.T) {
			_, err := ParseBaseURL(in)
			if err == nil {
				t.Fatal("got no error, want one")
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseBaseURL error %q shows the password", err)
			}
			if _, err := New(Config{BaseURL: in}); err == nil || strings.Contains(err.Error(), secret) {
				t.Errorf("New error %v shows the password or is nil", err)
			}
			if got := Redact(in); strings.Contains(got, secret) {
				t.Errorf("Redact(%q) = %q, shows the password", in, got)
			}
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"password", "http://alice:pw@h/fhir", "http://alice:xxxxx@h/fhir"},
		{"user only", "http://alice@h/fhir", "http://alice@h/fhir"},
		{"no user", "http://h:8080/fhir?a=b", "http://h:8080/fhir?a=b"},
		{"not a URL", "hello", "hello"},
		{"unparsable with password", "http://alice:pw@h:port/fhir", "http://alice:xxxxx@h:port/fhir"},
		{"unparsable without password", "http://h:port/a", "http://h:port/a"},
		{"@ in the path", "http://h:8080/a@b", "http://h:8080/a@b"},
		{"password with a slash", "http://alice:p/w@h/fhir", "http://alice:xxxxx@h/fhir"},
		{"no scheme", "alice:pw@h/fhir", "alice:xxxxx@h/fhir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewUserInfo(t *testing.T) {
	tests := []struct {
		name     string
		cfg      Config
		wantBase string
		wantAuth Auth
	}{
		{
			name:     "user info becomes basic auth",
			cfg:      Config{BaseURL: "http://alice:pw@h/fhir/"},
			wantBase: "http://h/fhir",
			wantAuth: BasicAuth{User: "alice", Password: "pw"},
		},
		{
			name:     "configured auth wins",
			cfg:      Config{BaseURL: "http://alice:pw@h/fhir", Auth: BearerToken("t")},
			wantBase: "http://h/fhir",
			wantAuth: BearerToken("t"),
		},
		{
			name:     "no credentials",
			cfg:      Config{BaseURL: "https://h"},
			wantBase: "https://h",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(tt.cfg)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if got := c.BaseURL(); got != tt.wantBase {
				t.Errorf("BaseURL() = %q, want %q", got, tt.wantBase)
			}
			if diff := cmp.Diff(tt.wantAuth, c.cfg.Auth); diff != "" {
				t.Errorf("auth (-want +got):\n%s", diff)
			}
		})
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestNetError(t *testing.T) {
	urlErr := func(err error) error { return &url.Error{Op: "Post", URL: "http://h/fhir", Err: err} }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"refused", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: &net.AddrError{Err: "x"}}), "x"},
		{"refused errno", urlErr(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), "connection refused"},
		{"reset", urlErr(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), "connection reset"},
		{"dns", urlErr(&net.OpError{Op: "dial", Err: &net.DNSError{Name: "fhir.invalid", Err: "no such host"}}), "host fhir.invalid not found"},
		{"timeout", urlErr(timeoutErr{}), "timed out"},
		{"other", urlErr(errors.New("EOF")), "EOF"},
		{"plain", errors.New("reading the batch response: unexpected EOF"), "reading the batch response: unexpected EOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ne := &NetError{Err: tt.err}
			if got := ne.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(ne, tt.err) {
				t.Errorf("errors.Is(NetError, its Err) = false, want true")
			}
			if !ne.Retryable() {
				t.Errorf("Retryable() = false, want true")
			}
		})
	}
}
