package fhir

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// Existing returns which of the given ids of type typ are on the server,
// asking in searches of at most 50 ids (a server's usual page size).
func (c *Client) Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error) {
	found := map[string]bool{}
	for start := 0; start < len(ids); start += 50 {
		chunk := ids[start:min(start+50, len(ids))]
		form := url.Values{"_id": {strings.Join(chunk, ",")}, "_elements": {"id"}, "_count": {"50"}}
		req, err := c.newRequest(ctx, "POST", typ+"/_search", []byte(form.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cache-Control", "no-cache") // not HAPI's cached answer of a minute ago
		resp, err := c.http.Do(req)
		if err != nil {
			return nil, &NetError{Err: err}
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		if err != nil {
			return nil, &NetError{Err: err}
		}
		if resp.StatusCode >= 300 {
			return nil, fmt.Errorf("search %s: %w", typ, statusError(resp, body))
		}
		var b struct {
			Entry []struct {
				Resource struct {
					ID string `json:"id"`
				} `json:"resource"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(body, &b); err != nil {
			return nil, &BadResponseError{Reason: "search result: " + err.Error()}
		}
		for _, e := range b.Entry {
			found[e.Resource.ID] = true
		}
	}
	return found, nil
}
