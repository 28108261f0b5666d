package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// upstream is a server that echoes request bodies and counts what it got
// whole.
type upstream struct {
	*httptest.Server
	whole atomic.Int32 // requests whose body arrived complete
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		u.whole.Add(1)
		w.Header().Set("Content-Type", "text/plain")
		if r.Method == "GET" {
			w.Write(bytes.Repeat([]byte("0123456789"), 1000))
			return
		}
		w.Write(body)
	}))
	t.Cleanup(u.Close)
	return u
}

func startProxy(t *testing.T, u *upstream) (*Proxy, string) {
	t.Helper()
	p, err := Start(u.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, "http://" + p.Addr()
}

func client(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{}}
}

func post(c *http.Client, url string, body []byte) (int, []byte, error) {
	resp, err := c.Post(url, "text/plain", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func TestFaultProxyPass(t *testing.T) {
	u := newUpstream(t)
	p, url := startProxy(t, u)
	c := client(5 * time.Second)
	body := bytes.Repeat([]byte("x"), 100_000)
	for i := range 3 {
		code, got, err := post(c, url+"/fhir", body)
		if err != nil || code != 200 || !bytes.Equal(got, body) {
			t.Fatalf("request %d: got %d, %d bytes, %v; want 200 and the body back", i, code, len(got), err)
		}
	}
	if n := len(p.Events()); n != 3 {
		t.Errorf("got %d events, want 3", n)
	}
	for _, e := range p.Events() {
		if e.Status != 200 || e.Method != "POST" || e.Path != "/fhir" || e.Fault.Kind != Pass {
			t.Errorf("event %+v, want a passed POST /fhir with 200", e)
		}
	}
}

func TestFaultProxyStatusQueue(t *testing.T) {
	u := newUpstream(t)
	p, url := startProxy(t, u)
	p.Queue(Method("POST", "/fhir"), Fault{Kind: Status, Code: 429, RetryAfter: "2"}, Fault{Kind: Status, Code: 503})
	c := client(5 * time.Second)
	// A GET is not matched and passes.
	resp, err := c.Get(url + "/fhir/metadata")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = c.Post(url+"/fhir", "text/plain", strings.NewReader("a"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || !strings.Contains(string(b), "OperationOutcome") {
		t.Errorf("got %d Retry-After %q %s, want 429 with Retry-After 2 and an OperationOutcome", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	if code, _, err := post(c, url+"/fhir", []byte("b")); code != 503 || err != nil {
		t.Errorf("second POST: got %d %v, want 503", code, err)
	}
	if code, got, err := post(c, url+"/fhir", []byte("c")); code != 200 || string(got) != "c" || err != nil {
		t.Errorf("third POST: got %d %q %v, want 200 and the body", code, got, err)
	}
	if n := u.whole.Load(); n != 2 {
		t.Errorf("the server got %d requests, want 2 (the injected answers never reach it)", n)
	}
	if p.Pending() != 0 || p.Count(Status) != 2 {
		t.Errorf("pending %d, status faults %d; want 0 and 2", p.Pending(), p.Count(Status))
	}
}

func TestFaultProxyResets(t *testing.T) {
	body := bytes.Repeat([]byte("y"), 200_000)
	tests := []struct {
		name      string
		fault     Fault
		wantWhole int32 // requests the server got whole
	}{
		{"request", Fault{Kind: ResetRequest, After: 1000}, 0},
		{"response", Fault{Kind: ResetResponse, After: 1000}, 1},
		{"request body", Fault{Kind: ResetRequest, After: 10, InBody: true}, 0},
		{"response body", Fault{Kind: ResetResponse, After: 10, InBody: true}, 1},
		{"drop", Fault{Kind: Drop}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u := newUpstream(t)
			p, url := startProxy(t, u)
			p.Queue(Any, tc.fault)
			c := client(5 * time.Second)
			_, got, err := post(c, url+"/fhir", body)
			if err == nil {
				t.Fatalf("got %d bytes and no error, want a broken connection", len(got))
			}
			if p.Count(tc.fault.Kind) != 1 {
				t.Errorf("the fault is not counted as done: %+v", p.Events())
			}
			time.Sleep(50 * time.Millisecond) // let the server finish reading
			if n := u.whole.Load(); n != tc.wantWhole {
				t.Errorf("the server got %d whole requests, want %d", n, tc.wantWhole)
			}
			// The next request passes.
			if code, got, err := post(c, url+"/fhir", []byte("ok")); code != 200 || string(got) != "ok" {
				t.Errorf("after the fault: got %d %q %v", code, got, err)
			}
		})
	}
}

func TestFaultProxyBlackholeAndClose(t *testing.T) {
	u := newUpstream(t)
	p, url := startProxy(t, u)
	p.Queue(Any, Fault{Kind: Blackhole})
	_, _, err := post(client(300*time.Millisecond), url+"/fhir", []byte("z"))
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("got %v, want a client timeout", err)
	}
	if n := u.whole.Load(); n != 1 {
		t.Errorf("the server got %d requests, want 1 (a black hole forwards, then swallows)", n)
	}
	// A connection held open does not keep Close waiting: Close returns,
	// and ends the held request (before its client's hour-long timeout).
	p.Queue(Any, Fault{Kind: Blackhole})
	held := make(chan error, 1)
	go func() {
		_, _, err := post(client(time.Hour), url+"/fhir", []byte("held"))
		held <- err
	}()
	for u.whole.Load() < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	p.Close()
	if err := <-held; err == nil || errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("the held request: got %v, want the connection closed by Close", err)
	}
}

func TestFaultProxyDelayAndTrickle(t *testing.T) {
	u := newUpstream(t)
	p, url := startProxy(t, u)
	p.Always(Method("GET", ""), Fault{Delay: 300 * time.Millisecond, Trickle: 2000, TrickleEvery: 50 * time.Millisecond})
	c := client(10 * time.Second)
	start := time.Now()
	resp, err := c.Get(url + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	// 300 ms of delay, then 10,000 bytes of body (and a head) in 2,000-byte
	// pieces 50 ms apart.
	if d := time.Since(start); err != nil || len(b) != 10_000 || d < 500*time.Millisecond {
		t.Errorf("got %d bytes in %v (%v), want 10000 bytes in at least 500ms", len(b), d, err)
	}
	if code, _, err := post(c, url+"/x", []byte("fast")); code != 200 || err != nil {
		t.Errorf("an unmatched request failed: %d %v", code, err)
	}
	ev := p.Events()
	if len(ev) != 2 || ev[1].Method != "POST" || ev[1].Fault != (Fault{}) {
		t.Errorf("got events %+v, want the POST last and without a fault", ev)
	}
}

func TestFaultProxyUpstreamGone(t *testing.T) {
	u := newUpstream(t)
	p, url := startProxy(t, u)
	u.Close()
	if _, _, err := post(client(5*time.Second), url+"/fhir", []byte("a")); err == nil {
		t.Errorf("no error with the server gone")
	}
	p.Close()
}

func TestFaultProxyLoopbackOnly(t *testing.T) {
	for _, addr := range []string{"192.0.2.1:80", "example.com:80", "nonsense"} {
		if p, err := Start(addr); err == nil {
			p.Close()
			t.Errorf("Start(%q) accepted an upstream off the loopback network", addr)
		}
	}
}

func TestFaultProxyCutInBody(t *testing.T) {
	var out bytes.Buffer
	c := &cutWriter{w: &out, left: 3, inBody: true}
	var err error
	for _, piece := range []string{"HTTP/1.1 200 OK\r", "\nA: b\r\n", "\r", "\nabcdef"} {
		if _, err = c.Write([]byte(piece)); err != nil {
			break
		}
	}
	if !errors.Is(err, errCut) || out.String() != "HTTP/1.1 200 OK\r\nA: b\r\n\r\nabc" {
		t.Errorf("got %q, %v; want the head and 3 bytes of the body, then errCut", out.String(), err)
	}
}
