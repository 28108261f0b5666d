package bucket

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/minio/minio-go/v7"
)

// Errors a caller can branch on with errors.Is. The package returns them
// wrapped in an *Error, which names the operation and carries a hint.
var (
	// ErrConfig means the settings given to New cannot work.
	ErrConfig = errors.New("bad bucket settings")
	// ErrAuth means the server rejected the credentials or denied access.
	ErrAuth = errors.New("access denied")
	// ErrNoBucket means the bucket does not exist.
	ErrNoBucket = errors.New("no such bucket")
	// ErrUnreachable means no connection to the endpoint could be made.
	ErrUnreachable = errors.New("endpoint unreachable")
	// ErrTLS means HTTPS was asked for where the server speaks plain HTTP
	// (or the reverse), or the server's certificate is not trusted.
	ErrTLS = errors.New("tls problem")
	// ErrUnsafePath means an object's key would be written outside the
	// download folder, or through a symbolic link.
	ErrUnsafePath = errors.New("refused to write outside the download folder")
)

// Error is a failure whose cause is known. Its text names the operation and
// the cause in one line and never contains the secret key.
type Error struct {
	Op     string // what was being done, e.g. "list s3://bucket/prefix"
	Kind   error  // ErrConfig, ErrAuth, ErrNoBucket, ErrUnreachable or ErrTLS
	Reason string // the cause, for people
	Hint   string // one line of advice
	Err    error  // the underlying error, if any
}

// Error returns "op: reason"; the hint and the underlying error are not
// part of it.
func (e *Error) Error() string { return e.Op + ": " + e.Reason }

// Unwrap returns the kind and the underlying error, so that errors.Is works
// with both the sentinel and, say, context.Canceled.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Hint returns one line of advice for err, or "" when there is none.
func Hint(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Hint
	}
	return ""
}

// wrap names op in err and, where the cause is known, turns it into an
// *Error with a hint.
func (c *Client) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if e := c.classify(err); e != nil {
		e.Op, e.Err = op, err
		return e
	}
	return fmt.Errorf("%s: %w", op, err)
}

const keysHint = "check MINIO_ACCESS_KEY and MINIO_SECRET_KEY"

// sessionHint is the advice for temporary credentials.
const sessionHint = "temporary keys need their session token: set MINIO_SESSION_TOKEN (or AWS_SESSION_TOKEN, or aws_session_token in the profile), or get new ones if they expired"

// classify recognises the failures a user can fix. It returns nil for the
// rest, including cancellation.
func (c *Client) classify(err error) *Error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	var resp minio.ErrorResponse
	if errors.As(err, &resp) {
		if e := c.classifyS3(resp); e != nil {
			return e
		}
	}
	if e := c.classifyTLS(err); e != nil {
		return e
	}
	return c.classifyNet(err)
}

// classifyS3 looks at the error code the server sent.
func (c *Client) classifyS3(r minio.ErrorResponse) *Error {
	switch r.Code {
	case "":
		return nil
	case "InvalidAccessKeyId":
		return &Error{Kind: ErrAuth, Hint: keysHint,
			Reason: "the server does not know the access key (InvalidAccessKeyId)"}
	case "SignatureDoesNotMatch":
		return &Error{Kind: ErrAuth, Hint: keysHint,
			Reason: "the secret key does not match the access key (SignatureDoesNotMatch)"}
	case "ExpiredToken", "InvalidToken", "InvalidSecurity":
		return &Error{Kind: ErrAuth, Hint: keysHint,
			Reason: fmt.Sprintf("the credentials are not valid (%s)", r.Code)}
	case "InvalidTokenId":
		// Temporary keys (from STS) without their session token, or with
		// another's.
		return &Error{Kind: ErrAuth, Hint: sessionHint,
			Reason: "the server refused the session token (InvalidTokenId)"}
	case "AccessDenied", "AllAccessDisabled":
		return &Error{Kind: ErrAuth, Reason: fmt.Sprintf("access denied (%s)", r.Code),
			Hint: fmt.Sprintf("%s, and that this user may list and read bucket %q", keysHint, c.bucket)}
	case "RequestTimeTooSkewed":
		return &Error{Kind: ErrAuth, Reason: "this computer's clock differs too much from the server's (RequestTimeTooSkewed)",
			Hint: "set the system clock (e.g. enable NTP)"}
	case "NoSuchBucket":
		return &Error{Kind: ErrNoBucket, Reason: fmt.Sprintf("bucket %q does not exist on %s", c.bucket, c.endpoint),
			Hint: "check MINIO_BUCKET (bucket names are lower-case) and MINIO_ENDPOINT"}
	}
	if r.StatusCode == 400 && plainToTLS(r.Message) {
		return c.tlsMismatch(false)
	}
	return nil
}

// plainToTLS recognises the answer of a TLS server to a plain HTTP request:
// Go servers (MinIO among them) and nginx say so in the body.
func plainToTLS(body string) bool {
	return strings.Contains(body, "HTTP request to an HTTPS server") ||
		strings.Contains(body, "plain HTTP request was sent to HTTPS port")
}

// tlsMismatch reports a scheme mismatch; secure says what the client spoke.
func (c *Client) tlsMismatch(secure bool) *Error {
	if secure {
		return &Error{Kind: ErrTLS, Reason: fmt.Sprintf("HTTPS was used but %s speaks plain HTTP", c.endpoint),
			Hint: "set MINIO_SECURE=false"}
	}
	return &Error{Kind: ErrTLS, Reason: fmt.Sprintf("plain HTTP was used but %s speaks HTTPS", c.endpoint),
		Hint: "set MINIO_SECURE=true"}
}

// classifyTLS recognises a scheme mismatch seen from an HTTPS client and
// certificates that are not trusted.
func (c *Client) classifyTLS(err error) *Error {
	var rec tls.RecordHeaderError
	// net/http has no typed error for this one; its text is stable.
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") || errors.As(err, &rec) {
		return c.tlsMismatch(true)
	}
	var (
		unknown  x509.UnknownAuthorityError
		host     x509.HostnameError
		invalid  x509.CertificateInvalidError
		verified *tls.CertificateVerificationError
	)
	var detail string
	switch {
	case errors.As(err, &unknown):
		detail = unknown.Error()
	case errors.As(err, &host):
		detail = host.Error()
	case errors.As(err, &invalid):
		detail = invalid.Error()
	case errors.As(err, &verified):
		detail = verified.Err.Error()
	default:
		return nil
	}
	return &Error{Kind: ErrTLS, Reason: fmt.Sprintf("the TLS certificate of %s is not trusted: %s", c.endpoint, detail),
		Hint: "trust the server's CA (e.g. via SSL_CERT_FILE) or check the host name in MINIO_ENDPOINT"}
}

// classifyNet recognises failures to connect at all.
func (c *Client) classifyNet(err error) *Error {
	const epHint = "check MINIO_ENDPOINT (host:port, e.g. localhost:9000) and that the server runs"
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return &Error{Kind: ErrUnreachable, Hint: epHint,
			Reason: fmt.Sprintf("cannot resolve host %q of endpoint %s", dns.Name, c.endpoint)}
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return &Error{Kind: ErrUnreachable, Hint: epHint,
			Reason: fmt.Sprintf("connection to %s refused", c.endpoint)}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return &Error{Kind: ErrUnreachable, Hint: epHint,
			Reason: fmt.Sprintf("cannot connect to %s: %v", c.endpoint, op.Err)}
	}
	return nil
}
