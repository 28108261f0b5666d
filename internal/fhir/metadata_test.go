package fhir

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
)

const secret = "s3cr3t-pw"

func capability(version string) string {
	return `{"resourceType":"CapabilityStatement","status":"active","fhirVersion":"` + version +
		`","software":{"name":"HAPI FHIR Server","version":"8.8.0"},"rest":[{"mode":"server"}]}`
}

func TestCheckServer(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    ServerInfo
		wantR4  bool
		wantErr error // a sentinel, or errAnyStatus for a *StatusError
	}{
		{
			name:    "R4",
			handler: answer(200, capability("4.0.1"), "Content-Type", "application/fhir+json"),
			want:    ServerInfo{FHIRVersion: "4.0.1", Software: "HAPI FHIR Server 8.8.0", SoftwareName: "HAPI FHIR Server", SoftwareVersion: "8.8.0"},
			wantR4:  true,
		},
		{
			name:    "R5",
			handler: answer(200, capability("5.0.0")),
			want:    ServerInfo{FHIRVersion: "5.0.0", Software: "HAPI FHIR Server 8.8.0", SoftwareName: "HAPI FHIR Server", SoftwareVersion: "8.8.0"},
		},
		{name: "401", handler: answer(401, "", "WWW-Authenticate", `Basic realm="fhir"`), wantErr: ErrUnauthorized},
		{name: "403", handler: answer(403, `{"resourceType":"OperationOutcome"}`), wantErr: ErrUnauthorized},
		{name: "404", handler: answer(404, "<html>Not Found</html>"), wantErr: ErrNotFound},
		{name: "HTML page", handler: answer(200, "<!DOCTYPE html>\n<html><body>Welcome to nginx</body></html>", "Content-Type", "text/html"), wantErr: ErrNotFHIR},
		{name: "JSON that is not a CapabilityStatement", handler: answer(200, `{"resourceType":"Patient","id":"metadata"}`), wantErr: ErrNotFHIR},
		{name: "empty 200", handler: answer(200, ""), wantErr: ErrNotFHIR},
		{name: "500", handler: answer(500, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"db down"}]}`), wantErr: errAnyStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFakeServer(t, tt.handler)
			base := "http://alice:" + secret + "@" + strings.TrimPrefix(srv.URL, "http://") + "/fhir/"
			got, err := newClient(t, Config{BaseURL: base}).CheckServer(context.Background())

			req := srv.only(t)
			if req.Method != "GET" || req.Path != "/fhir/metadata" {
				t.Errorf("request: got %s %s, want GET /fhir/metadata", req.Method, req.Path)
			}
			if u, p, ok := (&http.Request{Header: req.Header}).BasicAuth(); !ok || u != "alice" || p != secret {
				t.Errorf("basic auth: got %q, %q, %v; want alice, the password, true", u, p, ok)
			}
			switch {
			case tt.wantErr == errAnyStatus:
				var se *StatusError
				if !errors.As(err, &se) {
					t.Fatalf("got %T %v, want a *StatusError", err, err)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("got %v, want an error wrapping %v", err, tt.wantErr)
				}
			case err != nil:
				t.Fatalf("got %v, want no error", err)
			}
			if err != nil {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q shows the password", err)
				}
				return
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.IsR4() != tt.wantR4 {
				t.Errorf("IsR4() = %v, want %v", got.IsR4(), tt.wantR4)
			}
		})
	}
}

var errAnyStatus = errors.New("any *StatusError")

func TestCheckServerUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more

	base := "http://alice:" + secret + "@" + addr + "/fhir"
	_, err = newClient(t, Config{BaseURL: base}).CheckServer(context.Background())
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("got %v, want an error wrapping %v", err, ErrUnreachable)
	}
	if strings.Contains(err.Error(), secret) {
		t.Errorf("error %q shows the password", err)
	}
	if !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not say the connection was refused", err)
	}
}

func TestCheckServerCanceled(t *testing.T) {
	srv := newFakeServer(t, answer(200, capability("4.0.1")))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := newClient(t, Config{BaseURL: srv.URL}).CheckServer(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want %v", err, context.Canceled)
	}
	if errors.Is(err, ErrUnreachable) {
		t.Errorf("a cancelled check says %v", err)
	}
}

func TestIsR4(t *testing.T) {
	tests := []struct {
		version string
		want    bool
	}{
		{"4.0.1", true},
		{"4.0.0", true},
		{"4.3.0", false},
		{"5.0.0", false},
		{"3.0.2", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			if got := (ServerInfo{FHIRVersion: tt.version}).IsR4(); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
