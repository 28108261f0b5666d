package jsonscan

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// FuzzScan checks the primitives against encoding/json on any input: the
// end of a string and its decoded value, the end of a value, the members
// of an object, whitespace and plain runs.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"a","n":[1,-2.5e3,0,true,false,null,{"x":"\u00e9\n"}]}`,
		`{"refer\u0065nce":"Patient\/8","reference":{"reference":"b"}}`,
		`"a \"}\" \\ ]{ [\"x"`, `"\ud800x"`, "\"\xff\"", "\"\x01\"", `"\x"`, `"\u12"`,
		` [ ] `, `{}`, `01`, `1.`, `-0.0E-0`, `1e+`, `nul`, `{"a":1,}`, `{"a" 1}`, `{"a":1}}`,
		`{"a":{"b":[{"c":"]}"}]},"b":"abcdefghijklmnop\\"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkSpace(t, b)
		checkPlainRun(t, b)
		checkString(t, b)
		checkValue(t, b)
		checkMembers(t, b)
	})
}

func checkSpace(t *testing.T, b []byte) {
	if got, want := Space(b, 0), len(b)-len(bytes.TrimLeft(b, " \t\n\r")); got != want {
		t.Fatalf("Space(%q, 0) = %d, want %d", b, got, want)
	}
}

func checkPlainRun(t *testing.T, b []byte) {
	for i := range min(len(b), 9) {
		got := PlainRun(b, i)
		want := i
		for want < len(b) && plain[b[want]] {
			want++
		}
		if got < i || got > want || got < want && got+8 <= len(b) {
			t.Fatalf("PlainRun(%q, %d) = %d; the first byte that is not plain is at %d", b, i, got, want)
		}
	}
}

// checkString: on text that starts with a quote, StringEnd finds the end
// of the JSON string encoding/json reads there, ClosingQuote its last
// quote, and Unquote and KeyIs decode it as encoding/json does.
func checkString(t *testing.T, b []byte) {
	if len(b) == 0 || b[0] != '"' {
		return
	}
	end := StringEnd(b, 0)
	want := -1 // the shortest prefix that is a valid JSON string
	if q := bytes.IndexByte(b[1:], '"'); q >= 0 {
		for n := q + 2; n <= len(b); n++ {
			if b[n-1] == '"' && json.Valid(b[:n]) {
				want = n
				break
			}
		}
	}
	if end != want {
		t.Fatalf("StringEnd(%q, 0) = %d; the JSON string there ends at %d", b, end, want)
	}
	if end < 0 {
		return
	}
	if q := ClosingQuote(b, 1); q != end-1 {
		t.Fatalf("ClosingQuote(%q, 1) = %d, want %d", b, q, end-1)
	}
	var v string
	if err := json.Unmarshal(b[:end], &v); err != nil {
		t.Fatalf("decode of %q: %v", b[:end], err)
	}
	raw := b[1 : end-1]
	if s, ok := Unquote(raw); !ok || s != v {
		t.Fatalf("Unquote(%q) = %q, %v; encoding/json decodes %q", raw, s, ok, v)
	}
	for _, name := range []string{"reference", "id", v} {
		if !isASCII(name) {
			continue
		}
		if got := KeyIs(raw, name); got != (v == name) {
			t.Fatalf("KeyIs(%q, %q) = %v; it decodes to %q", raw, name, got, v)
		}
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// checkValue: on valid JSON, SkipValue ends where the value does.
func checkValue(t *testing.T, b []byte) {
	if !json.Valid(b) {
		return
	}
	i := Space(b, 0)
	end, ok := SkipValue(b, i)
	if !ok || Space(b, end) != len(b) {
		t.Fatalf("SkipValue(%q, %d) = %d, %v; the value ends at %d", b, i, end, ok, len(bytes.TrimRight(b, " \t\n\r")))
	}
	switch c := b[i]; {
	case c == '-' || c >= '0' && c <= '9':
		if n := Number(b, i); n != end {
			t.Fatalf("Number(%q, %d) = %d, want %d", b, i, n, end)
		}
	case c == 't' || c == 'f' || c == 'n':
		word := map[byte]string{'t': "true", 'f': "false", 'n': "null"}[c]
		if n := Literal(b, i, word); n != end {
			t.Fatalf("Literal(%q, %d, %q) = %d, want %d", b, i, word, n, end)
		}
	}
}

// checkMembers: on a valid object, walking its members with Space,
// StringEnd and SkipValue finds the keys and raw values that a token walk
// of encoding/json finds.
func checkMembers(t *testing.T, b []byte) {
	if !json.Valid(b) {
		return
	}
	i := Space(b, 0)
	if b[i] != '{' {
		return
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	i = Space(b, i+1)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		end := StringEnd(b, i)
		if end < 0 {
			t.Fatalf("%q: no key at %d", b, i)
		}
		if key, _ := Unquote(b[i+1 : end-1]); key != tok.(string) {
			t.Fatalf("%q: key %q at %d, encoding/json reads %q", b, key, i, tok)
		}
		v := Space(b, Space(b, end)+1) // after the colon
		vend, ok := SkipValue(b, v)
		if !ok || !bytes.Equal(b[v:vend], raw) {
			t.Fatalf("%q: value %q at %d, encoding/json reads %q", b, b[v:vend], v, raw)
		}
		i = Space(b, Space(b, vend)+1) // after the comma or the brace
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		t.Fatal(err)
	}
}

func TestSkipValue(t *testing.T) {
	tests := []struct {
		in   string
		i    int
		want int
		ok   bool
	}{
		{`"ab\"c" ,`, 0, 7, true},
		{`{"a":"}"},`, 0, 9, true},
		{`[[],{}]]`, 0, 7, true},
		{`12.5e3,`, 0, 6, true},
		{`true}`, 0, 4, true},
		{`null`, 0, 4, true},
		{`1"x"`, 0, 1, true},
		{`,`, 0, 0, false},
		{``, 0, 0, false},
		{`"abc`, 0, 4, false},
		{`{"a":[1,2}`, 0, 10, false},
		{`{"a":"]}`, 0, 8, false},
	}
	for _, tc := range tests {
		got, ok := SkipValue([]byte(tc.in), tc.i)
		if got != tc.want || ok != tc.ok {
			t.Errorf("SkipValue(%q, %d) = %d, %v; want %d, %v", tc.in, tc.i, got, ok, tc.want, tc.ok)
		}
	}
}

