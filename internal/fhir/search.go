package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxSearchPages bounds the pages one search follows: an _id search of n
// ids needs one page when the server honours _count, a few when it caps it.
const maxSearchPages = 1000

// SearchIDs asks the server for the resources of type typ with the given
// ids (POST [base]/typ/_search with _id=a,b,c and _count=len(ids), the
// form of GET typ?_id=a,b,c that no URL length limit cuts) and calls fn
// with each matching resource's JSON, decoded from the answer one entry
// at a time. It follows the searchset's next links. Cache-Control:
// no-cache keeps HAPI from answering from its cache of recent searches.
// An HTTP error is a *StatusError, a network error a *NetError.
func (c *Client) SearchIDs(ctx context.Context, typ string, ids []string, fn func(resource json.RawMessage) error) error {
	form := url.Values{"_id": {strings.Join(ids, ",")}, "_count": {strconv.Itoa(max(1, len(ids)))}}
	req, err := c.newRequest(ctx, "POST", typ+"/_search", []byte(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for page := 0; page < maxSearchPages; page++ {
		next, err := c.searchPage(req, fn)
		if err != nil || next == "" {
			return err
		}
		if req, err = c.pageRequest(ctx, next); err != nil {
			return err
		}
	}
	return &BadResponseError{Reason: fmt.Sprintf("search of %d %s ids has more than %d pages", len(ids), typ, maxSearchPages)}
}

// CountType returns the number of resources of type typ on the server
// (GET [base]/typ?_summary=count).
func (c *Client) CountType(ctx context.Context, typ string) (int, error) {
	req, err := c.newRequest(ctx, "GET", typ, nil)
	if err != nil {
		return 0, err
	}
	req.URL.RawQuery = "_summary=count"
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.http.Do(req)
	if err != nil {
		if cerr := credentialErr(err); cerr != nil {
			return 0, cerr
		}
		return 0, &NetError{Err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		if cerr := credentialErr(err); cerr != nil {
			return 0, cerr
		}
		return 0, &NetError{Err: err}
	}
	if resp.StatusCode >= 300 {
		return 0, fmt.Errorf("count %s: %w", typ, statusError(resp, body))
	}
	var b struct {
		Total *int `json:"total"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Total == nil {
		return 0, &BadResponseError{Reason: "count of " + typ + ": no total in the answer"}
	}
	return *b.Total, nil
}

// pageRequest builds the request of a next link. The link is the server's
// own, but a server behind a proxy may name itself by another host: the
// request goes to the configured base's scheme and host whatever the link
// says, so credentials never leave for another host.
func (c *Client) pageRequest(ctx context.Context, next string) (*http.Request, error) {
	u, err := url.Parse(next)
	if err != nil {
		return nil, &BadResponseError{Reason: "next link is not a URL"}
	}
	u.Scheme, u.Host, u.User = c.base.Scheme, c.base.Host, nil
	req, err := http.NewRequestWithContext(ctx, "GET", u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/fhir+json")
	req.Header.Set("User-Agent", c.cfg.UserAgent)
	if c.cfg.Auth != nil {
		c.cfg.Auth.apply(req)
	}
	return req, nil
}

// searchPage sends one search request and streams its entries to fn; it
// returns the next link, if any.
func (c *Client) searchPage(req *http.Request, fn func(json.RawMessage) error) (string, error) {
	req.Header.Set("Cache-Control", "no-cache")
	resp, err := c.http.Do(req)
	if err != nil {
		if cerr := credentialErr(err); cerr != nil {
			return "", cerr
		}
		return "", &NetError{Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		return "", fmt.Errorf("search: %w", statusError(resp, body))
	}
	next, err := decodeSearchset(resp.Body, fn)
	if err != nil {
		var fnErr *callbackError
		if errors.As(err, &fnErr) {
			return "", fnErr.err
		}
		// A cut connection shows as a decoding error: worth a retry.
		return "", &BadResponseError{Reason: "search result: " + err.Error()}
	}
	return next, nil
}

// callbackError carries an error of the caller's function through the
// decoder, so it is not taken for a bad answer.
type callbackError struct{ err error }

func (e *callbackError) Error() string { return e.err.Error() }

// decodeSearchset reads a searchset Bundle member by member: entries go to
// fn one at a time (search.mode "include" and "outcome" entries are
// skipped), so memory holds one resource, not the page.
func decodeSearchset(r io.Reader, fn func(json.RawMessage) error) (string, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return "", err
	}
	next, resourceType := "", ""
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", err
		}
		key, _ := tok.(string)
		switch key {
		case "resourceType":
			if err := dec.Decode(&resourceType); err != nil {
				return "", err
			}
			if resourceType != "Bundle" {
				return "", fmt.Errorf("a %s, not a Bundle", resourceType)
			}
		case "link":
			var links []struct{ Relation, URL string }
			if err := dec.Decode(&links); err != nil {
				return "", err
			}
			for _, l := range links {
				if l.Relation == "next" {
					next = l.URL
				}
			}
		case "entry":
			if err := decodeEntries(dec, fn); err != nil {
				return "", err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", err
	}
	if resourceType != "Bundle" {
		return "", errors.New("no resourceType Bundle")
	}
	return next, nil
}

func decodeEntries(dec *json.Decoder, fn func(json.RawMessage) error) error {
	if err := expectDelim(dec, '['); err != nil {
		return err
	}
	for dec.More() {
		var e struct {
			Resource json.RawMessage `json:"resource"`
			Search   struct {
				Mode string `json:"mode"`
			} `json:"search"`
		}
		if err := dec.Decode(&e); err != nil {
			return err
		}
		if len(e.Resource) == 0 || e.Search.Mode == "include" || e.Search.Mode == "outcome" {
			continue
		}
		if err := fn(e.Resource); err != nil {
			return &callbackError{err: err}
		}
	}
	_, err := dec.Token()
	return err
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// Resolve returns the ids of the resources a conditional reference
// (Type?query) matches now, at most two (enough to tell one from many):
// GET [base]/Type?query&_elements=id&_count=2.
func (c *Client) Resolve(ctx context.Context, conditional string) ([]string, error) {
	typ, query, ok := strings.Cut(conditional, "?")
	if !ok || typ == "" {
		return nil, fmt.Errorf("%q is not a conditional reference", conditional)
	}
	vals, err := url.ParseQuery(query)
	if err != nil {
		return nil, fmt.Errorf("conditional reference %q: %w", conditional, err)
	}
	vals.Set("_elements", "id")
	vals.Set("_count", "2")
	req, err := c.newRequest(ctx, "GET", typ, nil)
	if err != nil {
		return nil, err
	}
	req.URL.RawQuery = vals.Encode()
	var ids []string
	_, err = c.searchPage(req, func(raw json.RawMessage) error {
		var r struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &r); err != nil {
			return &BadResponseError{Reason: "search result: " + err.Error()}
		}
		ids = append(ids, r.ID)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", conditional, err)
	}
	return ids, nil
}
