package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// testSeries is a load of two runs (a resume at 20 s) on two nodes.
func testSeries() series.Series {
	s := series.Series{Job: "j", Interval: 5, Nodes: []string{"http://a:8080/fhir", "http://b:8080/fhir"},
		Runs: []series.Run{{T: 0}, {T: 20, Resumed: true}}}
	for i := range 6 {
		s.Points = append(s.Points, series.Point{
			T: float64(i * 5), Seconds: 5, Written: 100 * (i + 1), Unchanged: 10, Failed: i % 2,
			Requests: 4, InFlight: float64(i) / 2, Limit: 2 + i, P50: 120, P95: 300 + float64(i*10), Max: 900,
			Retries: series.Retries{Server: i % 3}, CPU: 0.25, RSS: 50 << 20,
			Nodes: []series.NodePoint{{Requests: 2, Resources: 60 * (i + 1)}, {Requests: 2, Resources: 50 + 40*i}},
		})
	}
	s.Refusals = []series.Refusal{{Status: 422, Reason: "HAPI-0522: Unable to store a Bundle <script>alert(1)</script>", Count: 2,
		Examples: []series.Example{{Resource: "Bundle/b1", Message: "HAPI-0522: Unable to store a Bundle <script>alert(1)</script>"}}}}
	return s
}

func testPage() *Page {
	s := testSeries()
	return &Page{
		Title: "Upload report", Subtitle: "data → http://a:8080/fhir", Status: "finished, 3 failed", Generated: "2026-01-02 03:04:05 UTC",
		ETA:      "About 1m left (an estimate)",
		Summary:  []KV{{"Resources", "1,234"}, {"Failed", "3"}},
		Settings: []KV{{"Authentication", "HTTP Basic"}},
		Plan: []Step{{N: 1, Types: "Organization, Patient", Files: 2, Resources: "40 resources",
			FileList: []string{"Organization.ndjson (Organization, 10 resources)"}, More: 1}},
		Tables: []Table{{Title: "By type", Head: []string{"Type", "Read"}, Rows: [][]string{{"Patient", "40"}},
			Examples: []Examples{{Title: "Missing", Total: 1, Lines: []string{"Patient/p1"}}}}},
		Charts:   Charts(s),
		Refusals: s.Refusals,
	}
}

func TestRenderGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, testPage()); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "page.golden.html")
	if *update {
		if err := os.WriteFile(golden, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./internal/report -update writes it)", err)
	}
	if !bytes.Equal(b.Bytes(), want) {
		t.Errorf("page differs from %s (go test ./internal/report -update rewrites it)", golden)
	}
}

// TestSelfContained: nothing in the page points elsewhere, and the
// server's words are escaped.
func TestSelfContained(t *testing.T) {
	var b bytes.Buffer
	if err := Render(&b, testPage()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script", " src=", " href=", "url(", "@import", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("got %q in the page, want none", bad)
		}
	}
	for _, m := range regexp.MustCompile(`https?://[^"<\s]+`).FindAllString(page, -1) {
		if m != "http://www.w3.org/2000/svg" && !strings.HasPrefix(m, "http://a:8080") && !strings.HasPrefix(m, "http://b:8080") {
			t.Errorf("got the address %s in the page, want only the namespace and the nodes' names", m)
		}
	}
	if !strings.Contains(page, "default-src 'none'") {
		t.Error("got no Content-Security-Policy forbidding fetches")
	}
}

// TestChartPoints reads the drawn points back through the chart's scale
// and compares them with the series.
func TestChartPoints(t *testing.T) {
	s := testSeries()
	charts := Charts(s)
	byID := map[string]Chart{}
	for _, c := range charts {
		byID[c.ID] = c
	}
	tests := []struct {
		chart, line string
		want        func(series.Point) float64
	}{
		{"rate", "written", func(p series.Point) float64 { return float64(p.Written) / p.Seconds }},
		{"rate", "failed", func(p series.Point) float64 { return float64(p.Failed) / p.Seconds }},
		{"inflight", "limit", func(p series.Point) float64 { return float64(p.Limit) }},
		{"latency", "p95", func(p series.Point) float64 { return p.P95 }},
		{"retries", "5xx", func(p series.Point) float64 { return float64(p.Retries.Server) }},
		{"nodes", "http://b:8080/fhir", func(p series.Point) float64 { return float64(p.Nodes[1].Resources) / p.Seconds }},
		{"rss", "rss", func(p series.Point) float64 { return 50 }},
	}
	for _, tt := range tests {
		t.Run(tt.chart+"/"+tt.line, func(t *testing.T) {
			c, ok := byID[tt.chart]
			if !ok {
				t.Fatalf("no chart %s", tt.chart)
			}
			var pts [][2]float64
			for _, l := range c.Lines {
				if l.Name != tt.line {
					continue
				}
				if len(l.Segments) != 2 {
					t.Errorf("got %d segments, want 2 (one a run)", len(l.Segments))
				}
				for _, seg := range l.Segments {
					for xy := range strings.FieldsSeq(seg) {
						x, y, _ := strings.Cut(xy, ",")
						fx, _ := strconv.ParseFloat(x, 64)
						fy, _ := strconv.ParseFloat(y, 64)
						pts = append(pts, [2]float64{fx, fy})
					}
				}
			}
			if len(pts) != len(s.Points) {
				t.Fatalf("got %d points, want %d", len(pts), len(s.Points))
			}
			for i, p := range s.Points {
				tm := (pts[i][0] - float64(c.X)) / float64(c.W) * c.TMax
				v := (float64(c.Y+c.H) - pts[i][1]) / float64(c.H) * c.YMax
				if d := tm - (p.T + p.Seconds/2); d > 0.05 || d < -0.05 {
					t.Errorf("point %d at %v s, want %v", i, tm, p.T+p.Seconds/2)
				}
				if d := v - tt.want(p); d > c.YMax/500 || d < -c.YMax/500 {
					t.Errorf("point %d is %v, want %v", i, v, tt.want(p))
				}
			}
		})
	}
}

func TestNiceCeil(t *testing.T) {
	tests := []struct{ in, want float64 }{{0, 1}, {0.3, 0.5}, {1, 1}, {7, 10}, {120, 200}, {2400, 2500}}
	for _, tt := range tests {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%v): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestLatencyGaps: a point without a request has no latency: the latency
// chart breaks its lines there instead of drawing a 0; the others do not.
func TestLatencyGaps(t *testing.T) {
	s := series.Series{Interval: 5, Runs: []series.Run{{T: 0}}}
	for i := range 5 {
		req := 2
		if i == 2 {
			req = 0
		}
		s.Points = append(s.Points, series.Point{T: float64(i * 5), Seconds: 5, Requests: req, P50: 100, Max: 200, Written: 10})
	}
	for _, c := range Charts(s) {
		want := map[string]int{"latency": 2}[c.ID]
		if want == 0 {
			want = 1
		}
		for _, l := range c.Lines {
			if len(l.Segments) != want {
				t.Errorf("chart %s, line %s: got %d segments, want %d", c.ID, l.Name, len(l.Segments), want)
			}
		}
	}
}
