// Command postbundles posts each *.json file of a folder, as it is, to a
// FHIR server's base URL, a few at a time: what `blazectl upload --server
// URL DIR` does (samply/blazectl, cmd/upload.go: every file one POST of
// application/fhir+json to the base, in the folder's name order, two in
// flight by default, no retry). It stands in for blazectl in
// bench/bundles.sh where blazectl cannot be installed, so that the
// benchmark still shows what posting Synthea's transactions as they are
// does to a server (new ids on every load: duplicates):
//
//	go run ./tools/postbundles -server http://127.0.0.1:8080/fhir [-c 2] DIR
//
// It prints blazectl's summary lines (uploads, success ratio, duration,
// status codes) and, for each non-OK answer, the file and the first issue
// of its OperationOutcome.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

func main() {
	server := flag.String("server", "", "the FHIR server's base URL")
	concurrency := flag.Int("c", 2, "files in flight at once (blazectl's --concurrency, default 2)")
	flag.Parse()
	if *server == "" || flag.NArg() != 1 || *concurrency < 1 {
		fmt.Fprintln(os.Stderr, "usage: postbundles -server URL [-c N] DIR")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *server, flag.Arg(0), *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "postbundles:", err)
		os.Exit(1)
	}
}

// result is the answer to one file.
type result struct {
	file   string
	status int
	issue  string
	err    error
}

func run(ctx context.Context, server, dir string, concurrency int) error {
	entries, err := os.ReadDir(dir) // sorted by name, as blazectl's ioutil.ReadDir
	if err != nil {
		return err
	}
	var files []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	fmt.Printf("Starting Upload to %s ...\n", server)
	start := time.Now()
	results := make([]result, len(files))
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for i, f := range files {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = post(ctx, server, f)
		}()
	}
	wg.Wait()
	codes := map[int]int{}
	ok := 0
	var bad []result
	for _, r := range results {
		codes[r.status]++
		if r.err == nil && r.status == http.StatusOK {
			ok++
		} else {
			bad = append(bad, r)
		}
	}
	fmt.Printf("Uploads          [total, concurrency]     %d, %d\n", len(files), concurrency)
	fmt.Printf("Success          [ratio]                  %.2f %%\n", 100*float64(ok)/float64(max(len(files), 1)))
	fmt.Printf("Duration         [total]                  %s\n", time.Since(start).Round(time.Millisecond))
	var cs []string
	for c, n := range codes {
		cs = append(cs, fmt.Sprintf("%d:%d", c, n))
	}
	sort.Strings(cs)
	fmt.Printf("Status Codes     [code:count]             %s\n", strings.Join(cs, ", "))
	for _, r := range bad {
		if r.err != nil {
			fmt.Printf("Error: %s: %v\n", filepath.Base(r.file), r.err)
		} else {
			fmt.Printf("Non-OK: %s: %d %s\n", filepath.Base(r.file), r.status, r.issue)
		}
	}
	return nil
}

// post sends one file as it is and reads the answer.
func post(ctx context.Context, server, file string) result {
	f, err := os.Open(file)
	if err != nil {
		return result{file: file, err: err}
	}
	defer f.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, server, f)
	if err != nil {
		return result{file: file, err: err}
	}
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{file: file, err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	r := result{file: file, status: resp.StatusCode, err: err}
	if resp.StatusCode != http.StatusOK {
		var oo struct {
			Issue []struct{ Diagnostics string }
		}
		if json.Unmarshal(body, &oo) == nil && len(oo.Issue) > 0 {
			r.issue = oo.Issue[0].Diagnostics
		}
	}
	return r
}
