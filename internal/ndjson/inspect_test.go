package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestInspect(t *testing.T) {
	id64 := strings.Repeat("a", 64)
	tests := []struct {
		name    string
		in      string
		want    Meta
		wantErr error // nil: success
	}{
		{
			name: "valid",
			in:   `{"resourceType":"Patient","id":"p1","name":[{"family":"Doe"}]}`,
			want: Meta{Type: "Patient", ID: "p1"},
		},
		{
			name: "spaces and id first",
			in:   " \t{ \"id\" : \"a.B-9\" ,\r\n \"resourceType\" : \"Observation\" }  ",
			want: Meta{Type: "Observation", ID: "a.B-9"},
		},
		{
			name: "fields after type and id",
			in:   `{"resourceType":"Encounter","id":"e","status":"finished","period":{"start":"2020"},"n":1.50,"b":true,"x":null}`,
			want: Meta{Type: "Encounter", ID: "e"},
		},
		{
			name: "numeric id is left to the server",
			in:   `{"resourceType":"Patient","id":"12345"}`,
			want: Meta{Type: "Patient", ID: "12345"},
		},
		{
			name: "id of 64 characters",
			in:   `{"resourceType":"Patient","id":"` + id64 + `"}`,
			want: Meta{Type: "Patient", ID: id64},
		},
		{
			name: "escaped key and values",
			in:   `{"resource\u0054ype":"Pat\u0069ent","i\u0064":"a\u002Db"}`,
			want: Meta{Type: "Patient", ID: "a-b"},
		},
		{
			name: "escaped quotes and backslashes elsewhere",
			in:   `{"text":"say \"id\":\"x\" \\","a\"b\\":{"c":"\\\""},"resourceType":"Patient","id":"p"}`,
			want: Meta{Type: "Patient", ID: "p"},
		},
		{
			name: "nested type and id are not the resource's",
			in:   `{"contained":[{"resourceType":"Medication","id":"m1"}],"meta":{"id":"x","resourceType":"Y"},"resourceType":"MedicationRequest","id":"r1"}`,
			want: Meta{Type: "MedicationRequest", ID: "r1"},
		},
		{
			name: "nested values of every kind before the keys",
			in:   `{"a":[1,[2,{"id":"n"}],"]",{}],"b":{"c":{"d":[]}},"e":-1e3,"resourceType":"Patient","id":"p"}`,
			want: Meta{Type: "Patient", ID: "p"},
		},
		{
			name:    "nested id only",
			in:      `{"resourceType":"Patient","extension":[{"id":"nested"}],"meta":{"id":"m"}}`,
			want:    Meta{Type: "Patient"},
			wantErr: ErrNoID,
		},
		{
			name:    "nested resourceType only",
			in:      `{"contained":[{"resourceType":"Patient","id":"x"}],"id":"y"}`,
			want:    Meta{ID: "y"},
			wantErr: ErrNoType,
		},
		{name: "invalid JSON", in: `{"resourceType":"Patient",}`, wantErr: ErrNotJSON},
		{name: "truncated", in: `{"resourceType":"Patient","id":"p`, wantErr: ErrNotJSON},
		{name: "two values", in: `{"resourceType":"Patient","id":"p"}{}`, wantErr: ErrNotJSON},
		{name: "empty", in: ``, wantErr: ErrNotJSON},
		{name: "array", in: `[{"resourceType":"Patient","id":"p"}]`, wantErr: ErrNotObject},
		{name: "string", in: `"Patient"`, wantErr: ErrNotObject},
		{name: "number", in: `12`, wantErr: ErrNotObject},
		{name: "null", in: `null`, wantErr: ErrNotObject},
		{name: "no resourceType", in: `{"id":"p"}`, want: Meta{ID: "p"}, wantErr: ErrNoType},
		{name: "empty object", in: `{}`, wantErr: ErrNoType},
		{name: "empty resourceType", in: `{"resourceType":"","id":"p"}`, want: Meta{ID: "p"}, wantErr: ErrNoType},
		{name: "resourceType not a string", in: `{"resourceType":1,"id":"p"}`, wantErr: ErrInvalidType},
		{name: "resourceType null", in: `{"resourceType":null,"id":"p"}`, wantErr: ErrInvalidType},
		{name: "no id", in: `{"resourceType":"Patient"}`, want: Meta{Type: "Patient"}, wantErr: ErrNoID},
		{name: "id a number", in: `{"resourceType":"Patient","id":12}`, wantErr: ErrInvalidID},
		{name: "empty id", in: `{"resourceType":"Patient","id":""}`, want: Meta{Type: "Patient"}, wantErr: ErrInvalidID},
		{name: "id with a slash", in: `{"resourceType":"Patient","id":"a/b"}`, want: Meta{Type: "Patient", ID: "a/b"}, wantErr: ErrInvalidID},
		{name: "id with a space", in: `{"resourceType":"Patient","id":"a b"}`, want: Meta{Type: "Patient", ID: "a b"}, wantErr: ErrInvalidID},
		{name: "id with an underscore", in: `{"resourceType":"Patient","id":"a_b"}`, want: Meta{Type: "Patient", ID: "a_b"}, wantErr: ErrInvalidID},
		{name: "id with a non-ASCII letter", in: `{"resourceType":"Patient","id":"é"}`, want: Meta{Type: "Patient", ID: "é"}, wantErr: ErrInvalidID},
		{name: "id over 64 characters", in: `{"resourceType":"Patient","id":"` + id64 + `b"}`, want: Meta{Type: "Patient", ID: id64 + "b"}, wantErr: ErrInvalidID},
		{name: "invalid UTF-8", in: "{\"resourceType\":\"Patient\",\"id\":\"p\",\"name\":\"\xff\"}", wantErr: ErrNotUTF8},
		{
			name: "repeated keys: the last wins, as for encoding/json",
			in:   `{"resourceType":"Basic","id":"a","resourceType":"Patient","id":"b"}`,
			want: Meta{Type: "Patient", ID: "b"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Inspect([]byte(tt.in))
			if tt.wantErr == nil && err != nil || !errors.Is(err, tt.wantErr) {
				t.Fatalf("err: got %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil && tt.want == (Meta{}) {
				return // what was read before the error does not matter
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCheckID(t *testing.T) {
	tests := []struct {
		name string
		id   string
		ok   bool
	}{
		{"letters digits dash dot", "Ab-9.z", true},
		{"one character", "1", true},
		{"64 characters", strings.Repeat("7", 64), true},
		{"65 characters", strings.Repeat("7", 65), false},
		{"empty", "", false},
		{"slash", "a/b", false},
		{"colon", "urn:x", false},
		{"underscore", "a_b", false},
		{"newline", "a\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckID(tt.id)
			if (err == nil) != tt.ok {
				t.Fatalf("CheckID(%q) = %v, want ok %v", tt.id, err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidID) {
				t.Errorf("got %v, want an error wrapping %v", err, ErrInvalidID)
			}
		})
	}
}

func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"p1"}`,
		`{"contained":[{"resourceType":"Medication","id":"m1"}],"resourceType":"MedicationRequest","id":"r1"}`,
		`{"resource\u0054ype":"Pat\u0069ent","i\u0064":"a\u002Db","x":"\\\""}`,
		`{"resourceType":"Basic","id":"a","id":"b"}`,
		`{"resourceType":"Patient","id":12}`,
		`[1,2]`,
		`{"a":{"b":[{"c":"}"}]},"resourceType":"X","id":"1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		m, err := Inspect(in)
		if utf8.Valid(in) && json.Valid(in) {
			// The one-pass way and the careful way agree.
			ms, errs := inspectSlow(in)
			if m != ms || fmt.Sprint(err) != fmt.Sprint(errs) {
				t.Fatalf("Inspect(%q) = %+v, %v; the careful way says %+v, %v", in, m, err, ms, errs)
			}
		}
		if err != nil {
			return
		}
		var v map[string]any
		if err := json.Unmarshal(in, &v); err != nil {
			t.Fatalf("Inspect accepted %q, json.Unmarshal: %v", in, err)
		}
		if v["resourceType"] != m.Type || v["id"] != m.ID {
			t.Fatalf("Inspect(%q) = %+v; json.Unmarshal gives resourceType %v, id %v", in, m, v["resourceType"], v["id"])
		}
		if CheckID(m.ID) != nil {
			t.Fatalf("Inspect(%q) accepted the id %q", in, m.ID)
		}
	})
}

// FuzzPeek: PeekRaw never panics; on a valid JSON line in which neither
// resourceType nor id repeats at the top level it agrees with
// refPeek (a token walk of encoding/json): ok exactly when both are
// non-empty strings, and then their values; and on any line it agrees
// with Inspect when Inspect accepts it and no key repeats.
func FuzzPeek(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Patient","id":"a"}`))
	f.Add([]byte(`{"id":"x","meta":{"id":"no"},"resourceType":"Observation"}`))
	f.Add([]byte(`{"resourceType":"Pat`))
	f.Add([]byte(`{"resource\u0054ype":"Pat\u0069ent","i\u0064":"a\u002Db"}`))
	f.Add([]byte(`{"resourceType":"Patient","id":""}`))
	f.Add([]byte(`{"resourceType":"Patient","id":7}`))
	f.Add([]byte(` [{"resourceType":"Patient","id":"a"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, ok := peek(data)
		if want, wantOK, judged := refPeek(data); judged && (ok != wantOK || m != want) {
			t.Fatalf("peek(%q) = %+v, %v; the reference says %+v, %v", data, m, ok, want, wantOK)
		}
		if !ok {
			return
		}
		// On a valid line, PeekRaw agrees with Inspect (unless a key repeats).
		if im, err := Inspect(data); err == nil && bytes.Count(data, []byte(`"id"`)) == 1 && bytes.Count(data, []byte(`"resourceType"`)) == 1 {
			if im != m {
				t.Errorf("PeekRaw %+v, Inspect %+v", m, im)
			}
		}
	})
}

// refPeek reads the top-level resourceType and id of a line with
// encoding/json's tokenizer. judged is false when it does not apply:
// the line is not valid UTF-8 JSON, or one of the two keys repeats at the
// top level.
func refPeek(data []byte) (m Meta, ok, judged bool) {
	if !utf8.Valid(data) || !json.Valid(data) {
		return Meta{}, false, false
	}
	d := json.NewDecoder(bytes.NewReader(data))
	if tok, _ := d.Token(); tok != json.Delim('{') {
		return Meta{}, false, true
	}
	seen := map[string]int{}
	var typ, id string
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return Meta{}, false, false
		}
		key, _ := tok.(string)
		var v any
		if err := d.Decode(&v); err != nil {
			return Meta{}, false, false
		}
		if key != "resourceType" && key != "id" {
			continue
		}
		seen[key]++
		if s, isString := v.(string); isString {
			if key == "id" {
				id = s
			} else {
				typ = s
			}
		}
	}
	if seen["resourceType"] > 1 || seen["id"] > 1 {
		return Meta{}, false, false
	}
	if typ == "" || id == "" {
		return Meta{}, false, true
	}
	return Meta{Type: typ, ID: id}, true, true
}

func TestPeek(t *testing.T) {
	tests := []struct {
		in   string
		want Meta
		ok   bool
	}{
		{`{"resourceType":"Patient","id":"a","name":[{"family":"x"}]}`, Meta{"Patient", "a"}, true},
		{`{"meta":{"id":"inner","resourceType":"X"},"id":"b","resourceType":"Encounter"}`, Meta{"Encounter", "b"}, true},
		{`{"resourceType":"Patient","id":"a", broken`, Meta{"Patient", "a"}, true},
		{`{"resourceType":"Patient"`, Meta{}, false},
		{`["resourceType","id"]`, Meta{}, false},
		{`{"resourceType":1,"id":"a"}`, Meta{}, false},
		{``, Meta{}, false},
	}
	for _, tc := range tests {
		m, ok := peek([]byte(tc.in))
		if m != tc.want || ok != tc.ok {
			t.Errorf("peek(%s): got %+v %v, want %+v %v", tc.in, m, ok, tc.want, tc.ok)
		}
	}
}

// peek is PeekRaw with its values unescaped, as a caller that needs them
// as strings reads them.
func peek(data []byte) (Meta, bool) {
	typ, id, ok := PeekRaw(data)
	if !ok {
		return Meta{}, false
	}
	return Meta{Type: unescape(typ), ID: unescape(id)}, true
}
