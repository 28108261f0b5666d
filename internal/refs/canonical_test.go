package refs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCanonicals(t *testing.T) {
	tests := []struct {
		name, typ, in string
		url           string
		values        []string
	}{
		{"library depends on library", "Library",
			`{"resourceType":"Library","id":"a","url":"http://ex.org/Library/a","relatedArtifact":[{"type":"depends-on","resource":"Library/b"},{"type":"documentation","url":"http://doc"},{"type":"depends-on","resource":"http://ex.org/Library/c|1.0"}]}`,
			"http://ex.org/Library/a", []string{"Library/b", "http://ex.org/Library/c|1.0"}},
		{"measure library and related artifact", "Measure",
			`{"resourceType":"Measure","id":"m","library":["Library/l1","Library/l2"],"relatedArtifact":[{"type":"citation","resource":"Library/l3"}]}`,
			"", []string{"Library/l1", "Library/l2", "Library/l3"}},
		{"plan definition: library and top-level action definitions", "PlanDefinition",
			`{"resourceType":"PlanDefinition","id":"p","library":["Library/x"],"action":[{"definitionCanonical":"ActivityDefinition/ad"},{"definitionUri":"http://not/canonical"},{"action":[{"definitionCanonical":"ActivityDefinition/nested"}]}]}`,
			"", []string{"Library/x", "ActivityDefinition/ad"}},
		{"questionnaire response", "QuestionnaireResponse",
			`{"resourceType":"QuestionnaireResponse","id":"q","questionnaire":"Questionnaire/q1","item":[{"linkId":"1"}]}`,
			"", []string{"Questionnaire/q1"}},
		{"care plan instantiates", "CarePlan",
			`{"resourceType":"CarePlan","id":"c","instantiatesCanonical":["PlanDefinition/p"],"subject":{"reference":"Patient/x"}}`,
			"", []string{"PlanDefinition/p"}},
		{"no canonical element named", "CarePlan", `{"resourceType":"CarePlan","id":"c","instantiatesUri":["http://x"]}`, "", nil},
		{"a type without canonicals", "Patient", `{"resourceType":"Patient","id":"p","questionnaire":"Questionnaire/q"}`, "", nil},
		{"url only", "Questionnaire", `{"resourceType":"Questionnaire","id":"q","url":"http://ex.org/Questionnaire/q"}`, "http://ex.org/Questionnaire/q", nil},
		{"not a string", "Library", `{"resourceType":"Library","url":5,"relatedArtifact":[{"resource":{"reference":"Library/b"}}]}`, "", nil},
		{"not JSON", "Library", `{"resourceType":"Library","relatedArtifact":[{"resource":"Library/b"}`, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, values := Canonicals(tt.typ, []byte(tt.in))
			if url != tt.url {
				t.Errorf("url: got %q, want %q", url, tt.url)
			}
			if diff := cmp.Diff(tt.values, values); diff != "" {
				t.Errorf("values (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitCanonical(t *testing.T) {
	for in, want := range map[string]string{
		"Library/a":                   "Library/a",
		"Library/a|1.0":               "Library/a",
		"http://ex.org/Library/a|1.0": "http://ex.org/Library/a",
		"http://ex.org/vs#frag":       "http://ex.org/vs",
		"":                            "",
	} {
		if got := SplitCanonical(in); got != want {
			t.Errorf("SplitCanonical(%q): got %q, want %q", in, got, want)
		}
	}
}
