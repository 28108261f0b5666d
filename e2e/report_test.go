//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// badBundle is a resource HAPI refuses (422, HAPI-0522: it stores no
// transaction Bundle), for the report's refusals.
const badBundle = `{"resourceType":"Bundle","id":"%s","type":"transaction","entry":[]}`

// reportJSON is what upload --json prints, as far as the report goes.
type reportJSON struct {
	transfer.Summary
	ReportHTML string         `json:"reportHtml"`
	SeriesFile string         `json:"seriesFile"`
	Series     *series.Series `json:"series"`
}

// TestReportHTML loads MIMIC-shaped data and a refused resource into
// the real HAPI with --report-html, opens the page in headless Chromium
// and checks that every chart draws the --json series, point for point,
// that the page made no network request, that its screenshot is not
// blank, and that it shows the refusal under the server's reason.
func TestReportHTML(t *testing.T) {
	bed := testbed.Default(t)
	dir, m := mimicData(t, 10)
	id := randomID(t)
	must(t, os.WriteFile(filepath.Join(dir, "Bundle.ndjson"), []byte(strings.ReplaceAll(badBundle, "%s", id+"-b1")+"\n"+strings.ReplaceAll(badBundle, "%s", id+"-b2")+"\n"), 0o644))
	work := t.TempDir()
	html := filepath.Join(work, "load.html")
	addr := freePort(t)
	var r result
	scrapes := scrapeDuring(t, addr, func() {
		r = run(t, fhirSettings(bed.FHIRBaseURL), "upload", "-i", dir, "-s", "20", "-c", "2", "--series-interval", "300ms",
			"--report-html", html, "--json", "--failure-log", filepath.Join(work, "f.log"), "--checkpoint-dir", filepath.Join(work, "ckpt"),
			"--metrics-addr", addr)
	})
	if r.code != cli.ExitFailures {
		t.Fatalf("exit %d, want %d (two refused Bundles)\nstderr:\n%s", r.code, cli.ExitFailures, r.stderr)
	}
	var sum reportJSON
	must(t, json.Unmarshal([]byte(r.stdout), &sum))
	s := sum.Series
	if s == nil || sum.ReportHTML != html || sum.SeriesFile != filepath.Join(work, "load.series.json") {
		t.Fatalf("got report %q, series file %q, series %v; want %q, its .series.json and a series", sum.ReportHTML, sum.SeriesFile, s != nil, html)
	}
	if len(s.Points) < 3 {
		t.Fatalf("got %d points, want at least 3 for a load of %d resources at a point every 300ms", len(s.Points), m.Resources)
	}
	w, u, f := s.Totals()
	if w+u+f != sum.Read || f != 2 || sum.Failed != 2 {
		t.Errorf("the series counts %d resources (%d failed), the summary %d (%d failed); want the same, 2 failed", w+u+f, f, sum.Read, sum.Failed)
	}
	if len(s.Refusals) != 1 || s.Refusals[0].Status != 422 || !strings.Contains(s.Refusals[0].Reason, "HAPI-0522") || s.Refusals[0].Count != 2 {
		t.Errorf("got refusals %+v, want one group of 2: 422 HAPI-0522", s.Refusals)
	}
	// The Prometheus endpoint, scraped during the load: its counters grow
	// and never pass the summary's.
	if len(scrapes) < 3 {
		t.Fatalf("got %d scrapes of the metrics during the load, want at least 3", len(scrapes))
	}
	prev := -1.0
	for _, body := range scrapes {
		fams := parseMetrics(t, body)
		written := metricValue(t, fams, "minio_to_fhir_resources_total", "outcome", "written")
		if written < prev || written > float64(sum.Landed()) {
			t.Errorf("resources written %v after %v, want a count that grows up to %d", written, prev, sum.Landed())
		}
		prev = written
		if planned := metricValue(t, fams, "minio_to_fhir_resources_planned", "", ""); planned != float64(sum.Read) {
			t.Errorf("resources planned %v, want %d", planned, sum.Read)
		}
		if limit := metricValue(t, fams, "minio_to_fhir_concurrency_limit", "", ""); limit < 1 || limit > 2 {
			t.Errorf("concurrency limit %v, want 1..2 (-c 2)", limit)
		}
	}
	if prev <= 0 {
		t.Errorf("the last scrape counts %v resources written, want some", prev)
	}

	onDisk, err := series.Read(sum.SeriesFile)
	must(t, err)
	if len(onDisk.Points) != len(s.Points) {
		t.Errorf("the series file has %d points, --json %d", len(onDisk.Points), len(s.Points))
	}

	dom, others, img := openReport(t, html)
	checkOffline(t, dom, others)
	checkNotBlank(t, img)
	checkCharts(t, dom, *s)
	if !strings.HasPrefix(dom.Status, "finished, 2 failed") {
		t.Errorf("got status %q, want finished, 2 failed", dom.Status)
	}
	if !strings.Contains(dom.Refusals, "HAPI-0522") || !strings.Contains(dom.Refusals, "Bundle/"+id+"-b1") {
		t.Errorf("the refusals table says %q, want HAPI-0522 with Bundle/%s-b1 as an example", dom.Refusals, id)
	}

	// verify --report-html: the same kind of page for the verification,
	// naming the two refused Bundles as missing.
	vhtml := filepath.Join(work, "verify.html")
	r = run(t, fhirSettings(bed.FHIRBaseURL), "verify", "-i", dir, "--report-html", vhtml)
	if r.code != cli.ExitFailures {
		t.Fatalf("verify: exit %d, want %d (two Bundles missing)\nstdout:\n%s\nstderr:\n%s", r.code, cli.ExitFailures, r.stdout, r.stderr)
	}
	dom, others, img = openReport(t, vhtml)
	checkOffline(t, dom, others)
	checkNotBlank(t, img)
	if !strings.HasPrefix(dom.Status, "INCOMPLETE") || !strings.Contains(dom.Status, "2 missing") || !strings.Contains(dom.Tables, "Bundle/"+id+"-b2") {
		t.Errorf("the verify page says %q and %q, want INCOMPLETE, 2 missing, Bundle/%s-b2 named", dom.Status, dom.Tables, id)
	}
}

