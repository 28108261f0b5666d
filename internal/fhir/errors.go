package fhir

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors of the server check. Test with errors.Is.
var (
	ErrUnreachable  = errors.New("server unreachable")
	ErrUnauthorized = errors.New("not authorized")
	ErrNotFound     = errors.New("no FHIR server at this base URL")
	ErrNotFHIR      = errors.New("not a FHIR server")
)

// StatusError is a request that the server answered with an HTTP error.
type StatusError struct {
	Code       int
	Outcome    *Outcome      // the OperationOutcome of the body, if any
	Snippet    string        // the start of a non-FHIR body
	RetryAfter time.Duration // from the Retry-After header, 0 if none
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("HTTP %d %s", e.Code, http.StatusText(e.Code))
	switch {
	case e.Outcome != nil && e.Outcome.String() != "":
		msg += ": " + e.Outcome.String()
	case e.Snippet != "":
		msg += ": " + e.Snippet
	}
	return msg
}

// Retryable reports whether sending the same request again may succeed:
// 408, 429 and 5xx, and a conflict with a concurrent write (409, or
// Conflict's words: a transaction that lost a race on a cluster).
func (e *StatusError) Retryable() bool {
	switch e.Code {
	case 408, 409, 429, 500, 502, 503, 504:
		return true
	}
	return e.Outcome != nil && Conflict(e.Outcome.String())
}

// Wait returns how long the server asked to wait (Retry-After).
func (e *StatusError) Wait() time.Duration { return e.RetryAfter }

// Outcome is the part of an OperationOutcome a person needs.
type Outcome struct {
	Issues []Issue `json:"issue"`
}

// Issue is one OperationOutcome issue.
type Issue struct {
	Severity    string `json:"severity"`
	Code        string `json:"code"`
	Diagnostics string `json:"diagnostics"`
	Details     struct {
		Text   string `json:"text"`
		Coding []struct {
			Code string `json:"code"`
		} `json:"coding"`
	} `json:"details"`
}

// String joins the error and warning diagnostics of the outcome, or all
// of them when there are no errors.
func (o *Outcome) String() string {
	if o == nil {
		return ""
	}
	var errs, all []string
	for _, is := range o.Issues {
		text := is.Diagnostics
		if text == "" {
			text = is.Details.Text
		}
		if text == "" {
			text = is.Code
		}
		if text == "" {
			continue
		}
		all = append(all, text)
		if is.Severity == "error" || is.Severity == "fatal" {
			errs = append(errs, text)
		}
	}
	if len(errs) > 0 {
		return strings.Join(errs, "; ")
	}
	return strings.Join(all, "; ")
}

// statusError reads an error response body.
func statusError(resp *http.Response, body []byte) *StatusError {
	e := &StatusError{Code: resp.StatusCode, RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())}
	var probe struct {
		ResourceType string `json:"resourceType"`
		Outcome
	}
	if json.Unmarshal(body, &probe) == nil && probe.ResourceType == "OperationOutcome" {
		e.Outcome = &probe.Outcome
		return e
	}
	e.Snippet = snippet(body)
	return e
}

// parseRetryAfter reads seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// snippet gives the first line of a body, short, for a message.
func snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	// An HTML error page (a proxy's) says what it is in its title, e.g.
	// nginx's "400 No required SSL certificate was sent".
	if lower := strings.ToLower(s); strings.HasPrefix(lower, "<") {
		if i := strings.Index(lower, "<title>"); i >= 0 {
			if j := strings.Index(lower[i:], "</title>"); j > len("<title>") {
				s = strings.TrimSpace(s[i+len("<title>") : i+j])
			}
		}
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
