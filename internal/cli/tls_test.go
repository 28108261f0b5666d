package cli

import (
	"bytes"
	"context"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUploadTLS: HTTPS is verified by default; --ca-cert trusts a private
// CA; --insecure-skip-verify works only when asked, and warns loudly.
func TestUploadTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/fhir+json")
		w.Write([]byte(`{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	tests := []struct {
		name      string
		flags     []string
		wantCode  int
		wantInErr string
	}{
		{"verified by default", nil, ExitFatal, "--ca-cert"},
		{"private CA", []string{"--ca-cert", ca}, ExitFatal, "no NDJSON files"},
		{"skip verification", []string{"--insecure-skip-verify"}, ExitFatal, "NOT checked"},
		{"CA file missing", []string{"--ca-cert", filepath.Join(dir, "nope.pem")}, ExitUsage, "--ca-cert"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"upload", "-i", empty, "--fhir-url", srv.URL + "/fhir", "--checkpoint-dir", t.TempDir()}, tc.flags...)
			code := RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Lookup: func(string) (string, bool) { return "", false }})
			if code != tc.wantCode || !strings.Contains(errb.String(), tc.wantInErr) {
				t.Errorf("exit %d, want %d with %q in:\n%s", code, tc.wantCode, tc.wantInErr, errb.String())
			}
		})
	}
}
