// Package report renders the HTML report of a load or a verification:
// one self-contained file (no script, style, font or image from
// elsewhere; its Content-Security-Policy forbids fetching any) with the
// charts of the load's time series drawn as inline SVG, the plan, the
// summary, the refusals grouped by the server's reason and the settings.
package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"os"
	"path/filepath"

	"github.com/minio-to-fhir/minio-to-fhir/internal/series"
)

// Page is what a report shows. Everything in it is printed as given:
// the caller leaves secrets out.
type Page struct {
	Title     string // "Upload report"
	Subtitle  string // e.g. the source and the destination
	Status    string // "running", "finished", ...
	Generated string // when it was written, as text
	// Refresh makes a browser reload the page every so many seconds (a
	// report rewritten during the load); 0 for none.
	Refresh int
	// ETA is the estimate of the time left, as text; "" when none.
	ETA      string
	Summary  []KV
	Settings []KV
	Plan     []Step
	Tables   []Table
	Charts   []Chart
	Refusals []series.Refusal
	// Notes are paragraphs at the end (what was compared, ...).
	Notes []string
}

// KV is a name and its value.
type KV struct{ K, V string }

// Step is one step of the plan.
type Step struct {
	N         int
	Types     string
	Files     int
	Resources string
	// FileList names its files (with their resources), the first
	// MaxFiles of them; More counts the others.
	FileList []string
	More     int
}

// MaxFiles bounds the files a step lists.
const MaxFiles = 50

// Table is a table with a title, a head row and rows; Examples lists
// lines of examples under it.
type Table struct {
	Title    string
	Head     []string
	Rows     [][]string
	Examples []Examples
}

// Examples are a few examples of one kind, out of Total.
type Examples struct {
	Title string
	Total int
	Lines []string
}

//go:embed page.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"add": func(a, b int) int { return a + b },
	"sub": func(a, b int) int { return a - b },
}).Parse(pageTemplate))

// Render writes the page's HTML.
func Render(w io.Writer, p *Page) error {
	return tmpl.Execute(w, p)
}

// Write renders the page to path atomically: a browser (or a person
// reloading it during the load) never sees half a page. It makes the
// folder if needed.
func Write(path string, p *Page) error {
	var b bytes.Buffer
	if err := Render(&b, p); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("html report %s: %w", path, err)
	}
	_, werr := tmp.Write(b.Bytes())
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(tmp.Name(), 0o644)
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("html report: %w", werr)
	}
	return nil
}
