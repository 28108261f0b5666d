package fhir

import "bytes"

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
					if string(key) != "response" {
						return s.skip()
					}
					var status, outcome []byte
					ok := s.object(func(key []byte) bool {
						switch string(key) {
						case "status":
							v, ok := s.str()
							status = v
							return ok
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

// jscan walks JSON text. Every method reports false on text that is not
// well formed, and never reads out of bounds.
type jscan struct {
	b []byte
	i int
}

func (s *jscan) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\n' || s.b[s.i] == '\r' || s.b[s.i] == '\t') {
		s.i++
	}
}

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
	for j := start; j < len(s.b); {
		k := bytes.IndexAny(s.b[j:], "\"\\")
		if k < 0 {
			return nil, false
		}
		j += k
		if s.b[j] == '"' {
			s.i = j + 1
			return s.b[start:j], true
		}
		j += 2
	}
	return nil, false
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

// skip reads one value of any kind.
func (s *jscan) skip() bool {
	switch c := s.next(); {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{':
		return s.object(func([]byte) bool { return s.skip() })
	case c == '[':
		return s.array(s.skip)
	case c == 0:
		return false
	default: // a number, true, false or null
		start := s.i
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return s.i > start
			}
			s.i++
		}
		return false
	}
}

// entryResultBytes is entryResult for a status read as bytes, without
// allocating for the usual answers ("201 Created", "200 OK").
func entryResultBytes(status, outcome []byte) EntryResult {
	for _, code := range usualCodes {
		if bytes.HasPrefix(status, code) && (len(status) == 3 || status[3] == ' ') {
			return entryResult(string(code), outcome) // no allocation: 3 bytes
		}
	}
	return entryResult(string(status), outcome)
}

var usualCodes = [][]byte{[]byte("200"), []byte("201")}
