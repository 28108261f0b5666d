package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// Result is the outcome of one entry of a batch.
type Result int

// Entry results.
const (
	Created   Result = iota // 201
	Updated                 // 200, the content changed
	Unchanged               // 200, the same content was there already
	Failed                  // any other status
)

func (r Result) String() string {
	return [...]string{"created", "updated", "unchanged", "failed"}[r]
}

// EntryResult is what the server said of one entry.
type EntryResult struct {
	Result  Result
	Status  int    // HTTP status of the entry, e.g. 201
	Outcome string // diagnostics, for a failed entry
}

// ErrBadResponse is a batch-response that does not answer the request
// (not a Bundle, or a different number of entries). Sending again may help.
var ErrBadResponse = errors.New("malformed batch response")

// BadResponseError wraps ErrBadResponse with details.
type BadResponseError struct{ Reason string }

func (e *BadResponseError) Error() string { return ErrBadResponse.Error() + ": " + e.Reason }

// Is makes errors.Is(err, ErrBadResponse) true.
func (e *BadResponseError) Is(target error) bool { return target == ErrBadResponse }

// Retryable reports true: a half-written or garbled answer is worth one
// more try.
func (e *BadResponseError) Retryable() bool { return true }

// Post sends a Bundle built by a Builder of n entries to [base] and returns
// one result per entry, in order. An HTTP error answer is a *StatusError;
// a transport failure is returned as it is (wrapped).
func (c *Client) Post(ctx context.Context, body []byte, n int) ([]EntryResult, error) {
	hc := c.http
	if d, ok := requestTimeout(ctx); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
		hc = c.untimed
	}
	payload := body
	if c.cfg.GzipRequests {
		z, err := gzipBody(body)
		if err != nil {
			return nil, fmt.Errorf("compress bundle: %w", err)
		}
		payload = z
	}
	req, err := c.newRequest(ctx, "POST", "", payload)
	if err != nil {
		return nil, err
	}
	if c.cfg.GzipRequests {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if c.txFirst.Load() {
		req.Header.Set(TxSemanticsHeader, TxSemanticsValue)
	}
	for k, vs := range c.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if cerr := credentialErr(err); cerr != nil {
			return nil, cerr
		}
		return nil, &NetError{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		b, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if rerr != nil {
			return nil, &NetError{Err: rerr}
		}
		return nil, statusError(resp, b)
	}
	results, err := ParseResponse(resp.Body, n)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return results, nil
}

// NetError is a request that got no (complete) answer: refused, reset,
// timed out. It is worth retrying.
type NetError struct{ Err error }

func (e *NetError) Error() string { return netReason(e.Err) }
func (e *NetError) Unwrap() error { return e.Err }

// Retryable reports true: a network error is worth another try.
func (e *NetError) Retryable() bool { return true }

// ParseResponse reads a batch-response or transaction-response Bundle and
// returns its n entry results in order.
func ParseResponse(r io.Reader, n int) ([]EntryResult, error) {
	buf := responseBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledResponse {
			buf.Reset()
			responseBufs.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(r, maxResponse)); err != nil {
		return nil, &NetError{Err: fmt.Errorf("reading the batch response: %w", err)}
	}
	body := buf.Bytes() // the results copy what they keep
	if out, ok := scanResponse(body, n); ok {
		return out, nil
	}
	// The quick scan did not make sense of it: decode it properly, for a
	// precise error (or an answer laid out in a way the scan does not
	// expect).
	return decodeResponse(body, n)
}

// maxResponse bounds the answer to one Bundle.
const maxResponse = 1 << 30

// responseBufs keeps the buffers answers are read into: one answer per
// batch, often as large as the batch, would otherwise be a new buffer
// grown step by step each time. Buffers above maxPooledResponse (a rare
// huge answer) are left to the collector.
var responseBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

const maxPooledResponse = 16 << 20

// decodeResponse is ParseResponse with encoding/json.
func decodeResponse(body []byte, n int) ([]EntryResult, error) {
	var b struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
		Entry        []struct {
			Response *struct {
				Status  string          `json:"status"`
				Outcome json.RawMessage `json:"outcome"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return nil, &NetError{Err: fmt.Errorf("reading the batch response: %w", err)}
	}
	if b.ResourceType != "Bundle" {
		return nil, &BadResponseError{Reason: fmt.Sprintf("got a %q, not a Bundle", b.ResourceType)}
	}
	if len(b.Entry) != n {
		return nil, &BadResponseError{Reason: fmt.Sprintf("%d entries for %d sent", len(b.Entry), n)}
	}
	out := make([]EntryResult, n)
	for i, e := range b.Entry {
		if e.Response == nil {
			return nil, &BadResponseError{Reason: fmt.Sprintf("entry %d has no response", i+1)}
		}
		out[i] = entryResult(e.Response.Status, e.Response.Outcome)
	}
	return out, nil
}

// hapiNoChange is the code HAPI puts in an entry's outcome when a PUT found
// the same content already stored.
const hapiNoChange = "SUCCESSFUL_UPDATE_NO_CHANGE"

func entryResult(status string, rawOutcome json.RawMessage) EntryResult {
	code := 0
	// The first word, as strings.Fields would split it, without its slice.
	first := strings.TrimLeftFunc(status, unicode.IsSpace)
	if i := strings.IndexFunc(first, unicode.IsSpace); i >= 0 {
		first = first[:i]
	}
	if first != "" {
		code, _ = strconv.Atoi(first) // "201 Created"
	}
	er := EntryResult{Status: code}
	switch {
	case code == 201:
		er.Result = Created
	case code == 200 && bytes.Contains(rawOutcome, []byte(hapiNoChange)):
		// A plain search, not a decode: this runs for every entry.
		er.Result = Unchanged
	case code >= 200 && code < 300:
		er.Result = Updated
	default:
		er.Result = Failed
		if len(rawOutcome) > 0 {
			oc := new(Outcome)
			if json.Unmarshal(rawOutcome, oc) == nil {
				er.Outcome = oc.String()
			}
		}
		if er.Outcome == "" {
			er.Outcome = strings.TrimSpace(status)
		}
	}
	return er
}
