package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
)

// The geometry of a chart, in SVG user units.
const (
	chartW  = 760
	chartH  = 220
	plotX   = 64 // left margin: the y labels
	plotY   = 12
	plotW   = chartW - plotX - 16
	plotH   = chartH - plotY - 34 // bottom margin: the x labels
	maxTick = 6
)

// Chart is one chart: lines over the time of the load.
type Chart struct {
	ID    string
	Title string
	Unit  string
	Lines []Line
	// Geometry and scale, also on the <svg> as data- attributes, so
	// that the drawn points can be read back.
	X, Y, W, H int
	YMax, TMax float64
	YTicks     []Tick
	XTicks     []Tick
	Resumes    []Tick // a vertical mark where a resumed run starts
	Empty      bool
}

// Line is one line of a chart: a polyline per run of the load.
type Line struct {
	Name     string
	Color    string
	Segments []string // SVG points attributes
	Last     string   // its last value, as text
}

// Tick is a labelled position on an axis.
type Tick struct {
	Pos   float64
	Label string
}

// lineDef says how to draw one line: its value at a point.
type lineDef struct {
	name, color string
	value       func(series.Point) float64
}

// Palette: distinguishable in colour and in grey.
const (
	blue   = "#1f77b4"
	orange = "#e07b00"
	red    = "#c62828"
	green  = "#2e7d32"
	purple = "#6a3d9a"
	grey   = "#616161"
	brown  = "#8c564b"
)

var nodeColors = []string{blue, orange, green, purple, brown, grey, red}

// Charts are the charts of a load's series.
func Charts(s series.Series) []Chart {
	perSec := func(f func(series.Point) int) func(series.Point) float64 {
		return func(p series.Point) float64 {
			if p.Seconds <= 0 {
				return 0
			}
			return float64(f(p)) / p.Seconds
		}
	}
	out := []Chart{
		newChart(s, "rate", "Resources confirmed", "per second", []lineDef{
			{"written", green, perSec(func(p series.Point) int { return p.Written })},
			{"unchanged", blue, perSec(func(p series.Point) int { return p.Unchanged })},
			{"failed", red, perSec(func(p series.Point) int { return p.Failed })},
		}),
		newChart(s, "inflight", "Bundles in flight and the limit", "", []lineDef{
			{"in flight (mean)", blue, func(p series.Point) float64 { return p.InFlight }},
			{"limit", orange, func(p series.Point) float64 { return float64(p.Limit) }},
		}),
		newChartGaps(s, NoRequests, "latency", "Request latency", "ms", []lineDef{
			{"p50", green, func(p series.Point) float64 { return p.P50 }},
			{"p95", orange, func(p series.Point) float64 { return p.P95 }},
			{"max", red, func(p series.Point) float64 { return p.Max }},
		}),
		newChart(s, "retries", "Retries by cause (per interval)", "", []lineDef{
			{"network", grey, func(p series.Point) float64 { return float64(p.Retries.Network) }},
			{"408", brown, func(p series.Point) float64 { return float64(p.Retries.Timeout) }},
			{"429", orange, func(p series.Point) float64 { return float64(p.Retries.Throttle) }},
			{"5xx", red, func(p series.Point) float64 { return float64(p.Retries.Server) }},
			{"conflict", purple, func(p series.Point) float64 { return float64(p.Retries.Conflict) }},
			{"other", blue, func(p series.Point) float64 { return float64(p.Retries.Other) }},
		}),
	}
	if len(s.Nodes) > 1 {
		var defs []lineDef
		for i, n := range s.Nodes {
			defs = append(defs, lineDef{n, nodeColors[i%len(nodeColors)], perSec(func(p series.Point) int {
				if i < len(p.Nodes) {
					return p.Nodes[i].Resources
				}
				return 0
			})})
		}
		out = append(out, newChart(s, "nodes", "Resources answered by node", "per second", defs))
	}
	out = append(out,
		newChart(s, "cpu", "Client CPU", "cores", []lineDef{
			{"cpu", purple, func(p series.Point) float64 { return p.CPU }},
		}),
		newChart(s, "rss", "Client memory (resident)", "MiB", []lineDef{
			{"rss", brown, func(p series.Point) float64 { return float64(p.RSS) / (1 << 20) }},
		}),
	)
	return out
}

