package fhir

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestSearchIDs(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if got := r.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control: got %q, want no-cache", got)
		}
		if r.URL.Query().Get("_getpages") == "p2" {
			seen = append(seen, "page2")
			// The second page: one resource, an outcome entry to skip.
			w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[` +
				`{"resource":{"resourceType":"Patient","id":"c"},"search":{"mode":"match"}},` +
				`{"resource":{"resourceType":"OperationOutcome"},"search":{"mode":"outcome"}}]}`))
			return
		}
		if r.Method != "POST" || r.URL.Path != "/fhir/Patient/_search" {
			t.Errorf("got %s %s, want POST /fhir/Patient/_search", r.Method, r.URL.Path)
		}
		if err := r.ParseForm(); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, r.PostForm.Get("_id")+" count="+r.PostForm.Get("_count"))
		// The next link names another host: a proxy's view of the server.
		w.Write([]byte(`{"resourceType":"Bundle","id":"x","meta":{"lastUpdated":"2026-01-01T00:00:00Z"},"type":"searchset","total":3,` +
			`"link":[{"relation":"self","url":"http://elsewhere.example/fhir/Patient"},{"relation":"next","url":"http://elsewhere.example/fhir?_getpages=p2&_getpagesoffset=2"}],` +
			`"entry":[{"fullUrl":"x","resource":{"resourceType":"Patient","id":"a","meta":{"versionId":"1"}},"search":{"mode":"match"}},` +
			`{"resource":{"resourceType":"Patient","id":"b"},"search":{"mode":"match"}},` +
			`{"resource":{"resourceType":"Organization","id":"inc"},"search":{"mode":"include"}}]}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL + "/fhir"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	err = c.SearchIDs(context.Background(), "Patient", []string{"a", "b", "c"}, func(raw json.RawMessage) error {
		var m struct{ ID string }
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		ids = append(ids, m.ID)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ids, ","), "a,b,c"; got != want {
		t.Errorf("got resources %s, want %s", got, want)
	}
	if got, want := strings.Join(seen, "; "), "a,b,c count=3; page2"; got != want {
		t.Errorf("got requests %q, want %q", got, want)
	}
}

func TestSearchIDsErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		fnErr     error
		retryable bool
		wantErr   func(error) bool
	}{
		{name: "server error", status: 500, body: `{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"boom"}]}`, retryable: true,
			wantErr: func(err error) bool { var se *StatusError; return errors.As(err, &se) && se.Code == 500 }},
		{name: "unknown type", status: 404, body: `{}`,
			wantErr: func(err error) bool { var se *StatusError; return errors.As(err, &se) && se.Code == 404 }},
		{name: "cut answer", status: 200, body: `{"resourceType":"Bundle","entry":[{"resource":{"id":"a"}}`, retryable: true,
			wantErr: func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{name: "not a bundle", status: 200, body: `{"resourceType":"Patient","id":"a"}`, retryable: true,
			wantErr: func(err error) bool { return errors.Is(err, ErrBadResponse) }},
		{name: "the caller's error is the caller's", status: 200, body: `{"resourceType":"Bundle","entry":[{"resource":{"id":"a"}}]}`, fnErr: errors.New("mine"),
			wantErr: func(err error) bool { return err.Error() == "mine" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, _ := New(Config{BaseURL: srv.URL})
			err := c.SearchIDs(context.Background(), "Patient", []string{"a"}, func(json.RawMessage) error { return tt.fnErr })
			if err == nil || !tt.wantErr(err) {
				t.Fatalf("got error %v, want the %s kind", err, tt.name)
			}
			var r interface{ Retryable() bool }
			if got := errors.As(err, &r) && r.Retryable(); got != tt.retryable {
				t.Errorf("got retryable %v, want %v (%v)", got, tt.retryable, err)
			}
		})
	}
}

func TestCountType(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/Patient" || r.URL.RawQuery != "_summary=count" {
			t.Errorf("got %s?%s, want /Patient?_summary=count", r.URL.Path, r.URL.RawQuery)
		}
		w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","total":42}`))
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL})
	n, err := c.CountType(context.Background(), "Patient")
	if err != nil || n != 42 {
		t.Errorf("got %d, %v; want 42, nil", n, err)
	}
}

func TestResolve(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/Practitioner" || q.Get("identifier") != "http://hl7.org/fhir/sid/us-npi|999" || q.Get("_count") != "2" || q.Get("_elements") != "id" {
			t.Errorf("got %s?%s", r.URL.Path, r.URL.RawQuery)
		}
		w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Practitioner","id":"p1"},"search":{"mode":"match"}}]}`))
	}))
	defer srv.Close()
	c, _ := New(Config{BaseURL: srv.URL})
	ids, err := c.Resolve(context.Background(), "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|999")
	if err != nil || len(ids) != 1 || ids[0] != "p1" {
		t.Errorf("got %v, %v; want [p1], nil", ids, err)
	}
	if _, err := c.Resolve(context.Background(), "Practitioner"); err == nil {
		t.Error("got no error for a reference without a query")
	}
}
