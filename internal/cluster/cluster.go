// Package cluster spreads Bundles over the nodes of one logical FHIR
// server: several HAPI JVMs on one database, each with its own base URL.
// A Cluster is a transfer.Sender (and a transfer.Versioner): the uploader
// above it, its retries, its one concurrency gate and its checkpoint stay
// as they are, and count the cluster as one server.
//
// Each Bundle goes to the healthy node with the lowest expected wait: its
// latency per resource (a moving average of its answers) times one more
// than the Bundles it has in flight (and times one more than its failures
// in a row, so that a retry goes elsewhere). A node that stops answering is
// drained: a connection refused or reset takes it out at once, and the
// Bundle that failed on it goes to another node straight away (a PUT is
// idempotent, and a node that dropped the connection is not writing it any
// more); failedLimit timeouts or 5xx answers in a row take it out too, but
// those Bundles go back to the uploader (a timed-out node may still be
// writing them: the uploader watches what lands before sending them
// again). A drained node is probed (GET metadata) after a backoff that
// doubles up to probeCap, and takes Bundles again once it answers.
package cluster

import (
	"context"
	"errors"
	"io"
	"math"
	"sync"
	"syscall"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// failedLimit is the number of timeouts or 5xx answers in a row that
// drain a node.
const failedLimit = 3

// Probe backoff: the first probe of a drained node after probeBase, then
// twice as long each time it fails, at most probeCap.
const (
	probeBase = time.Second
	probeCap  = 30 * time.Second
	// probeTimeout bounds one probe: a node that accepts the connection
	// but does not answer is not kept waiting for longer.
	probeTimeout = 10 * time.Second
)

// alpha is the weight of a new answer in a node's latency average.
const alpha = 0.2

// forget is how fast a node's latency estimate returns to the cluster's
// average when it gets no answers: after forget without one, its
// distance from the average has shrunk to 1/e. Without it a node that was
// slow once (a cold JVM's first Bundles) would never be sent another
// Bundle, and so never be measured again.
const forget = 5 * time.Second

// Node is what a cluster needs of one node: *fhir.Client is one.
type Node interface {
	Post(ctx context.Context, body []byte, n int) ([]fhir.EntryResult, error)
	Versions(ctx context.Context, typ string, ids []string) (map[string]fhir.Version, time.Time, error)
	Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error)
	CheckServer(ctx context.Context) (fhir.ServerInfo, error)
	BaseURL() string
}

