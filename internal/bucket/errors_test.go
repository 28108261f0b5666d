package bucket

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/minio/minio-go/v7"
)

func TestClassify(t *testing.T) {
	c := &Client{endpoint: "minio.example:9000", bucket: "fhir"}
	dial := func(err error) error {
		return &url.Error{Op: "Get", URL: "http://minio.example:9000/fhir/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: err}}
	}
	tests := []struct {
		name string
		err  error
		want error // nil: not classified
		hint string
	}{
		{"unknown access key", minio.ErrorResponse{Code: "InvalidAccessKeyId", StatusCode: 403}, ErrAuth, "MINIO_ACCESS_KEY"},
		{"temporary keys without their session token", minio.ErrorResponse{Code: "InvalidTokenId", StatusCode: 403}, ErrAuth, "MINIO_SESSION_TOKEN"},
		{"wrong secret key", minio.ErrorResponse{Code: "SignatureDoesNotMatch", StatusCode: 403}, ErrAuth, "MINIO_SECRET_KEY"},
		{"denied", minio.ErrorResponse{Code: "AccessDenied", StatusCode: 403}, ErrAuth, `bucket "fhir"`},
		{"clock", minio.ErrorResponse{Code: "RequestTimeTooSkewed", StatusCode: 403}, ErrAuth, "clock"},
		{"no bucket", minio.ErrorResponse{Code: "NoSuchBucket", StatusCode: 404}, ErrNoBucket, "MINIO_BUCKET"},
		{"wrapped no bucket", fmt.Errorf("list: %w", minio.ErrorResponse{Code: "NoSuchBucket"}), ErrNoBucket, "MINIO_BUCKET"},
		{"no key", minio.ErrorResponse{Code: "NoSuchKey", StatusCode: 404}, nil, ""},
		{"plain http to tls", minio.ErrorResponse{StatusCode: 400, Code: "400 Bad Request",
			Message: "Client sent an HTTP request to an HTTPS server.\n"}, ErrTLS, "MINIO_SECURE=true"},
		{"plain http to nginx tls", minio.ErrorResponse{StatusCode: 400, Code: "400 Bad Request",
			Message: "<html>The plain HTTP request was sent to HTTPS port</html>"}, ErrTLS, "MINIO_SECURE=true"},
		{"tls to plain http", &url.Error{Op: "Get", URL: "https://x/",
			Err: errors.New("http: server gave HTTP response to HTTPS client")}, ErrTLS, "MINIO_SECURE=false"},
		{"tls record header", &url.Error{Op: "Get", URL: "https://x/", Err: tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}}, ErrTLS, "MINIO_SECURE=false"},
		{"unknown authority", &url.Error{Op: "Get", URL: "https://x/",
			Err: &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}}, ErrTLS, "SSL_CERT_FILE"},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, ErrTLS, "SSL_CERT_FILE"},
		{"refused", dial(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), ErrUnreachable, "MINIO_ENDPOINT"},
		{"dns", dial(&net.DNSError{Name: "minio.example", Err: "no such host", IsNotFound: true}), ErrUnreachable, "MINIO_ENDPOINT"},
		{"dial timeout", dial(errors.New("i/o timeout")), ErrUnreachable, "MINIO_ENDPOINT"},
		{"cancelled", context.Canceled, nil, ""},
		{"cancelled in url error", &url.Error{Op: "Get", URL: "http://x/", Err: context.Canceled}, nil, ""},
		{"other", errors.New("boom"), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.wrap("list s3://fhir/", tt.err)
			if !errors.Is(err, tt.err) && !errors.Is(err, errors.Unwrap(tt.err)) {
				t.Errorf("errors.Is(%v, cause) = false, want true", err)
			}
			if !strings.HasPrefix(err.Error(), "list s3://fhir/: ") {
				t.Errorf("got %q, want it to name the operation", err)
			}
			if tt.want == nil {
				for _, s := range []error{ErrAuth, ErrNoBucket, ErrTLS, ErrUnreachable} {
					if errors.Is(err, s) {
						t.Errorf("errors.Is(%v, %v) = true, want false", err, s)
					}
				}
				if h := Hint(err); h != "" {
					t.Errorf("Hint: got %q, want none", h)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want errors.Is(err, %v)", err, tt.want)
			}
			if h := Hint(err); !strings.Contains(h, tt.hint) || strings.Contains(h, "\n") {
				t.Errorf("Hint: got %q, want one line with %q", h, tt.hint)
			}
		})
	}
}

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name       string
		cfg        Config
		wantErr    bool
		wantSecure bool
		wantString string
	}{
		{"plain", Config{Endpoint: "localhost:9000", Bucket: "fhir"}, false, false, "s3://fhir/"},
		{"prefix", Config{Endpoint: "localhost:9000", Bucket: "fhir", Prefix: "/exports/2024/"}, false, false, "s3://fhir/exports/2024"},
		{"https scheme", Config{Endpoint: "https://minio.example", Bucket: "fhir"}, false, true, "s3://fhir/"},
		{"http scheme", Config{Endpoint: "http://localhost:9000/", Bucket: "fhir"}, false, false, "s3://fhir/"},
		{"http scheme but secure", Config{Endpoint: "http://localhost:9000", Bucket: "fhir", Secure: true}, true, false, ""},
		{"no endpoint", Config{Bucket: "fhir"}, true, false, ""},
		{"path in endpoint", Config{Endpoint: "localhost:9000/fhir", Bucket: "fhir"}, true, false, ""},
		{"no bucket", Config{Endpoint: "localhost:9000"}, true, false, ""},
		{"short bucket", Config{Endpoint: "localhost:9000", Bucket: "b"}, true, false, ""},
		{"bucket with space", Config{Endpoint: "localhost:9000", Bucket: "my bucket"}, true, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.SecretKey = "s3cret-never-shown"
			c, err := New(tt.cfg)
			if tt.wantErr {
				if !errors.Is(err, ErrConfig) || Hint(err) == "" {
					t.Fatalf("got %v (hint %q), want ErrConfig with a hint", err, Hint(err))
				}
				if strings.Contains(err.Error()+Hint(err), tt.cfg.SecretKey) {
					t.Errorf("error %q shows the secret key", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want no error", err)
			}
			if c.secure != tt.wantSecure || c.String() != tt.wantString {
				t.Errorf("got secure %v, %q; want %v, %q", c.secure, c.String(), tt.wantSecure, tt.wantString)
			}
		})
	}
}

func TestStatusString(t *testing.T) {
	for s, want := range map[Status]string{Downloaded: "downloaded", Skipped: "skipped", Failed: "failed", 0: "Status(0)"} {
		if got := s.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
