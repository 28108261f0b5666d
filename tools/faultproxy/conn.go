package faultproxy

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// reset closes c with a TCP RST rather than a FIN.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// errCut is returned by a cutWriter once its bytes are spent.
var errCut = errors.New("faultproxy: cut")

// cutWriter passes on left bytes, then fails. With inBody set, it counts
// only from the end of the head (the first blank line).
type cutWriter struct {
	w      io.Writer
	left   int
	inBody bool
	tail   uint32 // the last four bytes seen in the head
	cut    bool   // the bytes are spent: net/http does not always wrap errCut
}

func (c *cutWriter) Write(b []byte) (int, error) {
	if c.inBody {
		for i, x := range b {
			c.tail = c.tail<<8 | uint32(x)
			if c.tail == 0x0d0a0d0a { // "\r\n\r\n"
				c.inBody = false
				n, err := c.w.Write(b[:i+1])
				if err != nil {
					return n, err
				}
				m, err := c.Write(b[i+1:])
				return n + m, err
			}
		}
		return c.w.Write(b)
	}
	if len(b) <= c.left {
		n, err := c.w.Write(b)
		c.left -= n
		return n, err
	}
	n, err := c.w.Write(b[:c.left])
	c.left -= n
	if err != nil {
		return n, err
	}
	c.cut = true
	return n, errCut
}

// trickleWriter passes on size bytes at a time, every apart.
type trickleWriter struct {
	p     *Proxy
	w     io.Writer
	size  int
	every time.Duration
}

func (t *trickleWriter) Write(b []byte) (int, error) {
	done := 0
	for done < len(b) {
		end := min(done+t.size, len(b))
		n, err := t.w.Write(b[done:end])
		done += n
		if err != nil {
			return done, err
		}
		if !t.p.sleep(t.every) {
			return done, net.ErrClosed
		}
	}
	return done, nil
}

// serve handles the requests of one client connection, with one
// connection to the server of its own.
func (p *Proxy) serve(c net.Conn) {
	br := bufio.NewReader(c)
	var up net.Conn
	var upr *bufio.Reader
	defer func() {
		if up != nil {
			p.untrack(up)
			up.Close()
		}
	}()
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		f, ev := p.pick(req)
		if !p.sleep(f.Delay) {
			return
		}
		switch f.Kind {
		case Drop:
			reset(c)
			return
		case Status:
			if !p.answer(c, req, f, ev) {
				return
			}
			continue
		}
		if up == nil {
			up, err = net.DialTimeout("tcp", p.upstream, 5*time.Second)
			if err != nil || !p.track(up) {
				// The server is not there: so the client learns it.
				up = nil
				reset(c)
				return
			}
			upr = bufio.NewReader(up)
		}
		if !p.forward(c, br, up, upr, req, f, ev) {
			reset(c)
			return
		}
	}
}

// answer replies with f's status without asking the server. It reports
// whether the connection can go on.
func (p *Proxy) answer(c net.Conn, req *http.Request, f Fault, ev int) bool {
	_, _ = io.Copy(io.Discard, req.Body)
	req.Body.Close()
	body := fmt.Sprintf(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"faultproxy: injected HTTP %d"}]}`, f.Code)
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\n", f.Code, http.StatusText(f.Code))
	if f.RetryAfter != "" {
		fmt.Fprintf(&b, "Retry-After: %s\r\n", f.RetryAfter)
	}
	fmt.Fprintf(&b, "Content-Type: application/fhir+json\r\nContent-Length: %d\r\n", len(body))
	if req.Close {
		b.WriteString("Connection: close\r\n")
	}
	b.WriteString("\r\n")
	b.WriteString(body)
	p.setStatus(ev, f.Code)
	if _, err := io.WriteString(c, b.String()); err != nil {
		return false
	}
	return !req.Close
}

// forward sends req to the server and its answer back, doing f on the
// way. It reports whether both connections can go on.
func (p *Proxy) forward(c net.Conn, br *bufio.Reader, up net.Conn, upr *bufio.Reader, req *http.Request, f Fault, ev int) bool {
	var w io.Writer = up
	cut := &cutWriter{w: up, left: f.After, inBody: f.InBody}
	if f.Kind == ResetRequest {
		w = cut
	}
	bw := bufio.NewWriter(w)
	err := req.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		if cut.cut {
			p.setCut(ev)
		}
		reset(up)
		return false
	}
	resp, err := http.ReadResponse(upr, req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	p.setStatus(ev, resp.StatusCode)
	if f.Kind == Blackhole {
		_, _ = io.Copy(io.Discard, resp.Body)
		// Hold the client's connection until it gives up (or the proxy
		// closes): whatever it sends is read and dropped.
		_, _ = io.Copy(io.Discard, br)
		return false
	}
	var cw io.Writer = c
	if f.Trickle > 0 {
		cw = &trickleWriter{p: p, w: cw, size: f.Trickle, every: f.TrickleEvery}
	}
	cut = &cutWriter{w: cw, left: f.After, inBody: f.InBody}
	if f.Kind == ResetResponse {
		cw = cut
	}
	out := bufio.NewWriter(cw)
	err = resp.Write(out)
	if err == nil {
		err = out.Flush()
	}
	if err != nil {
		if cut.cut {
			p.setCut(ev)
		}
		reset(up)
		return false
	}
	return !req.Close && !resp.Close
}