// NodeStats is what one node did in a run.
type NodeStats struct {
	URL       string  `json:"url"` // without credentials
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`    // requests that got no usable answer
	Resources int     `json:"resources"` // entries of the Bundles it answered
	Seconds   float64 `json:"seconds"`   // time spent in its requests
	// Drained counts the times it was taken out; Up says whether it took
	// Bundles at the end.
	Drained int  `json:"drained"`
	Up      bool `json:"up"`
}

type node struct {
	n    Node
	name string

	// Guarded by Cluster.mu.
	inflight  int
	latency   float64   // seconds per resource; 0 until measured
	answered  time.Time // when latency was last measured
	failed    int       // timeouts and 5xx in a row
	down      bool
	nextProbe time.Time
	backoff   time.Duration
	probing   bool
	stats     NodeStats
}

// Cluster is a set of nodes of one server. It is safe for concurrent use.
type Cluster struct {
	nodes []*node
	now   func() time.Time

	mu sync.Mutex
}

// New returns a cluster of the given nodes (at least one), all up.
func New(nodes []Node) *Cluster {
	c := &Cluster{now: time.Now}
	for _, n := range nodes {
		name := n.BaseURL()
		c.nodes = append(c.nodes, &node{n: n, name: name, stats: NodeStats{URL: name, Up: true}})
	}
	return c
}

// BaseURL names the first node, for the plan's absolute references.
func (c *Cluster) BaseURL() string { return c.nodes[0].name }

// Stats returns what each node did, in the order given to New.
func (c *Cluster) Stats() []NodeStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]NodeStats, len(c.nodes))
	for i, nd := range c.nodes {
		out[i] = nd.stats
		out[i].Up = !nd.down
	}
	return out
}

// Drain takes node i out, as if it had stopped answering (the server
// check found it down): it is probed after the first backoff.
func (c *Cluster) Drain(i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drainLocked(c.nodes[i])
}

func (c *Cluster) drainLocked(nd *node) {
	if nd.down {
		return
	}
	nd.down, nd.failed = true, 0
	nd.backoff = probeBase
	nd.nextProbe = c.now().Add(nd.backoff)
	nd.stats.Drained++
}

// Post sends a Bundle to the best node. When that node drops the
// connection, the Bundle goes to the next at once, until one answers or
// every node has refused it; then the last error is returned, for the
// uploader to retry later.
func (c *Cluster) Post(ctx context.Context, body []byte, n int) ([]fhir.EntryResult, error) {
	tried := map[*node]bool{}
	var last error
	for {
		nd := c.pick(ctx, tried)
		if nd == nil {
			if last == nil {
				last = errors.New("no node of the cluster to send to")
			}
			return nil, last
		}
		tried[nd] = true
		start := c.now()
		res, err := nd.n.Post(ctx, body, n)
		gone := c.done(nd, start, n, err)
		if !gone || ctx.Err() != nil {
			return res, err
		}
		last = err
	}
}

// pick chooses the node for a request, not one of tried, and counts the
// request in flight on it. Drained nodes whose probe is due are probed
// first. With every node drained, it tries the one due soonest: the
// request then fails fast if it is still down, and the uploader backs
// off.
func (c *Cluster) pick(ctx context.Context, tried map[*node]bool) *node {
	c.probeDue(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	var best *node
	var bestScore float64
	avg := c.avgLatencyLocked()
	now := c.now()
	for _, nd := range c.nodes {
		if nd.down || tried[nd] {
			continue
		}
		lat := avg
		if nd.latency > 0 {
			w := math.Exp(-float64(now.Sub(nd.answered)) / float64(forget))
			lat = avg + (nd.latency-avg)*w
		}
		// A node that failed lately counts as that much busier, so that
		// the retry goes elsewhere.
		score := lat * float64(nd.inflight+1) * float64(1+nd.failed)
		if best == nil || score < bestScore || (score == bestScore && nd.inflight < best.inflight) {
			best, bestScore = nd, score
		}
	}
	if best == nil {
		for _, nd := range c.nodes {
			if tried[nd] {
				continue
			}
			if best == nil || nd.nextProbe.Before(best.nextProbe) {
				best = nd
			}
		}
	}
	if best != nil {
		best.inflight++
		best.stats.Requests++
	}
	return best
}

// avgLatencyLocked is the mean latency of the nodes measured, 1 when none
// is: an unmeasured node is taken for an average one.
func (c *Cluster) avgLatencyLocked() float64 {
	sum, k := 0.0, 0
	for _, nd := range c.nodes {
		if nd.latency > 0 && !nd.down {
			sum, k = sum+nd.latency, k+1
		}
	}
	if k == 0 {
		return 1
	}
	return sum / float64(k)
}

// done books the answer of a request to nd that started at start and
// reports whether nd dropped the connection (it is then drained, and the
// Bundle may go to another node at once).
func (c *Cluster) done(nd *node, start time.Time, n int, err error) bool {
	d := c.now().Sub(start)
	c.mu.Lock()
	defer c.mu.Unlock()
	nd.inflight--
	nd.stats.Seconds += d.Seconds()
	switch {
	case err == nil:
		nd.stats.Resources += n
		nd.failed = 0
		if nd.down { // it answered the request sent to it while drained
			nd.down = false
		}
		if n > 0 {
			per := d.Seconds() / float64(n)
			if nd.latency == 0 {
				nd.latency = per
			} else {
				nd.latency = alpha*per + (1-alpha)*nd.latency
			}
			nd.answered = c.now()
		}
		return false
	case Dropped(err):
		nd.stats.Errors++
		c.drainLocked(nd)
		return true
	case nodeTrouble(err):
		nd.stats.Errors++
		nd.failed++
		if nd.failed >= failedLimit {
			c.drainLocked(nd)
		}
		return false
	}
	// The server's answer to the request (a 4xx): the node works.
	nd.failed = 0
	return false
}

// Dropped reports whether err says the node did not take the request or
// dropped it before answering: connection refused or reset, or the
// connection closed before a whole answer. Such a node is not writing
// the request any more, so it may go to another at once.
func Dropped(err error) bool {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	return false
}

// nodeTrouble reports whether err counts against the node: a timeout, a
// 5xx or another network failure.
func nodeTrouble(err error) bool {
	var se *fhir.StatusError
	if errors.As(err, &se) {
		return se.Code >= 500
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	return true
}

// probeDue probes, one caller at a time per node, the drained nodes whose
// probe is due, and brings back those that answer.
func (c *Cluster) probeDue(ctx context.Context) {
	now := c.now()
	var due []*node
	c.mu.Lock()
	for _, nd := range c.nodes {
		if nd.down && !nd.probing && !now.Before(nd.nextProbe) {
			nd.probing = true
			due = append(due, nd)
		}
	}
	c.mu.Unlock()
	for _, nd := range due {
		pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeTimeout)
		_, err := nd.n.CheckServer(pctx)
		cancel()
		c.mu.Lock()
		nd.probing = false
		if err == nil {
			nd.down, nd.failed, nd.latency = false, 0, 0
		} else {
			nd.backoff = min(2*nd.backoff, probeCap)
			nd.nextProbe = c.now().Add(nd.backoff)
		}
		c.mu.Unlock()
	}
}
