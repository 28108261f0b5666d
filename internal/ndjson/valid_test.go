package ndjson

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValid: validJSON agrees with json.Valid on every input.
func FuzzValid(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Patient","id":"a","n":[1,-2.5e3,0,true,false,null,{"x":"\u00e9\n"}]}`,
		`{}`, `[]`, ` [ ] `, `"x"`, `01`, `1.`, `-`, `{"a":1,}`, `[1,]`, `{"a" 1}`, "\"\x01\"", `"\x"`, `"\u12"`,
		`{"a":{"b":[{"c":[]}]}}`, `{"a":1}}`, `nul`, `1e`, `1e+`, `-0.0E-0`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

func TestValidDeep(t *testing.T) {
	for _, n := range []int{9999, 10000, 10001, 20000} {
		b := []byte(strings.Repeat("[", n) + strings.Repeat("]", n))
		if got, want := validJSON(b), json.Valid(b); got != want {
			t.Errorf("depth %d: got %v, want %v", n, got, want)
		}
	}
}

// FuzzPlainRun: plainRun never skips a byte that ends a plain run.
func FuzzPlainRun(f *testing.F) {
	f.Add([]byte("abcdefgh\"ijklmnop\\\x01\xff\xfe\x80"), 0)
	f.Fuzz(func(t *testing.T, b []byte, i int) {
		if i < 0 || i > len(b) {
			return
		}
		got := plainRun(b, i)
		want := i
		for want < len(b) && plain[b[want]] {
			want++
		}
		if got < i || got > want {
			t.Fatalf("plainRun(%q, %d) = %d; the first byte that is not plain is at %d", b, i, got, want)
		}
	})
}

func TestQuoteOrBackslash(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"", -1},
		{"abc", -1},
		{`abc"`, 3},
		{`"`, 0},
		{`\`, 0},
		{`ab\"c"`, 2},
		{`ab"c\`, 2},
		{`a\`, 1},
	}
	for _, tc := range tests {
		if got := quoteOrBackslash([]byte(tc.in)); got != tc.want {
			t.Errorf("quoteOrBackslash(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func FuzzQuoteOrBackslash(f *testing.F) {
	f.Add([]byte(`ab\"c"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := quoteOrBackslash(b), bytes.IndexAny(b, "\"\\"); got != want {
			t.Fatalf("quoteOrBackslash(%q) = %d, bytes.IndexAny says %d", b, got, want)
		}
	})
}

func BenchmarkQuoteOrBackslash(b *testing.B) {
	s := []byte(`http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-observation-labevents-d-labitems" rest`)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		quoteOrBackslash(s)
	}
}
