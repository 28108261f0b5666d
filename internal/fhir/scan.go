package fhir

import (
	"bytes"

	"github.com/minio-to-fhir/minio-to-fhir/internal/jsonscan"
)

// scanResponse reads a batch-response the quick way: it walks the JSON's
// structure without decoding what it does not need (the outcomes of
// successful entries are most of the bytes). It reports ok only for a
// well-formed Bundle with n entries that each have a response with a
// status; anything else is left to encoding/json.
func scanResponse(body []byte, n int) ([]EntryResult, bool) {
	s := jscan{b: body}
	isBundle, entries := false, 0
	var out []EntryResult
	ok := s.object(func(key []byte) bool {
		if !plainKey(key, "resourceType", "entry") {
			return false
		}
		switch string(key) {
		case "resourceType":
			v, ok := s.str()
			isBundle = ok && string(v) == "Bundle"
			return ok
		case "entry":
			out = make([]EntryResult, 0, min(max(n, 0), 1<<16))
			return s.array(func() bool {
				entries++
				found := false
				ok := s.object(func(key []byte) bool {
					if !plainKey(key, "response") {
						return false
					}
					if string(key) != "response" {
						return s.skip()
					}
					var status, outcome []byte
					ok := s.object(func(key []byte) bool {
						if !plainKey(key, "status", "outcome") {
							return false
						}
						switch string(key) {
						case "status":
							v, ok := s.str()
							status = v
							return ok && plainText(v)
						case "outcome":
							start := s.i
							ok := s.skip()
							outcome = s.b[start:s.i]
							return ok
						}
						return s.skip()
					})
					if ok && status != nil {
						found = true
						out = append(out, entryResultBytes(status, outcome))
					}
					return ok
				})
				return ok && found
			})
		}
		return s.skip()
	})
	s.space()
	if !ok || !isBundle || entries != n || len(out) != n || s.i != len(s.b) {
		return nil, false
	}
	return out, true
}

// plainKey reports whether key can be compared byte for byte with the
// names the scan looks for. encoding/json unescapes keys and matches them
// without regard to case, so a key with an escape, or one that differs from
// a wanted name only in case, is left to it.
func plainKey(key []byte, names ...string) bool {
	if bytes.IndexByte(key, '\\') >= 0 {
		return false
	}
	for _, name := range names {
		if string(key) != name && bytes.EqualFold(key, []byte(name)) {
			return false
		}
	}
	return true
}

// plainText reports whether a raw JSON string reads the same decoded:
// printable ASCII without escapes (what every server sends as a status).
func plainText(v []byte) bool {
	for _, c := range v {
		if c < 0x20 || c > 0x7e || c == '\\' {
			return false
		}
	}
	return true
}

// jscan walks JSON text. Every method reports false on text that is not
// well formed, and never reads out of bounds.
type jscan struct {
	b []byte
	i int
}

func (s *jscan) space() { s.i = jsonscan.Space(s.b, s.i) }

func (s *jscan) next() byte {
	s.space()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// str reads a string and returns its raw content (escapes kept).
func (s *jscan) str() ([]byte, bool) {
	if s.next() != '"' {
		return nil, false
	}
	start := s.i + 1
	end := jsonscan.ClosingQuote(s.b, start)
	if end < 0 {
		return nil, false
	}
	s.i = end + 1
	return s.b[start:end], true
}

// object reads {"key": value, ...}, calling member for each key with the
// scanner at its value; member must read the value.
func (s *jscan) object(member func(key []byte) bool) bool {
	if s.next() != '{' {
		return false
	}
	s.i++
	if s.next() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.str()
		if !ok || s.next() != ':' {
			return false
		}
		s.i++
		if !member(key) {
			return false
		}
		switch s.next() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			return false
		}
	}
}

// array reads [value, ...], calling elem with the scanner at each value.
func (s *jscan) array(elem func() bool) bool {
	if s.next() != '[' {
		return false
	}
	s.i++
	if s.next() == ']' {
		s.i++
		return true
	}
	for {
		if !elem() {
			return false
		}
		switch s.next() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			return false
		}
	}
}

// skip reads one value of any kind, without checking it (see
// jsonscan.SkipValue): this finds the end of well-formed JSON at the speed
// of a byte search.
func (s *jscan) skip() bool {
	s.space()
	var ok bool
	s.i, ok = jsonscan.SkipValue(s.b, s.i)
	return ok
}

// entryResultBytes is entryResult for a status read as bytes, without
// allocating for the usual answers ("201 Created", "200 OK").
func entryResultBytes(status, outcome []byte) EntryResult {
	for _, code := range usualCodes {
		if len(status) >= 3 && string(status[:3]) == code && (len(status) == 3 || status[3] == ' ') {
			return entryResult(code, outcome) // a constant: no allocation
		}
	}
	return entryResult(string(status), outcome)
}

var usualCodes = []string{"200", "201"}
