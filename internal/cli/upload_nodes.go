package cli

import (
	"context"
	"errors"
	"fmt"
	"github.com/minio-to-fhir/minio-to-fhir/internal/auth"
	"github.com/minio-to-fhir/minio-to-fhir/internal/bundle"
	"io"
	"sort"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// splitNodes splits FHIR_BASE_URL (--fhir-url) at commas: the base URLs of
// the nodes of one server. Each is checked; duplicates are refused.
func splitNodes(list string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(list, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		u, err := fhir.ParseBaseURL(part)
		if err != nil {
			return nil, usageErrorf("FHIR_BASE_URL: %v", err)
		}
		key := u.Redacted()
		if seen[key] {
			return nil, usageErrorf("FHIR_BASE_URL: %s is given twice", key)
		}
		seen[key] = true
		out = append(out, part)
	}
	if len(out) == 0 {
		return nil, usageErrorf("FHIR_BASE_URL: no base URL in %q", fhir.Redact(list))
	}
	return out, nil
}

// newNodes makes one client per node, all with the same settings.
func newNodes(urls []string, cfg fhir.Config) ([]*fhir.Client, error) {
	var out []*fhir.Client
	for _, u := range urls {
		c := cfg
		c.BaseURL = u
		cl, err := fhir.New(c)
		if err != nil {
			return nil, usageErrorf("FHIR_BASE_URL: %v", err)
		}
		out = append(out, cl)
	}
	return out, nil
}

// newCluster is the sender over the nodes.
func newCluster(nodes []*fhir.Client) *cluster.Cluster {
	members := make([]cluster.Node, len(nodes))
	for i, n := range nodes {
		members[i] = n
	}
	return cluster.New(members)
}

// setTransactionFirst turns X-Transaction-Semantics on or off on every node.
func setTransactionFirst(nodes []*fhir.Client, on bool) {
	for _, n := range nodes {
		n.SetTransactionFirst(on)
	}
}

// destination names the nodes, without credentials.
func destination(nodes []*fhir.Client) string {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.BaseURL()
	}
	return strings.Join(names, ", ")
}

// nodesIdentity is the server part of the checkpoint's identity: the base
// URL of a single node, as before, or the sorted list of a cluster's, so
// that the same nodes in another order resume the same upload.
func nodesIdentity(nodes []*fhir.Client) string {
	names := make([]string, len(nodes))
	for i, n := range nodes {
		names[i] = n.BaseURL()
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// checkNodes runs the server check on every node. With one node its error
// stops the run, as always. With several, nodes that cannot be reached are
// left out (drained: the cluster probes them again during the run) and
// named in a warning; a node that refuses the credentials or is no FHIR
// server stops the run, as that is a mistake in the settings, not an
// outage. It returns the first good answer.
func checkNodes(ctx context.Context, out, errw io.Writer, cl *cluster.Cluster) (fhir.ServerInfo, error) {
	checks, err := cl.CheckServer(ctx)
	if err != nil {
		fmt.Fprintln(out, "✗")
		for _, ch := range checks {
			if len(checks) > 1 {
				fmt.Fprintf(errw, "node %s: %v\n", ch.URL, ch.Err)
			}
		}
		return fhir.ServerInfo{}, err
	}
	var info fhir.ServerInfo
	var down []string
	for _, ch := range checks {
		switch {
		case ch.Err == nil:
			if info.Software == "" && info.FHIRVersion == "" {
				info = ch.Info
			} else if ch.Info.Software != info.Software || ch.Info.FHIRVersion != info.FHIRVersion {
				fmt.Fprintf(errw, "warning: node %s is %s (FHIR %s), node %s %s (FHIR %s): the nodes of one server should run the same software\n",
					ch.URL, orUnknown(ch.Info.Software), orUnknown(ch.Info.FHIRVersion), checks[0].URL, orUnknown(info.Software), orUnknown(info.FHIRVersion))
			}
		case errors.Is(ch.Err, fhir.ErrUnreachable):
			down = append(down, ch.URL)
		default:
			fmt.Fprintln(out, "✗")
			return fhir.ServerInfo{}, fmt.Errorf("node %s: %w", ch.URL, ch.Err)
		}
	}
	if len(checks) == 1 {
		fmt.Fprintf(out, "✓ (%s, FHIR %s)\n", orUnknown(info.Software), orUnknown(info.FHIRVersion))
		return info, nil
	}
	fmt.Fprintf(out, "✓ %d of %d nodes (%s, FHIR %s)\n", len(checks)-len(down), len(checks), orUnknown(info.Software), orUnknown(info.FHIRVersion))
	for _, ch := range checks {
		if ch.Err != nil {
			fmt.Fprintf(errw, "warning: node %s: %v; going on with the other nodes, and trying it again during the run\n", ch.URL, ch.Err)
		}
	}
	return info, nil
}

// uploadJSON is the summary of --json and --report: the transfer's, and
// each node's figures.
type uploadJSON struct {
	*transfer.Summary
	Nodes []cluster.NodeStats `json:"nodes"`
	// UnchangedFiles counts the files not sent because a finished load
	// into this server read them as they are.
	UnchangedFiles int `json:"unchangedFiles,omitempty"`
	// The HTML report, the file of the time series, and the series.
	ReportHTML string         `json:"reportHtml,omitempty"`
	SeriesFile string         `json:"seriesFile,omitempty"`
	Series     *series.Series `json:"series,omitempty"`
	// Auth counts the OAuth2 token requests; nil without OAuth2.
	Auth *auth.Stats `json:"auth,omitempty"`
	// Bundles sums up the Bundle files read, when there were any.
	Bundles *bundle.Stats `json:"bundles,omitempty"`
}

// printNodes prints one line per node when there is more than one.
func printNodes(w io.Writer, nodes []cluster.NodeStats) {
	if len(nodes) < 2 {
		return
	}
	fmt.Fprintln(w, "Nodes:")
	for _, n := range nodes {
		state := "up"
		if !n.Up {
			state = "down at the end"
		}
		drained := ""
		if n.Drained > 0 {
			drained = fmt.Sprintf(", drained %s", progress.Plural(n.Drained, "time", "times"))
		}
		fmt.Fprintf(w, "  %s: %s, %s errors, %s resources, %.1f s in requests%s, %s\n",
			n.URL, progress.Plural(n.Requests, "request", "requests"), progress.Thousands(n.Errors),
			progress.Thousands(n.Resources), n.Seconds, drained, state)
	}
}
