//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"net/url"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/report"
	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
)

// domChart is a chart as the browser drew it: its scale (the <svg>'s
// data- attributes) and the points of its polylines, by line.
type domChart struct {
	ID    string     `json:"id"`
	X     float64    `json:"x"`
	Y     float64    `json:"y"`
	W     float64    `json:"w"`
	H     float64    `json:"h"`
	YMax  float64    `json:"ymax"`
	TMax  float64    `json:"tmax"`
	Lines []domLine  `json:"lines"`
	Box   [2]float64 `json:"box"` // the drawn size of the svg
}

type domLine struct {
	Name   string       `json:"name"`
	Points [][2]float64 `json:"points"`
	Width  float64      `json:"width"` // of its bounding box
}

// domPage is what a report looks like in the browser.
type domPage struct {
	Charts    []domChart `json:"charts"`
	Status    string     `json:"status"`
	Refusals  string     `json:"refusals"`
	Fetchers  int        `json:"fetchers"`  // elements that could fetch: [src], [href], link, script, iframe
	Resources int        `json:"resources"` // the page's resource timing entries
	Title     string     `json:"title"`
	Tables    string     `json:"tables"` // the text of the tables and their examples
}

// readDOM reads the charts and a few facts from the rendered page.
const readDOM = `(() => ({
	charts: Array.from(document.querySelectorAll('svg.chart')).map(s => ({
		id: s.dataset.chart, x: +s.dataset.x, y: +s.dataset.y, w: +s.dataset.w, h: +s.dataset.h,
		ymax: +s.dataset.ymax, tmax: +s.dataset.tmax,
		box: [s.getBoundingClientRect().width, s.getBoundingClientRect().height],
		lines: Array.from(s.querySelectorAll('polyline')).map(p => ({
			name: p.dataset.line,
			points: Array.from(p.points).map(q => [q.x, q.y]),
			width: p.getBBox().width,
		})),
	})),
	status: (document.getElementById('status') || {}).textContent || '',
	refusals: (document.getElementById('refusals') || {}).textContent || '',
	fetchers: document.querySelectorAll('[src], [href], link, script, iframe, object, embed').length,
	resources: performance.getEntriesByType('resource').length,
	title: document.title,
	tables: Array.from(document.querySelectorAll('table, ul')).map(e => e.textContent).join('\n'),
}))()`

// openReport opens the HTML report at path in headless Chromium (Debian's
// package, which scripts/test installs), records every request the page
// makes, reads the rendered DOM and takes a screenshot.
func openReport(t *testing.T, path string) (domPage, []string, image.Image) {
	t.Helper()
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (scripts/test installs Debian's package: apt-get install chromium): %v", err)
	}
	abs, err := filepath.Abs(path)
	must(t, err)
	page := (&url.URL{Scheme: "file", Path: abs}).String()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1100, 900))
	// Generous: on a shared, overloaded machine Chromium has taken
	// minutes to start.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var requests []string
	if err := chromedp.Listen(bctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			mu.Lock()
			requests = append(requests, e.Request.URL)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(bctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	must(t, chromedp.Do(bctx, chromedp.Navigate(page), chromedp.WaitReady(chromedp.CSS("body"))))
	dom, err := chromedp.Run(bctx, chromedp.Evaluate[domPage](readDOM))
	must(t, err)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	must(t, err)
	img, _, err := image.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	var others []string
	sawPage := false
	for _, u := range requests {
		if u == page {
			sawPage = true
			continue
		}
		others = append(others, u)
	}
	if !sawPage {
		t.Fatalf("the browser reported no request for the page itself (%v): the network listener sees nothing", requests)
	}
	return dom, others, img
}

// checkOffline fails the test if the page made, or could make, a request.
func checkOffline(t *testing.T, dom domPage, others []string) {
	t.Helper()
	if len(others) > 0 {
		t.Errorf("the page made %d network requests, want none: %v", len(others), others)
	}
	if dom.Fetchers != 0 || dom.Resources != 0 {
		t.Errorf("the page has %d elements that fetch and %d resource loads, want none", dom.Fetchers, dom.Resources)
	}
}

// checkNotBlank fails the test if the screenshot is (nearly) one colour.
func checkNotBlank(t *testing.T, img image.Image) {
	t.Helper()
	b := img.Bounds()
	colours := map[color.RGBA]bool{}
	ink := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			c := color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), 255}
			colours[c] = true
			if r>>8 < 200 || g>>8 < 200 || bl>>8 < 200 {
				ink++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	if len(colours) < 8 || ink*200 < total {
		t.Errorf("the screenshot looks blank: %d colours, %d of %d sampled pixels dark", len(colours), ink, total)
	}
}

