package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Version is what the server holds of one resource: its meta.versionId
// and meta.lastUpdated.
type Version struct {
	ID          string
	LastUpdated time.Time
}

// Versions returns the version of each of the given ids of type typ that
// is on the server (ids not on it are absent), and the server's clock at
// the time of the answer (the search Bundle's meta.lastUpdated; zero when
// the server gives none). It asks in searches of at most 50 ids, with
// _elements=id (_summary=true for Bundles), so that a huge resource costs
// the answer a few bytes.
func (c *Client) Versions(ctx context.Context, typ string, ids []string) (map[string]Version, time.Time, error) {
	found := map[string]Version{}
	var now time.Time
	for start := 0; start < len(ids); start += 50 {
		chunk := ids[start:min(start+50, len(ids))]
		form := url.Values{"_id": {strings.Join(chunk, ",")}, "_elements": {"id"}, "_count": {"50"}}
		if typ == "Bundle" {
			// HAPI applies _elements to the searchset Bundle too, which
			// then loses its entries; _summary keeps them (without theirs).
			form.Del("_elements")
			form.Set("_summary", "true")
		}
		req, err := c.newRequest(ctx, "POST", typ+"/_search", []byte(form.Encode()))
		if err != nil {
			return nil, now, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// HAPI answers a search it saw in the last minute from its cache
		// (the same Bundle, the same lastUpdated): a poll would never see
		// a resource land.
		req.Header.Set("Cache-Control", "no-cache")
		resp, err := c.http.Do(req)
		if err != nil {
			if cerr := credentialErr(err); cerr != nil {
				return nil, now, cerr
			}
			return nil, now, &NetError{Err: err}
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			if cerr := credentialErr(err); cerr != nil {
				return nil, now, cerr
			}
			return nil, now, &NetError{Err: err}
		}
		if resp.StatusCode >= 300 {
			return nil, now, fmt.Errorf("search %s: %w", typ, statusError(resp, body))
		}
		var b struct {
			Meta  meta `json:"meta"`
			Entry []struct {
				Resource struct {
					ID   string `json:"id"`
					Meta meta   `json:"meta"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, now, &BadResponseError{Reason: "search result: " + err.Error()}
		}
		if t, err := time.Parse(time.RFC3339Nano, b.Meta.LastUpdated); err == nil && t.After(now) {
			now = t
		}
		for _, e := range b.Entry {
			lu, _ := time.Parse(time.RFC3339Nano, e.Resource.Meta.LastUpdated)
			found[e.Resource.ID] = Version{ID: e.Resource.Meta.VersionID, LastUpdated: lu}
		}
	}
	return found, now, nil
}

type meta struct {
	VersionID   string `json:"versionId"`
	LastUpdated string `json:"lastUpdated"`
}

// timeoutKey carries a per-request timeout in a context.
type timeoutKey struct{}

// WithTimeout asks Post to wait up to d for the answer to a request made
// with the returned context, instead of the client's Timeout: a Bundle of
// huge resources may need longer, a small one less.
func WithTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, timeoutKey{}, d)
}

// requestTimeout returns the timeout WithTimeout put in ctx.
func requestTimeout(ctx context.Context) (time.Duration, bool) {
	d, ok := ctx.Value(timeoutKey{}).(time.Duration)
	return d, ok && d > 0
}
