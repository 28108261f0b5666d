// Package faultproxy is an HTTP/1.1 proxy for tests that stands between a
// client and a server on 127.0.0.1 and does to chosen requests what a bad
// network or a struggling server does: it resets the connection in the
// middle of a request or of a response, delays, trickles bytes, never
// answers, or answers an error status (429 with Retry-After, 5xx) without
// asking the server.
//
// A test scripts it per request: Queue gives the next matching requests
// their faults, in order; Always gives every matching request one. Every
// request is recorded (Events), so a test can check that its faults fired.
//
// It is ours rather than toxiproxy because toxiproxy works on TCP streams
// only: it cannot aim a fault at the one request that matters (a batch
// POST, not the server check), nor answer a request with an HTTP status.
package faultproxy

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Kind is what the proxy does with a request.
type Kind int

// Kinds of faults.
const (
	// Pass forwards the request and its answer (after Delay, trickled if
	// Trickle is set).
	Pass Kind = iota
	// ResetRequest forwards the first After bytes of the request (head
	// and body) to the server, then resets both connections: the server
	// gets a torn request, the client a reset while it sends or waits.
	ResetRequest
	// ResetResponse forwards the request whole, so the server acts on it,
	// sends the first After bytes of the answer to the client, then resets
	// both connections.
	ResetResponse
	// Blackhole forwards the request whole, so the server acts on it, and
	// swallows the answer: the client waits until it gives up. The
	// connection stays open until the client closes it.
	Blackhole
	// Status answers Code (with RetryAfter, if set) without forwarding
	// the request; the body is an OperationOutcome.
	Status
	// Drop resets the client's connection as soon as the request head is
	// read, without forwarding anything: a server that is gone.
	Drop
)

func (k Kind) String() string {
	switch k {
	case Pass:
		return "pass"
	case ResetRequest:
		return "reset-request"
	case ResetResponse:
		return "reset-response"
	case Blackhole:
		return "blackhole"
	case Status:
		return "status"
	case Drop:
		return "drop"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is what happens to one request.
type Fault struct {
	Kind  Kind
	After int // bytes passed before a ResetRequest or ResetResponse
	// InBody counts After from the end of the message's head, so that a
	// reset lands in the body whatever the size of the head.
	InBody bool
	// Delay is waited before the request is forwarded or answered.
	Delay time.Duration
	// Trickle, when positive, sends the answer to the client Trickle
	// bytes at a time, TrickleEvery apart.
	Trickle      int
	TrickleEvery time.Duration
	// Code and RetryAfter are the answer of a Status fault.
	Code       int
	RetryAfter string
}

// Match selects the requests a fault is for.
type Match func(*http.Request) bool

// Any matches every request.
func Any(*http.Request) bool { return true }

// Method matches requests of a method (and, if path is not "", of that
// exact path).
func Method(method, path string) Match {
	return func(r *http.Request) bool {
		return r.Method == method && (path == "" || r.URL.Path == path)
	}
}

// Event is one request the proxy saw.
type Event struct {
	Time   time.Time // when its head was read
	Method string
	Path   string
	Fault  Fault
	Status int // the answer's status as sent (or begun), 0 if none
	// Cut says a ResetRequest or ResetResponse found its After bytes and
	// reset the connections (a message shorter than After passes whole).
	Cut bool
}

type queued struct {
	match  Match
	faults []Fault
}

// Proxy is a running fault proxy. Its methods are safe for concurrent use.
type Proxy struct {
	ln       net.Listener
	upstream string

	mu     sync.Mutex
	queue  []*queued
	always []struct {
		match Match
		fault Fault
	}
	events []Event
	conns  map[net.Conn]struct{}
	closed bool
	done   chan struct{}
	wg     sync.WaitGroup
}

// Start listens on 127.0.0.1 (a free port) and forwards to upstream, a
// host:port that must be on the loopback network too.
func Start(upstream string) (*Proxy, error) { return StartOn("127.0.0.1:0", upstream) }

// StartOn is Start listening on addr, a loopback host:port: for a proxy
// that a server started outside the test (a gateway) forwards to.
func StartOn(addr, upstream string) (*Proxy, error) {
	if h, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(h).IsLoopback() {
		return nil, fmt.Errorf("listen address %q is not on the loopback network", addr)
	}
	host, _, err := net.SplitHostPort(upstream)
	if err != nil {
		return nil, fmt.Errorf("upstream %q: %w", upstream, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("upstream %q is not on the loopback network", upstream)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{ln: ln, upstream: upstream, conns: map[net.Conn]struct{}{}, done: make(chan struct{})}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Queue gives the next len(faults) requests that match their faults, one
// each, in order. Queues are consulted in the order they were added, and
// before the rules of Always.
func (p *Proxy) Queue(m Match, faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, &queued{match: m, faults: append([]Fault(nil), faults...)})
}

// Always gives every matching request that no queue claims the fault f.
func (p *Proxy) Always(m Match, f Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.always = append(p.always, struct {
		match Match
		fault Fault
	}{m, f})
}

// Clear drops every queued fault and rule: from now on requests pass.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue, p.always = nil, nil
}

// Pending counts the queued faults not yet used.
func (p *Proxy) Pending() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, q := range p.queue {
		n += len(q.faults)
	}
	return n
}

// Events returns the requests seen so far, in the order their heads were
// read.
func (p *Proxy) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// Count returns how many requests got a fault of kind k. A reset counts
// only when it cut the message.
func (p *Proxy) Count(k Kind) int {
	n := 0
	for _, e := range p.Events() {
		if e.Fault.Kind == k && (k != ResetRequest && k != ResetResponse || e.Cut) {
			n++
		}
	}
	return n
}

// ResetAll resets every open connection, as a server that dies does.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		reset(c)
	}
}

// Close stops listening, resets every connection and waits for the
// proxy's goroutines to end.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	close(p.done)
	err := p.ln.Close()
	for c := range p.conns {
		reset(c)
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

// pick returns the fault for r and records the event; it returns the
// event's index.
func (p *Proxy) pick(r *http.Request) (Fault, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, found := Fault{}, false
	for i, q := range p.queue {
		if len(q.faults) > 0 && q.match(r) {
			f, found = q.faults[0], true
			q.faults = q.faults[1:]
			if len(q.faults) == 0 {
				p.queue = append(p.queue[:i:i], p.queue[i+1:]...)
			}
			break
		}
	}
	if !found {
		for _, a := range p.always {
			if a.match(r) {
				f = a.fault
				break
			}
		}
	}
	p.events = append(p.events, Event{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Fault: f})
	return f, len(p.events) - 1
}

func (p *Proxy) setStatus(ev, code int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events[ev].Status = code
}

func (p *Proxy) setCut(ev int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events[ev].Cut = true
}

// track adds c to the open connections; it reports false when the proxy
// is closing (c is then closed).
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *Proxy) untrack(c net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.conns, c)
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(c) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			defer p.untrack(c)
			defer c.Close()
			p.serve(c)
		}()
	}
}

// sleep waits d, or less when the proxy closes; it reports whether the
// proxy is still open.
func (p *Proxy) sleep(d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-p.done:
		return false
	}
}
