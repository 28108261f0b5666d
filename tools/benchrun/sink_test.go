package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

func TestScanBundle(t *testing.T) {
	cases := []struct {
		name    string
		kind    fhir.Kind
		entries []string
	}{
		{"batch", fhir.Batch, []string{`{"resourceType":"Patient","id":"p1","name":[{"text":"url \"x\" {"}]}`, `{"resourceType":"Observation","id":"o1","request":{"url":"nope"},"entry":[{}]}`}},
		{"transaction", fhir.Transaction, []string{`{"resourceType":"Patient","id":"p2"}`}},
		{"empty", fhir.Batch, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := fhir.NewBuilder(c.kind)
			var want []string
			for i, e := range c.entries {
				typ, id := "Patient", "p"+string(rune('a'+i))
				b.Add(typ, id, []byte(e))
				want = append(want, typ+"/"+id)
			}
			var got []string
			kind, n, err := scanBundle(b.Bytes(), func(u []byte) { got = append(got, string(u)) })
			if err != nil {
				t.Fatal(err)
			}
			if kind != string(c.kind) || n != len(c.entries) {
				t.Errorf("got %s with %d entries, want %s with %d", kind, n, c.kind, len(c.entries))
			}
			if len(got) != len(want) {
				t.Fatalf("got urls %q, want %q", got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("url %d: got %q, want %q", i, got[i], want[i])
				}
			}
		})
	}
}

// TestSinkAnswersTheClient runs the real client against the sink, plain
// and gzipped.
func TestSinkAnswersTheClient(t *testing.T) {
	s, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	for _, gz := range []bool{false, true} {
		c, err := fhir.New(fhir.Config{BaseURL: s.URL(), GzipRequests: gz})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		info, err := c.CheckServer(ctx)
		if err != nil || !info.IsR4() {
			t.Fatalf("check server: %+v, %v", info, err)
		}
		b := fhir.NewBuilder(fhir.Transaction)
		for range 3 {
			b.Add("Patient", "p1", []byte(`{"resourceType":"Patient","id":"p1"}`))
		}
		res, err := c.Post(ctx, b.Bytes(), 3)
		if err != nil {
			t.Fatalf("gzip %v: post: %v", gz, err)
		}
		for i, r := range res {
			if r.Result != fhir.Created {
				t.Errorf("gzip %v: entry %d: got %v, want created", gz, i, r.Result)
			}
		}
		found, err := c.Existing(ctx, "Patient", []string{"a", "b"})
		if err != nil || len(found) != 0 {
			t.Errorf("existing: got %v, %v, want none", found, err)
		}
	}
	if bundles, entries, conns := s.reset(); bundles != 2 || entries != 6 || conns < 1 {
		t.Errorf("got %d bundles, %d entries, %d connections, want 2, 6, at least 1", bundles, entries, conns)
	}
}

func TestSinkRejectsGarbage(t *testing.T) {
	s, err := startSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.stop()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(`[1,2]`)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.URL(), &buf)
	req.Header.Set("Content-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("got HTTP %d, want 400", resp.StatusCode)
	}
}
