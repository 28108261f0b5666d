package verify

import (
	"strings"
	"testing"
)

// The server sides below are what HAPI FHIR 8.8 answered on the test bed
// for the input sides (PUT, then GET), trimmed to the members that matter.
func TestCompare(t *testing.T) {
	tests := []struct {
		name       string
		input      string
		server     string
		wantNorms  Norm
		wantPath   string
		wantInput  string
		wantServer string
	}{
		{
			name:   "identical",
			input:  `{"resourceType":"Patient","id":"a","active":true,"name":[{"family":"  Smith  "}]}`,
			server: `{"resourceType":"Patient","id":"a","active":true,"name":[{"family":"  Smith  "}]}`,
		},
		{
			name:   "member order does not matter",
			input:  `{"id":"a","resourceType":"Patient","birthDate":"1970-01-01","active":true}`,
			server: `{"resourceType":"Patient","id":"a","active":true,"birthDate":"1970-01-01"}`,
		},
		{
			name:   "server-owned meta ignored, meta added by the server",
			input:  `{"resourceType":"Patient","id":"a"}`,
			server: `{"resourceType":"Patient","id":"a","meta":{"versionId":"3","lastUpdated":"2026-12-01T11:36:38.834+00:00","source":"#06dDP9Ibkeui4lQG"}}`,
		},
		{
			name:   "server-owned meta of the input ignored too",
			input:  `{"resourceType":"Patient","id":"a","meta":{"versionId":"7","lastUpdated":"2001-01-01T00:00:00Z","source":"abc","profile":["http://p"]}}`,
			server: `{"resourceType":"Patient","id":"a","meta":{"versionId":"1","lastUpdated":"2026-12-01T11:36:38.834+00:00","source":"abc#06dDP9Ibkeui4lQG","profile":["http://p"]}}`,
		},
		{
			name:      "empty values dropped",
			input:     `{"resourceType":"Observation","id":"o","telecom":[],"address":[{}],"valueString":"   ","interpretation":[{"text":""}],"note":[{"text":"x"},null],"code":{"text":"x","coding":null}}`,
			server:    `{"resourceType":"Observation","id":"o","note":[{"text":"x"}],"code":{"text":"x"}}`,
			wantNorms: NormEmpty,
		},
		{
			name:      "decimal notation",
			input:     `{"resourceType":"Observation","id":"o","component":[{"valueQuantity":{"value":1e2}},{"valueQuantity":{"value":-0.0}},{"valueQuantity":{"value":1E-7}},{"valueQuantity":{"value":1.50}}]}`,
			server:    `{"resourceType":"Observation","id":"o","component":[{"valueQuantity":{"value":100}},{"valueQuantity":{"value":0.0}},{"valueQuantity":{"value":0.0000001}},{"valueQuantity":{"value":1.50}}]}`,
			wantNorms: NormDecimal,
		},
		{
			name:      "narrative written again",
			input:     `{"resourceType":"Patient","id":"b","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">\n  <!-- c -->\n  <p class=\"x\" id=\"q\">a&lt;b &#169; &copy;<br></br></p>\n</div>"}}`,
			server:    `{"resourceType":"Patient","id":"b","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">\n      <!-- c -->\n  <p id=\"q\" class=\"x\">a&lt;b © ©<br/></p>\n</div>"}}`,
			wantNorms: NormNarrative,
		},
		{
			name:      "meta sets sorted and de-duplicated",
			input:     `{"resourceType":"Patient","id":"b","meta":{"profile":["http://z/p2","http://a/p1"],"tag":[{"system":"http://z","code":"z"},{"system":"http://a","code":"a"},{"system":"http://a","code":"a"}]}}`,
			server:    `{"resourceType":"Patient","id":"b","meta":{"versionId":"1","profile":["http://a/p1","http://z/p2"],"tag":[{"code":"a","system":"http://a"},{"system":"http://z","code":"z"}]}}`,
			wantNorms: NormMetaSet,
		},
		{
			name:      "reference version dropped",
			input:     `{"resourceType":"Observation","id":"o","hasMember":[{"reference":"Observation/o2/_history/1"}]}`,
			server:    `{"resourceType":"Observation","id":"o","hasMember":[{"reference":"Observation/o2"}]}`,
			wantNorms: NormRefVersion,
		},
		{
			name:      "several normalisations at once",
			input:     `{"resourceType":"Observation","id":"o","note":[],"valueQuantity":{"value":1e1}}`,
			server:    `{"resourceType":"Observation","id":"o","valueQuantity":{"value":10}}`,
			wantNorms: NormEmpty | NormDecimal,
		},
		{
			name:       "changed value",
			input:      `{"resourceType":"Observation","id":"o","status":"final","valueQuantity":{"value":5.4,"unit":"kg"}}`,
			server:     `{"resourceType":"Observation","id":"o","status":"final","valueQuantity":{"value":5.5,"unit":"kg"}}`,
			wantPath:   "Observation.valueQuantity.value",
			wantInput:  "5.4",
			wantServer: "5.5",
		},
		{
			name:      "decimal precision is a difference only when the value differs",
			input:     `{"resourceType":"Observation","id":"o","valueQuantity":{"value":1.50}}`,
			server:    `{"resourceType":"Observation","id":"o","valueQuantity":{"value":1.5}}`,
			wantNorms: NormDecimal,
		},
		{
			name:       "element the server does not keep (unknown to FHIR R4)",
			input:      `{"resourceType":"Patient","id":"a","active":true,"unknownElement":5}`,
			server:     `{"resourceType":"Patient","id":"a","active":true}`,
			wantPath:   "Patient.unknownElement",
			wantInput:  "5",
			wantServer: "(absent)",
		},
		{
			name:       "element added on the server",
			input:      `{"resourceType":"Patient","id":"a"}`,
			server:     `{"resourceType":"Patient","id":"a","gender":"female"}`,
			wantPath:   "Patient.gender",
			wantInput:  "(absent)",
			wantServer: `"female"`,
		},
		{
			name:       "array element changed, first difference reported",
			input:      `{"resourceType":"Patient","id":"a","name":[{"given":["A","B"]}],"telecom":[{"value":"1"}]}`,
			server:     `{"resourceType":"Patient","id":"a","name":[{"given":["A","C"]}],"telecom":[{"value":"2"}]}`,
			wantPath:   "Patient.name[0].given[1]",
			wantInput:  `"B"`,
			wantServer: `"C"`,
		},
		{
			name:       "array shorter on the server",
			input:      `{"resourceType":"Patient","id":"a","name":[{"family":"x"},{"family":"y"}]}`,
			server:     `{"resourceType":"Patient","id":"a","name":[{"family":"x"}]}`,
			wantPath:   "Patient.name[1]",
			wantInput:  `{"family":"y"}`,
			wantServer: "(absent)",
		},
		{
			name:       "extension order is kept by the server, so a change of order is a difference",
			input:      `{"resourceType":"Patient","id":"a","extension":[{"url":"http://x/b","valueString":"b"},{"url":"http://x/a","valueString":"a"}]}`,
			server:     `{"resourceType":"Patient","id":"a","extension":[{"url":"http://x/a","valueString":"a"},{"url":"http://x/b","valueString":"b"}]}`,
			wantPath:   "Patient.extension[0].url",
			wantInput:  `"http://x/b"`,
			wantServer: `"http://x/a"`,
		},
		{
			name:       "whitespace inside strings is kept by the server",
			input:      `{"resourceType":"Patient","id":"a","name":[{"family":"Smith "}]}`,
			server:     `{"resourceType":"Patient","id":"a","name":[{"family":"Smith"}]}`,
			wantPath:   "Patient.name[0].family",
			wantInput:  `"Smith "`,
			wantServer: `"Smith"`,
		},
		{
			name:       "narrative text changed",
			input:      `{"resourceType":"Patient","id":"a","text":{"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann</div>"}}`,
			server:     `{"resourceType":"Patient","id":"a","text":{"div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Anne</div>"}}`,
			wantPath:   "Patient.text.div",
			wantInput:  `"<div xmlns=\"http://www.w3.org/1999/xhtml\">Ann</div>"`,
			wantServer: `"<div xmlns=\"http://www.w3.org/1999/xhtml\">Anne</div>"`,
		},
		{
			name:       "a div that is not the narrative is compared as a string",
			input:      `{"resourceType":"Basic","id":"a","extension":[{"url":"u","div":"<a></a>"}]}`,
			server:     `{"resourceType":"Basic","id":"a","extension":[{"url":"u","div":"<a/>"}]}`,
			wantPath:   "Basic.extension[0].div",
			wantInput:  `"<a></a>"`,
			wantServer: `"<a/>"`,
		},
		{
			name:       "meta.profile changed",
			input:      `{"resourceType":"Patient","id":"a","meta":{"profile":["http://a"]}}`,
			server:     `{"resourceType":"Patient","id":"a","meta":{"profile":["http://b"]}}`,
			wantPath:   "Patient.meta.profile[0]",
			wantInput:  `"http://a"`,
			wantServer: `"http://b"`,
		},
		{
			name:       "reference to another resource",
			input:      `{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/a/_history/2"}}`,
			server:     `{"resourceType":"Observation","id":"o","subject":{"reference":"Patient/b"}}`,
			wantPath:   "Observation.subject.reference",
			wantInput:  `"Patient/a/_history/2"`,
			wantServer: `"Patient/b"`,
		},
		{
			name:       "type of a value changed",
			input:      `{"resourceType":"Observation","id":"o","valueQuantity":{"value":5}}`,
			server:     `{"resourceType":"Observation","id":"o","valueQuantity":{"value":"5"}}`,
			wantPath:   "Observation.valueQuantity.value",
			wantInput:  "5",
			wantServer: `"5"`,
		},
		{
			name:       "normalisation and a genuine difference: the difference wins",
			input:      `{"resourceType":"Observation","id":"o","note":[],"status":"final"}`,
			server:     `{"resourceType":"Observation","id":"o","status":"amended"}`,
			wantNorms:  NormEmpty,
			wantPath:   "Observation.status",
			wantInput:  `"final"`,
			wantServer: `"amended"`,
		},
		{
			name:       "long values are shortened",
			input:      `{"resourceType":"Patient","id":"a","name":[{"text":"` + strings.Repeat("a", 100) + `"}]}`,
			server:     `{"resourceType":"Patient","id":"a","name":[{"text":"b"}]}`,
			wantPath:   "Patient.name[0].text",
			wantInput:  `"` + strings.Repeat("a", 76) + `...`,
			wantServer: `"b"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := Decode([]byte(tt.input))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := Decode([]byte(tt.server))
			if err != nil {
				t.Fatal(err)
			}
			d := Compare(in, srv)
			if d.Path != tt.wantPath || d.Input != tt.wantInput || d.Server != tt.wantServer {
				t.Errorf("got difference %q (%s vs %s), want %q (%s vs %s)", d.Path, d.Input, d.Server, tt.wantPath, tt.wantInput, tt.wantServer)
			}
			if d.Norms != tt.wantNorms {
				t.Errorf("got normalisations %q, want %q", d.Norms, tt.wantNorms)
			}
			if d.Same() != (tt.wantPath == "") {
				t.Errorf("got Same() %v, want %v", d.Same(), tt.wantPath == "")
			}
		})
	}
}

func TestCompareNotesConditionalReferences(t *testing.T) {
	in, _ := Decode([]byte(`{"resourceType":"Encounter","id":"e","serviceProvider":{"reference":"Organization?identifier=https://github.com/synthetichealth/synthea|x"}}`))
	srv, _ := Decode([]byte(`{"resourceType":"Encounter","id":"e","serviceProvider":{"reference":"Organization/abc"}}`))
	d := Compare(in, srv)
	want := Resolution{Path: "Encounter.serviceProvider.reference", Query: "Organization?identifier=https://github.com/synthetichealth/synthea|x", Target: "Organization/abc"}
	if !d.Same() || len(d.Conditional) != 1 || d.Conditional[0] != want {
		t.Errorf("got same %v, conditional %+v; want true, %+v", d.Same(), d.Conditional, want)
	}
}

func TestCompareLeavesArgumentsAlone(t *testing.T) {
	in, _ := Decode([]byte(`{"resourceType":"Patient","id":"a","meta":{"versionId":"2","profile":["p"]}}`))
	srv, _ := Decode([]byte(`{"resourceType":"Patient","id":"a","meta":{"versionId":"5","source":"#x"}}`))
	Compare(in, srv)
	if got := Version(srv); got != "5" {
		t.Errorf("got server version %q after Compare, want 5", got)
	}
	if got := Version(in); got != "2" {
		t.Errorf("got input version %q after Compare, want 2", got)
	}
}

func TestSameXHTML(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{`<div>a <b>b</b></div>`, `<div>a <b>b</b></div>`, true},
		{`<div>a&#160;b</div>`, "<div>a\u00a0b</div>", true},
		{`<div><br></br></div>`, `<div><br/></div>`, true},
		{`<div a="1" b="2"/>`, `<div b="2" a="1"></div>`, true},
		{"<div>\n  <p>x</p>\n</div>", `<div><p>x</p></div>`, true},
		{`<div>a</div>`, `<div>b</div>`, false},
		{`<div><p>a</p></div>`, `<div><span>a</span></div>`, false},
		{`<div a="1"/>`, `<div a="2"/>`, false},
		{`<div><!-- x --></div>`, `<div></div>`, false},
		{`<div>no ns x</div>`, `<div xmlns="http://www.w3.org/1999/xhtml">no ns x</div>`, true},
		{`<div xmlns="http://example.org/other">x</div>`, `<div xmlns="http://www.w3.org/1999/xhtml">x</div>`, false},
		{`<div xmlns="http://www.w3.org/1999/xhtml">a&nbsp;b &quot;q&quot; &apos; &#x41;<p>x</p>  </div>`, "<div xmlns=\"http://www.w3.org/1999/xhtml\">a\u00a0b &quot;q&quot; ' A<p>x</p>  </div>", true},
		{`<div>`, `<div></div>`, false},
	}
	for _, tt := range tests {
		if got := sameXHTML(tt.a, tt.b); got != tt.want {
			t.Errorf("sameXHTML(%q, %q): got %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