func TestKeyIs(t *testing.T) {
	tests := []struct {
		raw, name string
		want      bool
	}{
		{`reference`, "reference", true},
		{`Reference`, "reference", false},
		{`refer\u0065nce`, "reference", true},
		{`\u0072\u0065\u0066\u0065\u0072\u0065\u006e\u0063\u0065`, "reference", true},
		{`referencex`, "reference", false},
		{`i\u0064`, "id", true},
		{`i\"`, "id", false},
		{``, "id", false},
	}
	for _, tc := range tests {
		if got := KeyIs([]byte(tc.raw), tc.name); got != tc.want {
			t.Errorf("KeyIs(%q, %q) = %v, want %v", tc.raw, tc.name, got, tc.want)
		}
	}
}

func TestUnquote(t *testing.T) {
	tests := []struct {
		raw, want string
		ok        bool
	}{
		{`abc`, "abc", true},
		{`a\nb\u00e9`, "a\nbé", true},
		{"\xff", "\uFFFD", true},
		{`\ud800`, "\uFFFD", true},
		{`a"b`, "", false},
		{"a\x01", "", false},
		{`a\x`, "", false},
	}
	for _, tc := range tests {
		got, ok := Unquote([]byte(tc.raw))
		if got != tc.want || ok != tc.ok {
			t.Errorf("Unquote(%q) = %q, %v; want %q, %v", tc.raw, got, ok, tc.want, tc.ok)
		}
	}
}
