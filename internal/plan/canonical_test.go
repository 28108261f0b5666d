package plan

import (
	"context"
	"testing"
)

// TestCanonicalDependencies: a canonical value orders its resource after
// the target when it is a relative Type/id, or an absolute URL equal to
// the url of a resource in the data, with or without |version; an
// absolute URL not in the data is no dependency.
func TestCanonicalDependencies(t *testing.T) {
	lib := func(id, url string, dependsOn ...string) string {
		ra := ""
		for i, d := range dependsOn {
			if i > 0 {
				ra += ","
			}
			ra += `{"type":"depends-on","resource":"` + d + `"}`
		}
		return `{"resourceType":"Library","id":"` + id + `","url":"` + url + `","relatedArtifact":[` + ra + `]}` + "\n"
	}
	tests := []struct {
		name  string
		files map[string]string
		// wave of each Library/id; dangling targets
		waves    map[string]int
		dangling []string
		cycles   int
	}{
		{
			name:  "relative",
			files: map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "Library/b") + lib("b", "http://ex.org/Library/b")},
			waves: map[string]int{"a": 1, "b": 0},
		},
		{
			name:  "relative with version",
			files: map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "Library/b|2.0") + lib("b", "http://ex.org/Library/b")},
			waves: map[string]int{"a": 1, "b": 0},
		},
		{
			name: "absolute, the url of a resource in the data",
			files: map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "http://ex.org/Library/other-name") +
				lib("b", "http://ex.org/Library/other-name")},
			waves: map[string]int{"a": 1, "b": 0},
		},
		{
			name: "absolute with version, a chain",
			files: map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "http://ex.org/Library/b|1.0.0") +
				lib("b", "http://ex.org/Library/b", "http://ex.org/Library/c|3") + lib("c", "http://ex.org/Library/c")},
			waves: map[string]int{"a": 2, "b": 1, "c": 0},
		},
		{
			name:  "absolute, not in the data: no dependency, not dangling",
			files: map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "http://elsewhere.org/Library/x") + lib("b", "http://ex.org/Library/b")},
			waves: map[string]int{"a": 0, "b": 0},
		},
		{
			name:     "relative, not in the data: dangling",
			files:    map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "Library/gone")},
			waves:    map[string]int{"a": 0},
			dangling: []string{"Library/gone"},
		},
		{
			name: "a cycle through a url and a relative reference",
			files: map[string]string{"Library.ndjson": lib("a", "http://ex.org/Library/a", "http://ex.org/Library/b") +
				lib("b", "http://ex.org/Library/b", "Library/a")},
			waves:  map[string]int{"a": 0, "b": 0},
			cycles: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Build(context.Background(), listDir(t, tt.files), Options{Order: OrderData})
			if err != nil {
				t.Fatal(err)
			}
			a := p.Analysis
			for id, want := range tt.waves {
				if got := place(t, a, "Library", id).Wave; got != want {
					t.Errorf("Library/%s: wave %d, want %d", id, got, want)
				}
			}
			if a.Cycles != tt.cycles {
				t.Errorf("cycles: got %d, want %d", a.Cycles, tt.cycles)
			}
			var dangling []string
			for _, d := range a.Dangling {
				dangling = append(dangling, d.To)
			}
			if len(dangling) != len(tt.dangling) || len(dangling) > 0 && dangling[0] != tt.dangling[0] {
				t.Errorf("dangling: got %v, want %v", dangling, tt.dangling)
			}
		})
	}
}

// TestCanonicalTypeOrder: Measure.library and PlanDefinition.library put
// Library in an earlier step, and ActivityDefinition before
// PlanDefinition (action.definitionCanonical by url).
func TestCanonicalTypeOrder(t *testing.T) {
	files := listDir(t, map[string]string{
		"Measure.ndjson":            `{"resourceType":"Measure","id":"m","url":"http://ex.org/Measure/m","library":["http://ex.org/Library/l|1"]}` + "\n",
		"PlanDefinition.ndjson":     `{"resourceType":"PlanDefinition","id":"p","library":["Library/l"],"action":[{"definitionCanonical":"http://ex.org/ActivityDefinition/ad"}]}` + "\n",
		"ActivityDefinition.ndjson": `{"resourceType":"ActivityDefinition","id":"ad","url":"http://ex.org/ActivityDefinition/ad"}` + "\n",
		"Library.ndjson":            `{"resourceType":"Library","id":"l","url":"http://ex.org/Library/l"}` + "\n",
	})
	p, err := Build(context.Background(), files, Options{Order: OrderData})
	if err != nil {
		t.Fatal(err)
	}
	step := map[string]int{}
	for i, st := range p.Steps {
		for _, typ := range st.Types {
			step[typ] = i
		}
	}
	for _, e := range [][2]string{{"Measure", "Library"}, {"PlanDefinition", "Library"}, {"PlanDefinition", "ActivityDefinition"}} {
		if step[e[0]] <= step[e[1]] {
			t.Errorf("%s in step %d, not after %s (step %d)", e[0], step[e[0]], e[1], step[e[1]])
		}
	}
	if got := p.Analysis.Canonical; got != 2 {
		t.Errorf("canonical references by url: got %d, want 2", got)
	}
}
