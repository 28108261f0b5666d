//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestSecretsMetricsAndReport loads with every secret a canary (the
// bed's HAPI ignores the credentials), a node URL with user info, the
// Prometheus endpoint on and the HTML report written, scrapes the
// endpoint during the load, and checks that no canary is in a scrape,
// the output, the report, the series or any other file written.
func TestSecretsMetricsAndReport(t *testing.T) {
	bed := testbed.Default(t)
	dir, _ := mimicData(t, 3)
	work := t.TempDir()
	settings := canarySettings(work)
	settings["FHIR_BASE_URL"] = strings.Replace(bed.FHIRBaseURL, "http://", "http://user:"+canaryURLPass+"@", 1)
	addr := freePort(t)
	var r result
	scrapes := scrapeDuring(t, addr, func() {
		r = run(t, settings, "upload", "-i", dir, "-s", "5", "-c", "1", "-v", "--series-interval", "200ms",
			"--failure-log", filepath.Join(work, "f.log"), "--report-html", filepath.Join(work, "r.html"),
			"--metrics-addr", addr, "--json")
	})
	if r.code != cli.ExitOK {
		t.Fatalf("exit %d, want 0\nstderr:\n%s", r.code, r.stderr)
	}
	if len(scrapes) == 0 {
		t.Fatal("no scrape of the metrics succeeded during the load")
	}
	for i, body := range scrapes {
		parseMetrics(t, body)
		for _, s := range canaryStrings() {
			if strings.Contains(body, s) {
				t.Errorf("a secret (%.10s…) is in scrape %d of the metrics", s, i)
			}
		}
	}
	if !strings.Contains(r.stdout, `"series"`) {
		t.Errorf("the --json summary has no series")
	}
	for _, f := range []string{"r.html", "r.series.json"} {
		copyFile(t, filepath.Join(work, f), filepath.Join(t.TempDir(), f)) // it exists
	}
	assertNoCanary(t, r, work)
}