// TestReportHTMLResumeAfterKill kills a load with SIGKILL halfway, once
// its report has been rewritten with points, and resumes it: both reports
// open in Chromium and draw their series, and the resumed series is the
// first one continued (the same points, then a second run).
func TestReportHTMLResumeAfterKill(t *testing.T) {
	bed := testbed.Default(t)
	dir, m := mimicData(t, 6)
	root, err := testbed.RepoRoot()
	must(t, err)
	bin := filepath.Join(t.TempDir(), "minio-to-fhir")
	build := exec.Command("go", "build", "-o", bin, "./cmd/minio-to-fhir")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	work := t.TempDir()
	html := filepath.Join(work, "load.html")
	seriesFile := filepath.Join(work, "load.series.json")
	args := []string{"upload", "-i", dir, "-c", "2", "-s", "20", "--series-interval", "200ms", "--report-html", html,
		"--failure-log", filepath.Join(work, "f.log"), "--checkpoint-dir", filepath.Join(work, "ckpt")}
	env := append(os.Environ(), "FHIR_BASE_URL="+bed.FHIRBaseURL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	first := exec.CommandContext(ctx, bin, args...)
	first.Env, first.Dir = env, work
	stdout, err := first.StdoutPipe()
	must(t, err)
	must(t, first.Start())
	// Kill once half the batches have their answer and the page has
	// been rewritten with points (every 6 points: 1.2 s here).
	half := m.Resources / 20 / 2
	batchLine := regexp.MustCompile(`^\s+Batch \d+/\d+ `)
	sc := bufio.NewScanner(stdout)
	batches := 0
	killed := false
	for sc.Scan() {
		if batchLine.MatchString(sc.Text()) {
			batches++
		}
		if batches >= half && pageHasPoints(html) {
			must(t, first.Process.Signal(syscall.SIGKILL))
			killed = true
			break
		}
	}
	_ = first.Wait()
	if !killed {
		t.Fatalf("the first run ended after %d batches before the kill (half: %d)", batches, half)
	}
	t.Logf("killed after %d batches", batches)
	killedHTML, killedSeries := filepath.Join(work, "killed.html"), filepath.Join(work, "killed.series.json")
	copyFile(t, html, killedHTML)
	copyFile(t, seriesFile, killedSeries)
	before, err := series.Read(killedSeries)
	must(t, err)

	second := exec.CommandContext(ctx, bin, args...)
	second.Env, second.Dir = env, work
	if out, err := second.CombinedOutput(); err != nil {
		t.Fatalf("resume: %v\n%s", err, out)
	}
	after, err := series.Read(seriesFile)
	must(t, err)

	// The killed load's page: the points it had written, still running.
	dom, others, img := openReport(t, killedHTML)
	checkOffline(t, dom, others)
	checkNotBlank(t, img)
	if len(dom.Charts) == 0 || dom.Status != "running" {
		t.Errorf("the killed load's page: %d charts, status %q; want charts, running", len(dom.Charts), dom.Status)
	}
	// Its page was written at a point the series file may have passed
	// since: compare it with the series it drew, the first points.
	drawn := *before
	drawn.Points = drawn.Points[:pointsDrawn(dom)]
	checkCharts(t, dom, drawn)

	// The resumed series continues the first.
	if len(after.Runs) != 2 || !after.Runs[1].Resumed || after.Job != before.Job {
		t.Fatalf("got runs %+v of job %q, want the first and a resume of %q", after.Runs, after.Job, before.Job)
	}
	if len(after.Points) <= len(before.Points) {
		t.Fatalf("the resumed series has %d points, want more than the killed one's %d", len(after.Points), len(before.Points))
	}
	for i, p := range before.Points {
		if q := after.Points[i]; q.T != p.T || q.Written != p.Written || q.Failed != p.Failed || q.Requests != p.Requests {
			t.Errorf("point %d: %+v after the resume, %+v before: want it unchanged", i, q, p)
		}
	}
	if last := before.Points[len(before.Points)-1].End(); after.Runs[1].T < last {
		t.Errorf("the resume starts at %v s, before the killed series ends (%v s)", after.Runs[1].T, last)
	}
	dom, others, img = openReport(t, html)
	checkOffline(t, dom, others)
	checkNotBlank(t, img)
	checkCharts(t, dom, *after)
	if !strings.HasPrefix(dom.Status, "finished") {
		t.Errorf("the resumed load's page says %q, want finished", dom.Status)
	}
}

// pageHasPoints reports whether the report at path draws a point.
func pageHasPoints(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), "<polyline")
}

// pointsDrawn is the number of points of the first line of the first
// chart.
func pointsDrawn(dom domPage) int {
	if len(dom.Charts) == 0 {
		return 0
	}
	n := 0
	first := dom.Charts[0].Lines[0].Name
	for _, l := range dom.Charts[0].Lines {
		if l.Name == first {
			n += len(l.Points)
		}
	}
	return n
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	must(t, err)
	must(t, os.WriteFile(to, b, 0o644))
}