// chartValues are the values each chart draws for a point of the series,
// by chart and line: what the page must show.
var chartValues = map[string]map[string]func(series.Point) float64{
	"rate": {
		"written":   func(p series.Point) float64 { return float64(p.Written) / p.Seconds },
		"unchanged": func(p series.Point) float64 { return float64(p.Unchanged) / p.Seconds },
		"failed":    func(p series.Point) float64 { return float64(p.Failed) / p.Seconds },
	},
	"inflight": {
		"in flight (mean)": func(p series.Point) float64 { return p.InFlight },
		"limit":            func(p series.Point) float64 { return float64(p.Limit) },
	},
	"latency": {
		"p50": func(p series.Point) float64 { return p.P50 },
		"p95": func(p series.Point) float64 { return p.P95 },
		"max": func(p series.Point) float64 { return p.Max },
	},
	"retries": {
		"5xx":     func(p series.Point) float64 { return float64(p.Retries.Server) },
		"network": func(p series.Point) float64 { return float64(p.Retries.Network) },
	},
	"cpu": {"cpu": func(p series.Point) float64 { return p.CPU }},
	"rss": {"rss": func(p series.Point) float64 { return float64(p.RSS) / (1 << 20) }},
}

// checkCharts compares every chart's drawn points with the series: one
// point per point of the series, at its time and value (read back through
// the chart's scale), on one polyline per run; the latency chart leaves
// out the points without a request (a gap, not a 0).
func checkCharts(t *testing.T, dom domPage, all series.Series) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range dom.Charts {
		seen[c.ID] = true
		if c.Box[0] < 100 || c.Box[1] < 50 {
			t.Errorf("chart %s is drawn %v px, want a visible chart", c.ID, c.Box)
		}
		s := all
		if c.ID == "latency" {
			s.Points = nil
			for _, p := range all.Points {
				if !report.NoRequests(p) {
					s.Points = append(s.Points, p)
				}
			}
		}
		for name, value := range chartValues[c.ID] {
			var pts [][2]float64
			segments := 0
			for _, l := range c.Lines {
				if l.Name == name {
					pts = append(pts, l.Points...)
					segments++
					if len(l.Points) > 1 && l.Width <= 0 {
						t.Errorf("chart %s, line %s: drawn with no width", c.ID, name)
					}
				}
			}
			if len(pts) != len(s.Points) {
				t.Errorf("chart %s, line %s: %d points drawn, want %d (the series')", c.ID, name, len(pts), len(s.Points))
				continue
			}
			if c.ID != "latency" && segments != len(s.Runs) || segments < len(s.Runs) {
				t.Errorf("chart %s, line %s: %d polylines, want %d (one a run)", c.ID, name, segments, len(s.Runs))
			}
			for i, p := range s.Points {
				tm := (pts[i][0] - c.X) / c.W * c.TMax
				v := (c.Y + c.H - pts[i][1]) / c.H * c.YMax
				if mid := p.T + p.Seconds/2; math.Abs(tm-mid) > c.TMax/1000+0.01 {
					t.Errorf("chart %s, line %s, point %d: at %.3f s, want %.3f", c.ID, name, i, tm, mid)
				}
				if want := value(p); math.Abs(v-want) > c.YMax/1000+1e-9 {
					t.Errorf("chart %s, line %s, point %d: %.4g, want %.4g", c.ID, name, i, v, want)
				}
			}
		}
	}
	for id := range chartValues {
		if !seen[id] {
			t.Errorf("no chart %s in the page", id)
		}
	}
}