// NoRequests says a point had no request answered: it has no latency,
// and the latency chart leaves a gap there rather than draw a 0.
func NoRequests(p series.Point) bool { return p.Requests == 0 }

// newChart draws defs over the points of s.
func newChart(s series.Series, id, title, unit string, defs []lineDef) Chart {
	return newChartGaps(s, nil, id, title, unit, defs)
}

// newChartGaps draws defs over the points of s but those gap says have no
// value; a line is broken there, and where a resumed run starts.
func newChartGaps(s series.Series, gap func(series.Point) bool, id, title, unit string, defs []lineDef) Chart {
	c := Chart{ID: id, Title: title, Unit: unit, X: plotX, Y: plotY, W: plotW, H: plotH}
	if n := len(s.Points); n > 0 {
		c.TMax = s.Points[n-1].End()
	}
	c.Empty = len(s.Points) == 0 || c.TMax <= 0
	top := 0.0
	for _, d := range defs {
		for _, p := range s.Points {
			top = math.Max(top, d.value(p))
		}
	}
	c.YMax = niceCeil(top)
	for i := 0; i <= 4; i++ {
		v := c.YMax * float64(i) / 4
		c.YTicks = append(c.YTicks, Tick{Pos: c.y(v), Label: short(v)})
	}
	if !c.Empty {
		step := niceStep(c.TMax / maxTick)
		for t := 0.0; t <= c.TMax+1e-9; t += step {
			c.XTicks = append(c.XTicks, Tick{Pos: c.x(t), Label: clock(t)})
		}
		for _, r := range s.Runs[min(1, len(s.Runs)):] {
			c.Resumes = append(c.Resumes, Tick{Pos: c.x(r.T), Label: "resumed"})
		}
	}
	for _, d := range defs {
		l := Line{Name: d.name, Color: d.color}
		var seg []string
		run := 0
		for _, p := range s.Points {
			for run+1 < len(s.Runs) && p.T >= s.Runs[run+1].T {
				run++
				if len(seg) > 0 {
					l.Segments = append(l.Segments, strings.Join(seg, " "))
					seg = nil
				}
			}
			if gap != nil && gap(p) {
				if len(seg) > 0 {
					l.Segments = append(l.Segments, strings.Join(seg, " "))
					seg = nil
				}
				continue
			}
			v := d.value(p)
			seg = append(seg, num(c.x(p.T+p.Seconds/2))+","+num(c.y(v)))
			l.Last = short(v)
		}
		if len(seg) > 0 {
			l.Segments = append(l.Segments, strings.Join(seg, " "))
		}
		c.Lines = append(c.Lines, l)
	}
	return c
}

func (c Chart) x(t float64) float64 {
	if c.TMax <= 0 {
		return float64(c.X)
	}
	return float64(c.X) + t/c.TMax*float64(c.W)
}

func (c Chart) y(v float64) float64 {
	return float64(c.Y+c.H) - v/c.YMax*float64(c.H)
}

// num formats a coordinate with two decimals.
func num(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// niceCeil is the smallest of 1, 2, 2.5, 5 times a power of ten at or
// above v (1 for 0).
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v*(1-1e-12) {
			return m * p
		}
	}
	return 10 * p
}

// niceStep is a step of the time axis in seconds, at least d: 1, 2, 5,
// 10, 15, 30 s, 1, 2, 5, 10, 15, 30 min, 1, 2, 3, 6, 12 h, days.
func niceStep(d float64) float64 {
	for _, s := range []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400} {
		if s >= d {
			return s
		}
	}
	return math.Ceil(d/86400) * 86400
}

// clock writes seconds as 0:05, 1:30, 1:02:00, 2d 03:00.
func clock(t float64) string {
	s := int(math.Round(t))
	d, h, m := s/86400, s/3600%24, s/60%60
	s %= 60
	switch {
	case d > 0:
		return fmt.Sprintf("%dd %02d:%02d", d, h, m)
	case h > 0:
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// short writes a value with at most three significant digits.
func short(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e6:
		return strconv.FormatFloat(v/1e6, 'g', 3, 64) + "M"
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}
