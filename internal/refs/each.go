// Package refs finds and classifies the FHIR references inside one
// resource's raw JSON, without decoding the resource.
package refs

import (
	"bytes"
	"unicode/utf8"

	"github.com/minio-to-fhir/minio-to-fhir/internal/jsonscan"
)

// keyName is the JSON key whose string values are references (the
// reference element of the FHIR Reference data type).
const keyName = "reference"

// Each calls fn with the string value of every object key named exactly
// "reference", at any depth and in document order: in nested elements,
// arrays, extensions and contained resources alike. A "reference" key
// whose value is not a string is skipped (but its value is searched), and
// the text "reference" inside a string value is never taken for a key. A
// key repeated within one object is reported each time, although a JSON
// decoder would keep only the last value.
//
// raw must be valid JSON (as json.Valid checks); Each does not validate
// it again. On invalid input it reports some references or none, and
// never panics.
//
// ref holds the value without its quotes, unescaped. It aliases raw when
// the value has no escape and is valid UTF-8 (then Each allocates
// nothing); otherwise it is decoded as encoding/json does, with invalid
// UTF-8 replaced by U+FFFD. fn must not modify ref or keep it after it
// returns.
func Each(raw []byte, fn func(ref []byte)) {
	if bytes.IndexByte(raw, '\\') >= 0 {
		// An escape may hide a quote or spell the key: walk every string.
		eachScan(raw, fn)
		return
	}
	// Without a backslash, every quote is a real one, so the text
	// "reference" in quotes is a whole string; followed by ':' it is a key.
	// The search for it runs at memory speed.
	const quoted = `"` + keyName + `"`
	for i := 0; i < len(raw); {
		k := indexQuotedKey(raw[i:])
		if k < 0 {
			return
		}
		end := i + k + len(quoted) - 1
		colon := jsonscan.Space(raw, end+1)
		if colon >= len(raw) || raw[colon] != ':' {
			i = end + 1
			continue
		}
		v := jsonscan.Space(raw, colon+1)
		if v >= len(raw) || raw[v] != '"' {
			i = v
			continue
		}
		vend := bytes.IndexByte(raw[v+1:], '"')
		if vend < 0 {
			return
		}
		emit(raw[v:v+1+vend+1], fn)
		i = v + 1 + vend + 1
	}
}

// indexQuotedKey is bytes.Index(b, `"reference"`), faster on JSON: it
// looks for the key's 'f', a letter much rarer in FHIR JSON than the
// quote that bytes.Index starts from, then checks the bytes around it.
func indexQuotedKey(b []byte) int {
	const quoted = `"` + keyName + `"`
	const at = 3 // the index of 'f' in quoted
	for i := at; i < len(b); {
		k := bytes.IndexByte(b[i:], 'f')
		if k < 0 {
			return -1
		}
		i += k
		if start := i - at; start+len(quoted) <= len(b) && string(b[start:start+len(quoted)]) == quoted {
			return start
		}
		i++
	}
	return -1
}

// eachScan is Each for lines with escapes: it walks every string.
func eachScan(raw []byte, fn func(ref []byte)) {
	i := 0
	for i < len(raw) {
		q := bytes.IndexByte(raw[i:], '"')
		if q < 0 {
			return
		}
		start := i + q + 1
		end := jsonscan.ClosingQuote(raw, start)
		if end < 0 {
			return
		}
		// In valid JSON a string followed by ':' is a key, and any other
		// string is a value, so no structure needs to be tracked.
		colon := jsonscan.Space(raw, end+1)
		if colon >= len(raw) || raw[colon] != ':' {
			i = end + 1
			continue
		}
		if !jsonscan.KeyIs(raw[start:end], keyName) {
			i = colon + 1
			continue
		}
		v := jsonscan.Space(raw, colon+1)
		if v >= len(raw) || raw[v] != '"' {
			i = v
			continue
		}
		vend := jsonscan.ClosingQuote(raw, v+1)
		if vend < 0 {
			return
		}
		emit(raw[v:vend+1], fn)
		i = vend + 1
	}
}

// emit calls fn with the quoted JSON string q, unquoted.
func emit(q []byte, fn func(ref []byte)) {
	v := q[1 : len(q)-1]
	if bytes.IndexByte(v, '\\') < 0 && utf8.Valid(v) {
		fn(v)
		return
	}
	if s, ok := jsonscan.Unquote(v); ok {
		fn([]byte(s))
	}
}
