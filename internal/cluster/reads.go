package cluster

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// Versions asks a node that is up which of ids are on the server (they
// share one database, so any node knows), trying the others when it drops
// the connection.
func (c *Cluster) Versions(ctx context.Context, typ string, ids []string) (map[string]fhir.Version, time.Time, error) {
	var got map[string]fhir.Version
	var at time.Time
	err := c.ask(ctx, func(n Node) error {
		var err error
		got, at, err = n.Versions(ctx, typ, ids)
		return err
	})
	return got, at, err
}

// Existing asks a node that is up which of ids are on the server.
func (c *Cluster) Existing(ctx context.Context, typ string, ids []string) (map[string]bool, error) {
	var got map[string]bool
	err := c.ask(ctx, func(n Node) error {
		var err error
		got, err = n.Existing(ctx, typ, ids)
		return err
	})
	return got, err
}

// ask runs a read on the best node, and on the next when one drops the
// connection. Reads are not counted in the node's stats.
func (c *Cluster) ask(ctx context.Context, read func(Node) error) error {
	tried := map[*node]bool{}
	var last error
	for {
		nd := c.pick(ctx, tried)
		if nd == nil {
			return last
		}
		tried[nd] = true
		err := read(nd.n)
		c.mu.Lock()
		nd.inflight--
		nd.stats.Requests--
		if err != nil && Dropped(err) {
			c.drainLocked(nd)
		}
		c.mu.Unlock()
		if err == nil || !Dropped(err) || ctx.Err() != nil {
			return err
		}
		last = err
	}
}

// Check is the server check of one node.
type Check struct {
	URL  string
	Info fhir.ServerInfo
	Err  error
}

// CheckServer checks every node at once and returns their answers in
// order. A node that fails is drained (probed again later); err is set
// only when every node fails (the first node's error, naming it).
func (c *Cluster) CheckServer(ctx context.Context) ([]Check, error) {
	out := make([]Check, len(c.nodes))
	var wg sync.WaitGroup
	for i, nd := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			info, err := nd.n.CheckServer(ctx)
			out[i] = Check{URL: nd.name, Info: info, Err: err}
		}()
	}
	wg.Wait()
	ok := 0
	for i, ch := range out {
		if ch.Err != nil {
			c.Drain(i)
			continue
		}
		ok++
	}
	if ok == 0 {
		if len(out) == 1 {
			return out, out[0].Err
		}
		return out, fmt.Errorf("no node of the cluster answers: %w", out[0].Err)
	}
	return out, nil
}
