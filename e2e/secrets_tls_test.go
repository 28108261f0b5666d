//go:build e2e

package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
)

// tlsFHIR is a small HTTPS FHIR server on 127.0.0.1 with a certificate of
// its own CA: it answers /metadata and batch Bundles (every entry 201).
type tlsFHIR struct {
	*httptest.Server
	batches atomic.Int32
	caFile  string // its CA certificate, PEM
}

func newTLSFHIR(t *testing.T) *tlsFHIR {
	t.Helper()
	s := &tlsFHIR{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/fhir/metadata":
			_, _ = io.WriteString(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","software":{"name":"TLS test server","version":"1"}}`)
		case r.Method == "POST" && r.URL.Path == "/fhir":
			var b struct {
				Entry []json.RawMessage `json:"entry"`
			}
			if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			s.batches.Add(1)
			entries := make([]string, len(b.Entry))
			for i := range entries {
				entries[i] = `{"response":{"status":"201 Created"}}`
			}
			fmt.Fprintf(w, `{"resourceType":"Bundle","type":"batch-response","entry":[%s]}`, strings.Join(entries, ","))
		default:
			http.NotFound(w, r)
		}
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	s.StartTLS()
	t.Cleanup(s.Close)
	s.caFile = filepath.Join(t.TempDir(), "ca.pem")
	must(t, os.WriteFile(s.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o644))
	return s
}

// tlsUpload uploads one Organization to srv with the canary credentials.
func tlsUpload(t *testing.T, srv *tlsFHIR, extra ...string) result {
	t.Helper()
	tmp := t.TempDir()
	dir := oneOrganization(t)
	args := append([]string{"upload", "-i", dir, "--fhir-url", srv.URL + "/fhir", "--failure-log", filepath.Join(tmp, "f.log"),
		"--checkpoint-dir", filepath.Join(tmp, "ckpt"), "--retries", "1", "--timeout", "5s"}, extra...)
	r := run(t, canarySettings(tmp), args...)
	assertNoCanary(t, r, tmp)
	return r
}

// TestSecretsTLSVerifiedByDefault: a certificate of an unknown CA is
// refused before anything is sent, with a message that says why.
func TestSecretsTLSVerifiedByDefault(t *testing.T) {
	srv := newTLSFHIR(t)
	r := tlsUpload(t, srv)
	if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "certificate") {
		t.Errorf("exit %d, want %d with a message about the certificate:\n%s", r.code, cli.ExitFatal, r.stderr)
	}
	if n := srv.batches.Load(); n != 0 {
		t.Errorf("%d batches were sent to a server whose certificate was not verified", n)
	}
}

// TestSecretsTLSPrivateCA: --ca-cert FILE trusts a private CA.
func TestSecretsTLSPrivateCA(t *testing.T) {
	srv := newTLSFHIR(t)
	r := tlsUpload(t, srv, "--ca-cert", srv.caFile)
	if r.code != cli.ExitOK || srv.batches.Load() != 1 {
		t.Errorf("--ca-cert with the server's CA: exit %d, %d batches; want 0 and 1\nstdout:\n%s\nstderr:\n%s", r.code, srv.batches.Load(), r.stdout, r.stderr)
	}
	if strings.Contains(strings.ToLower(r.stderr), "insecure") {
		t.Errorf("a verified connection is called insecure:\n%s", r.stderr)
	}
}

// otherCA writes the certificate of a fresh CA, one that signed nothing.
func otherCA(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "minio-to-fhir other test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	must(t, err)
	path := filepath.Join(t.TempDir(), "other-ca.pem")
	must(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644))
	return path
}

// TestSecretsTLSWrongCA: a CA that did not sign the server's certificate
// does not make it trusted.
func TestSecretsTLSWrongCA(t *testing.T) {
	srv := newTLSFHIR(t)
	r := tlsUpload(t, srv, "--ca-cert", otherCA(t))
	if r.code != cli.ExitFatal || !strings.Contains(r.stderr, "certificate") || srv.batches.Load() != 0 {
		t.Errorf("--ca-cert with another CA: exit %d, %d batches; want 1 with a certificate error and none sent:\n%s", r.code, srv.batches.Load(), r.stderr)
	}
}

// TestSecretsTLSBadCAFile: a CA file that is missing or holds no
// certificate is a usage error that names the file.
func TestSecretsTLSBadCAFile(t *testing.T) {
	srv := newTLSFHIR(t)
	garbage := filepath.Join(t.TempDir(), "garbage.pem")
	must(t, os.WriteFile(garbage, []byte("not a certificate\n"), 0o644))
	for _, f := range []string{filepath.Join(t.TempDir(), "missing.pem"), garbage} {
		r := tlsUpload(t, srv, "--ca-cert", f)
		if r.code != cli.ExitUsage || !strings.Contains(r.stderr, f) || strings.Contains(r.stderr, "flag provided but not defined") {
			t.Errorf("--ca-cert %s: exit %d, want %d with a message naming the file:\n%s", f, r.code, cli.ExitUsage, r.stderr)
		}
	}
}

// TestSecretsTLSInsecureSkipVerify: skipping verification works only with
// its explicit flag, and says so loudly on stderr, also with --json.
func TestSecretsTLSInsecureSkipVerify(t *testing.T) {
	srv := newTLSFHIR(t)
	for _, extra := range [][]string{{"--insecure-skip-verify"}, {"--insecure-skip-verify", "--json"}} {
		r := tlsUpload(t, srv, extra...)
		if r.code != cli.ExitOK {
			t.Errorf("%v: exit %d, want 0\n%s", extra, r.code, r.stderr)
		}
		low := strings.ToLower(r.stderr)
		if !strings.Contains(low, "warning") || !strings.Contains(low, "verif") {
			t.Errorf("%v: no loud warning that certificates are not verified:\n%s", extra, r.stderr)
		}
	}
}
