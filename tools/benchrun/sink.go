package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// sink is a minimal FHIR server: it answers the metadata check, empty
// searches, and every batch or transaction with one "201 Created" entry
// per request entry, at once, in the words HAPI FHIR uses (location,
// etag, lastModified and an OperationOutcome per entry), so that the
// client parses answers of the real size. It stands in for the server when we
// measure what the client itself costs.
type sink struct {
	srv     *http.Server
	ln      net.Listener
	bundles atomic.Int64
	entries atomic.Int64
	conns   atomic.Int64 // TCP connections accepted
	bufs    sync.Pool
}

const capability = `{"resourceType":"CapabilityStatement","status":"active","date":"2026-01-01",` +
	`"kind":"instance","software":{"name":"benchrun sink","version":"1"},"fhirVersion":"4.0.1",` +
	`"format":["json"],"rest":[{"mode":"server"}]}`

const emptySearch = `{"resourceType":"Bundle","type":"searchset","total":0}`

// startSink listens on 127.0.0.1 (a free port) and serves until stop.
func startSink() (*sink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &sink{ln: ln}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(_ net.Conn, st http.ConnState) {
			if st == http.StateNew {
				s.conns.Add(1)
			}
		}}
	go s.srv.Serve(ln) //nolint:errcheck // ends with ErrServerClosed at stop
	return s, nil
}

// URL is the sink's FHIR base.
func (s *sink) URL() string { return "http://" + s.ln.Addr().String() + "/fhir" }

func (s *sink) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// reset zeroes the counters and returns what they were.
func (s *sink) reset() (bundles, entries, conns int64) {
	return s.bundles.Swap(0), s.entries.Swap(0), s.conns.Swap(0)
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case r.Method == "GET" && path == "/fhir/metadata":
		writeJSON(w, capability)
	case r.Method == "POST" && strings.HasSuffix(path, "/_search"):
		_, _ = io.Copy(io.Discard, r.Body)
		writeJSON(w, emptySearch)
	case r.Method == "POST" && path == "/fhir":
		s.batch(w, r)
	default:
		http.Error(w, "benchrun sink: no such route", http.StatusNotFound)
	}
}

func writeJSON(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/fhir+json")
	_, _ = io.WriteString(w, body)
}

// batch answers a Bundle with one created entry per request entry.
func (s *sink) batch(w http.ResponseWriter, r *http.Request) {
	buf := s.bufs.Get().(*bytes.Buffer)
	defer s.bufs.Put(buf)
	buf.Reset()
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, "bad gzip body", http.StatusBadRequest)
			return
		}
		defer zr.Close()
		body = zr
	}
	if _, err := buf.ReadFrom(body); err != nil {
		http.Error(w, "reading the body: "+err.Error(), http.StatusBadRequest)
		return
	}
	var urls [][]byte
	kind, n, err := scanBundle(buf.Bytes(), func(u []byte) { urls = append(urls, u) })
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.bundles.Add(1)
	s.entries.Add(int64(n))
	w.Header().Set("Content-Type", "application/fhir+json")
	bw := bufio.NewWriterSize(w, 32<<10)
	bw.WriteString(`{"resourceType":"Bundle","id":"00000000-0000-4000-8000-000000000000","type":"`)
	bw.WriteString(kind)
	bw.WriteString(`-response","link":[{"relation":"self","url":"`)
	bw.WriteString(s.URL())
	bw.WriteString(`"}],"entry":[`)
	for i := range n {
		if i > 0 {
			bw.WriteByte(',')
		}
		var url []byte
		if i < len(urls) {
			url = urls[i]
		}
		// What HAPI FHIR 8 answers for a PUT that created the resource.
		bw.WriteString(`{"response":{"status":"201 Created","location":"`)
		bw.Write(url)
		bw.WriteString(`/_history/1","etag":"1","lastModified":"2026-01-01T00:00:00.000+00:00",` +
			`"outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational",` +
			`"details":{"coding":[{"system":"https://hapifhir.io/fhir/CodeSystem/hapi-fhir-storage-response-code",` +
			`"code":"SUCCESSFUL_UPDATE_AS_CREATE","display":"Update as create succeeded."}]},` +
			`"diagnostics":"Successfully created resource \"`)
		bw.Write(url)
		bw.WriteString(`/_history/1\" using update as create (ie. create with client assigned ID). Took 1ms."}]}}}`)
	}
	bw.WriteString("]}")
	_ = bw.Flush()
}

// scanBundle walks a Bundle's JSON once, without building it: it returns
// the Bundle's type and its number of entries, and calls url with the
// request url of each entry. It trusts the JSON to be well formed, as
// the client writes it; it only reports a body that is not a Bundle at
// all.
func scanBundle(b []byte, url func([]byte)) (kind string, entries int, err error) {
	var keys [8][]byte // the last key seen at each depth
	depth := 0
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			if c == '{' && depth == 2 && string(keys[1]) == "entry" {
				entries++
			}
			depth++
			if depth < len(keys) {
				keys[depth] = nil
			}
		case '}', ']':
			depth--
		case '"':
			start := i + 1
			i = stringEnd(b, start)
			str := b[start:i]
			j := i + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\n' || b[j] == '\r' || b[j] == '\t') {
				j++
			}
			if j < len(b) && b[j] == ':' {
				if depth < len(keys) {
					keys[depth] = str
				}
				continue
			}
			switch {
			case depth == 1 && string(keys[1]) == "type":
				kind = string(str)
			case depth == 4 && string(keys[3]) == "request" && string(keys[4]) == "url":
				url(str)
			}
		}
	}
	if kind == "" {
		return "", 0, errors.New("benchrun sink: not a Bundle with a type")
	}
	return kind, entries, nil
}

// stringEnd returns the index of the quote that closes the string whose
// first byte is at start.
func stringEnd(b []byte, start int) int {
	for i := start; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return len(b)
}
