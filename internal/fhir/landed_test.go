package fhir

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestVersions(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || r.URL.Path != "/Provenance/_search" {
			t.Errorf("%s %s", r.Method, r.URL.Path)
		}
		if r.Header.Get("Cache-Control") != "no-cache" {
			t.Errorf("Cache-Control %q, want no-cache (HAPI caches searches)", r.Header.Get("Cache-Control"))
		}
		if err := r.ParseForm(); err != nil {
			t.Error(err)
		}
		asked = append(asked, r.PostForm.Get("_id"))
		if r.PostForm.Get("_elements") != "id" {
			t.Errorf("_elements=%q, want id", r.PostForm.Get("_elements"))
		}
		w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","meta":{"lastUpdated":"2026-12-01T11:34:34.115+00:00"},"entry":[` +
			`{"resource":{"resourceType":"Provenance","id":"a","meta":{"versionId":"1","lastUpdated":"2026-12-01T11:33:08.722+00:00"}}},` +
			`{"resource":{"resourceType":"Provenance","id":"b","meta":{"versionId":"3","lastUpdated":"2026-12-01T11:30:00Z"}}}]}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, 60)
	for i := range ids {
		ids[i] = "x"
	}
	ids[0], ids[1] = "a", "b"
	got, now, err := c.Versions(context.Background(), "Provenance", ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(asked) != 2 || strings.Count(asked[0], ",") != 49 {
		t.Errorf("asked %d searches (%d ids in the first), want 2 of at most 50", len(asked), strings.Count(asked[0], ",")+1)
	}
	want := time.Date(2026, 12, 1, 11, 34, 34, 115e6, time.UTC)
	if !now.Equal(want) {
		t.Errorf("server time %v, want %v", now, want)
	}
	if got["a"].ID != "1" || got["b"].ID != "3" || !got["a"].LastUpdated.Equal(time.Date(2026, 12, 1, 11, 33, 8, 722e6, time.UTC)) || len(got) != 2 {
		t.Errorf("got %+v", got)
	}
}

// TestPostWithTimeout: a request's own timeout replaces the client's, in
// both directions.
func TestPostWithTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(300 * time.Millisecond)
		w.Write([]byte(`{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201 Created"}}]}`))
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Timeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"resourceType":"Bundle","type":"batch","entry":[{}]}`)
	if _, err := c.Post(context.Background(), body, 1); err == nil {
		t.Error("the client's timeout did not apply")
	}
	if _, err := c.Post(WithTimeout(context.Background(), 2*time.Second), body, 1); err != nil {
		t.Errorf("with a longer request timeout: %v", err)
	}
	_, err = c.Post(WithTimeout(context.Background(), 50*time.Millisecond), body, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("with a shorter request timeout: got %v, want a deadline error", err)
	}
}
