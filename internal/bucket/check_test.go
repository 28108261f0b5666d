package bucket

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const testSecret = "s3cret-never-shown"

// fakeS3 answers every request with the given S3 error code, or with an
// empty listing when code is "".
func fakeS3(code string, status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/xml")
		if code == "" {
			if r.URL.Query().Has("location") {
				_, _ = io.WriteString(w, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
				return
			}
			_, _ = io.WriteString(w, `<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`+
				`<Name>fhir</Name><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`)
			return
		}
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `<Error><Code>%s</Code><Message>from the fake</Message><BucketName>fhir</BucketName><RequestId>1</RequestId></Error>`, code)
	})
}

// newServer starts h on 127.0.0.1, with TLS when tls is set, and keeps
// the server's complaints about handshakes out of the test output.
func newServer(t *testing.T, h http.Handler, tls bool) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tls {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestCheck(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	_ = closed.Close()

	plain := func(code string, status int) *httptest.Server { return newServer(t, fakeS3(code, status), false) }
	tlsSrv := newServer(t, fakeS3("", 0), true)
	tests := []struct {
		name   string
		srv    *httptest.Server // nil: use addr
		addr   string
		secure bool
		trust  bool // use the TLS server's certificate
		region string
		want   error // nil: no error
		hint   string
	}{
		{name: "ok", srv: plain("", 0)},
		{name: "ok with region", srv: plain("", 0), region: "us-east-1"},
		{name: "ok over tls", srv: tlsSrv, secure: true, trust: true},
		{name: "unknown access key", srv: plain("InvalidAccessKeyId", 403), want: ErrAuth, hint: "MINIO_ACCESS_KEY"},
		{name: "wrong secret", srv: plain("SignatureDoesNotMatch", 403), region: "us-east-1", want: ErrAuth, hint: "MINIO_SECRET_KEY"},
		{name: "denied", srv: plain("AccessDenied", 403), want: ErrAuth, hint: "may list"},
		{name: "no bucket", srv: plain("NoSuchBucket", 404), want: ErrNoBucket, hint: "MINIO_BUCKET"},
		{name: "https to http", srv: plain("", 0), secure: true, want: ErrTLS, hint: "MINIO_SECURE=false"},
		{name: "http to https", srv: tlsSrv, want: ErrTLS, hint: "MINIO_SECURE=true"},
		{name: "untrusted certificate", srv: tlsSrv, secure: true, want: ErrTLS, hint: "SSL_CERT_FILE"},
		{name: "refused", addr: closedAddr, want: ErrUnreachable, hint: "MINIO_ENDPOINT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Endpoint: tt.addr, AccessKey: "tester", SecretKey: testSecret,
				Bucket: "fhir", Prefix: "in", Secure: tt.secure, Region: tt.region}
			var rt http.RoundTripper
			if tt.srv != nil {
				cfg.Endpoint = tt.srv.Listener.Addr().String()
				if tt.trust {
					rt = tt.srv.Client().Transport
				}
			}
			c, err := newClient(cfg, rt)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = c.Check(ctx)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want errors.Is(err, %v)", err, tt.want)
			}
			if h := Hint(err); !strings.Contains(h, tt.hint) {
				t.Errorf("Hint: got %q, want it to mention %q", h, tt.hint)
			}
			if !strings.HasPrefix(err.Error(), "check s3://fhir/in: ") {
				t.Errorf("got %q, want it to name the bucket", err)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(Hint(err), testSecret) {
				t.Errorf("error %q shows the secret key", err)
			}
		})
	}
}
