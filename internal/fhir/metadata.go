package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
)

// ServerInfo is what the CapabilityStatement says of the server.
type ServerInfo struct {
	FHIRVersion string // e.g. 4.0.1
	Software    string // e.g. "HAPI FHIR Server 8.8.0"
	// SoftwareName and SoftwareVersion are software.name and .version,
	// e.g. "HAPI FHIR Server" and "8.8.0".
	SoftwareName, SoftwareVersion string
}

// IsR4 reports whether the server speaks FHIR R4 (4.0.x).
func (s ServerInfo) IsR4() bool { return strings.HasPrefix(s.FHIRVersion, "4.0") }

// CheckServer asks GET [base]/metadata and returns what the server is, or
// an error wrapping ErrUnreachable, ErrUnauthorized, ErrNotFound or
// ErrNotFHIR that says what went wrong.
func (c *Client) CheckServer(ctx context.Context) (ServerInfo, error) {
	req, err := c.newRequest(ctx, "GET", "metadata", nil)
	if err != nil {
		return ServerInfo{}, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ServerInfo{}, ctx.Err()
		}
		if cerr := credentialErr(err); cerr != nil {
			return ServerInfo{}, cerr
		}
		return ServerInfo{}, &unreachableError{base: c.BaseURL(), err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return ServerInfo{}, &unreachableError{base: c.BaseURL(), err: err, reading: true}
	}
	switch {
	case resp.StatusCode == 401 || resp.StatusCode == 403:
		return ServerInfo{}, fmt.Errorf("%w: %s answered HTTP %d", ErrUnauthorized, c.BaseURL(), resp.StatusCode)
	case resp.StatusCode == 404:
		return ServerInfo{}, fmt.Errorf("%w: %s/metadata answered HTTP 404", ErrNotFound, c.BaseURL())
	case resp.StatusCode >= 300:
		return ServerInfo{}, fmt.Errorf("check %s/metadata: %w", c.BaseURL(), statusError(resp, body))
	}
	var cs struct {
		ResourceType string `json:"resourceType"`
		FHIRVersion  string `json:"fhirVersion"`
		Software     struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"software"`
	}
	if err := json.Unmarshal(body, &cs); err != nil || cs.ResourceType != "CapabilityStatement" {
		what := "a page that is not FHIR JSON"
		if err == nil && cs.ResourceType != "" {
			what = "a " + cs.ResourceType + " instead of a CapabilityStatement"
		} else if s := snippet(body); s != "" {
			what += " (" + s + ")"
		}
		return ServerInfo{}, fmt.Errorf("%w: %s/metadata answered %s", ErrNotFHIR, c.BaseURL(), what)
	}
	return ServerInfo{
		FHIRVersion:  cs.FHIRVersion,
		Software:     strings.TrimSpace(cs.Software.Name + " " + cs.Software.Version),
		SoftwareName: strings.TrimSpace(cs.Software.Name), SoftwareVersion: strings.TrimSpace(cs.Software.Version),
	}, nil
}

// netReason says why a request did not get an answer, in a few words and
// without the URL (callers name the server).
func netReason(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "host " + dns.Name + " not found"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err.Error()
	}
	msg := err.Error()
	// *url.Error repeats the method and URL: keep what follows them.
	if i := strings.LastIndex(msg, "\": "); i >= 0 {
		msg = msg[i+3:]
	}
	return msg
}

// unreachableError is a server check that got no answer. It is
// ErrUnreachable, and keeps the cause (a TLS error, say) for errors.As;
// its text names the server and the reason, without the URL's password.
type unreachableError struct {
	base    string
	err     error
	reading bool
}

func (e *unreachableError) Error() string {
	what := ""
	if e.reading {
		what = "reading the answer: "
	}
	return fmt.Sprintf("%v: %s: %s%s", ErrUnreachable, e.base, what, netReason(e.err))
}

func (e *unreachableError) Unwrap() []error { return []error{ErrUnreachable, e.err} }
