package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cluster"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// runNodes uploads 40 Patients in Bundles of 2 to FHIR_BASE_URL=base.
func runNodes(t *testing.T, base string, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	var lines []string
	for i := range 40 {
		lines = append(lines, fmt.Sprintf(`{"resourceType":"Patient","id":"p%d"}`, i))
	}
	if err := os.WriteFile(filepath.Join(dir, "Patient.ndjson"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	args = append([]string{"upload", "-i", dir, "-s", "2", "-c", "4", "--failure-log", filepath.Join(t.TempDir(), "f.log"), "--checkpoint-dir", t.TempDir()}, args...)
	code := RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Lookup: func(k string) (string, bool) {
		if k == "FHIR_BASE_URL" {
			return base, true
		}
		return "", false
	}})
	return code, out.String(), errb.String()
}

func TestUploadSpreadsOverNodes(t *testing.T) {
	a, b := httptest.NewServer(newFHIRFake()), httptest.NewServer(newFHIRFake())
	defer a.Close()
	defer b.Close()
	code, out, errs := runNodes(t, a.URL+"/fhir, "+b.URL+"/fhir", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var sum struct {
		transfer.Summary
		Nodes []cluster.NodeStats `json:"nodes"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if sum.Created != 40 || len(sum.Nodes) != 2 {
		t.Fatalf("got %d created over %d nodes, want 40 over 2:\n%s", sum.Created, len(sum.Nodes), out)
	}
	total := 0
	for i, n := range sum.Nodes {
		if n.Requests == 0 || n.Errors != 0 || !n.Up {
			t.Errorf("node %d: got %+v, want requests and no errors", i, n)
		}
		total += n.Resources
	}
	if total != 40 || sum.Nodes[0].URL != a.URL+"/fhir" {
		t.Errorf("got %+v, want 40 resources over the nodes in the order given", sum.Nodes)
	}
}

// TestUploadGoesOnWithoutADownNode: a node that is down at the start is
// named in a warning, and the run goes through the others; the text
// summary has a line per node.
func TestUploadGoesOnWithoutADownNode(t *testing.T) {
	a, b := httptest.NewServer(newFHIRFake()), httptest.NewServer(newFHIRFake())
	defer a.Close()
	b.Close()
	code, out, errs := runNodes(t, a.URL+"/fhir,http://user:s3cret-pw@"+strings.TrimPrefix(b.URL, "http://")+"/fhir")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if strings.Contains(out+errs, "s3cret-pw") {
		t.Fatalf("the password shows:\n%s\n%s", out, errs)
	}
	for _, want := range []string{"✓ 1 of 2 nodes", "Successfully uploaded: 40", "Nodes:\n  " + a.URL + "/fhir: ", b.URL + "/fhir: "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if want := "warning: node " + b.URL + "/fhir: "; !strings.Contains(errs, want) || !strings.Contains(errs, "going on with the other nodes") {
		t.Errorf("stderr lacks %q:\n%s", want, errs)
	}
}

func TestUploadStopsWhenNoNodeAnswers(t *testing.T) {
	a, b := httptest.NewServer(newFHIRFake()), httptest.NewServer(newFHIRFake())
	a.Close()
	b.Close()
	code, _, errs := runNodes(t, a.URL+"/fhir,"+b.URL+"/fhir")
	if code != ExitFatal || !strings.Contains(errs, "no node of the cluster answers") {
		t.Fatalf("exit %d, want %d: %s", code, ExitFatal, errs)
	}
}

func TestSplitNodes(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{"http://a/fhir", 1, ""},
		{"http://a/fhir, http://b/fhir,", 2, ""},
		{"http://a/fhir,http://a/fhir/", 0, "given twice"},
		{"http://a/fhir,ftp://b", 0, "not an http"},
		{" , ", 0, "no base URL"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := splitNodes(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("got %v, %v, want %d URLs", got, err, tt.want)
			}
		})
	}
}

// TestUploadOneGateOverNodes: -c 3 bounds the Bundles in flight over the
// whole cluster, not per node.
func TestUploadOneGateOverNodes(t *testing.T) {
	var inflight, peak atomic.Int64
	var mu sync.Mutex
	perNode := map[string]int{}
	handler := func(name string) http.Handler {
		fake := newFHIRFake()
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				n := inflight.Add(1)
				defer inflight.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				mu.Lock()
				perNode[name]++
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
			fake.ServeHTTP(w, r)
		})
	}
	a, b := httptest.NewServer(handler("a")), httptest.NewServer(handler("b"))
	defer a.Close()
	defer b.Close()
	code, _, errs := runNodes(t, a.URL+"/fhir,"+b.URL+"/fhir", "-c", "3")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	// How many overlap depends on the machine's speed; at most 3 does not.
	if p := peak.Load(); p > 3 {
		t.Errorf("peak %d Bundles in flight over both nodes, want at most 3 (-c 3)", p)
	}
	if perNode["a"] == 0 || perNode["b"] == 0 || perNode["a"]+perNode["b"] != 20 {
		t.Errorf("got %v Bundles per node, want 20 over both", perNode)
	}
}

// TestNodesIdentity: the checkpoint of a cluster does not depend on the
// order of its nodes, and one node keeps the identity it always had.
func TestNodesIdentity(t *testing.T) {
	mk := func(urls ...string) []*fhir.Client {
		nodes, err := newNodes(urls, fhir.Config{})
		if err != nil {
			t.Fatal(err)
		}
		return nodes
	}
	ab, ba := nodesIdentity(mk("http://a/fhir", "http://b/fhir")), nodesIdentity(mk("http://b/fhir", "http://a/fhir"))
	if ab != ba {
		t.Errorf("got %q and %q for the same nodes in two orders", ab, ba)
	}
	if got := nodesIdentity(mk("http://u:pw@a/fhir")); got != "http://a/fhir" {
		t.Errorf("one node: got %q, want its base URL without credentials", got)
	}
}
