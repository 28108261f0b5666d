package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"unicode/utf8"
)

// Meta is what a resource line says of itself.
type Meta struct {
	Type string // resourceType
	ID   string // id
}

// Errors returned by Inspect. They are wrapped with details; test with errors.Is.
var (
	ErrNotJSON     = errors.New("not valid JSON")
	ErrNotUTF8     = errors.New("not valid UTF-8")
	ErrNotObject   = errors.New("not a JSON object")
	ErrNoType      = errors.New("no resourceType")
	ErrNoID        = errors.New("no id")
	ErrInvalidID   = errors.New("invalid id")
	ErrInvalidType = errors.New("invalid resourceType")
)

// Inspect checks that data is one valid JSON object with a string
// resourceType and a valid FHIR id, and returns both. It decodes only the
// top-level keys.
func Inspect(data []byte) (Meta, error) {
	if !utf8.Valid(data) {
		return Meta{}, ErrNotUTF8
	}
	var top topFields
	if !walkJSON(data, &top) {
		var v any
		err := json.Unmarshal(data, &v) // only for the position and reason
		return Meta{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if top.plain {
		// The usual line: the walk that checked it found both members.
		m := Meta{ID: unescape(top.id)}
		var known bool
		if m.Type, known = fhirtype.Intern(top.typ); !known {
			m.Type = unescape(top.typ)
		}
		return m, checkMeta(m, top.gotType, top.gotID)
	}
	return inspectSlow(data)
}

// inspectSlow finds the top-level resourceType and id of valid JSON the
// careful way, for the lines walkJSON leaves to it.
func inspectSlow(data []byte) (Meta, error) {
	var m Meta
	s := scanner{b: data}
	s.space()
	if s.peek() != '{' {
		return Meta{}, fmt.Errorf("%w: a line must hold one resource, found %s", ErrNotObject, kind(s.peek()))
	}
	s.i++
	gotType, gotID := false, false
	for {
		s.space()
		if s.peek() == '}' {
			break
		}
		if s.peek() != '"' {
			break // not reached on valid JSON
		}
		keyStart := s.i
		key, escaped := s.rawStr()
		quoted := s.b[keyStart:s.i]
		s.space()
		s.i++ // ':'
		s.space()
		// A repeated key replaces the earlier value, as in encoding/json.
		switch {
		case isKey(key, escaped, quoted, "resourceType"):
			if s.peek() != '"' {
				return Meta{}, fmt.Errorf("%w: resourceType is not a string", ErrInvalidType)
			}
			m.Type, gotType = s.str(), true
		case isKey(key, escaped, quoted, "id"):
			if s.peek() != '"' {
				return Meta{}, fmt.Errorf("%w: id is not a string", ErrInvalidID)
			}
			m.ID, gotID = s.str(), true
		default:
			s.skip()
		}
		s.space()
		if s.peek() == ',' {
			s.i++
		}
	}
	return m, checkMeta(m, gotType, gotID)
}

// checkMeta says what is missing or wrong in what a line says of itself.
func checkMeta(m Meta, gotType, gotID bool) error {
	switch {
	case !gotType || m.Type == "":
		return ErrNoType
	case !gotID:
		return ErrNoID
	}
	return CheckID(m.ID)
}

// CheckIDBytes is CheckID for an id held in bytes; it allocates only to
// say what is wrong.
func CheckIDBytes(id []byte) error {
	if len(id) == 0 || len(id) > 64 {
		return CheckID(string(id))
	}
	for _, c := range id {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return CheckID(string(id))
		}
	}
	return nil
}

// CheckID reports whether id is a valid FHIR id: 1 to 64 characters of
// A-Z, a-z, 0-9, '-' and '.'.
func CheckID(id string) error {
	if id == "" {
		return fmt.Errorf("%w: empty", ErrInvalidID)
	}
	if len(id) > 64 {
		return fmt.Errorf("%w: %d characters, at most 64 allowed", ErrInvalidID, len(id))
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return fmt.Errorf("%w: %q has the character %q; only A-Z a-z 0-9 - . are allowed", ErrInvalidID, id, rune(c))
		}
	}
	return nil
}

func kind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// scanner walks the top level of a line: inspectSlow uses it on JSON that
// walkJSON has checked, Peek and PeekRaw on lines nobody checked. It does
// not report syntax errors, and stays in bounds on any input.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// strEnd returns the index of the quote that ends the string starting at
// s.b[start] (a quote), or len(s.b) if it does not end, and whether the
// string holds an escape.
func (s *scanner) strEnd(start int) (int, bool) {
	escaped := false
	for j := start + 1; j < len(s.b); {
		k := quoteOrBackslash(s.b[j:])
		if k < 0 {
			break
		}
		j += k
		if s.b[j] == '"' {
			return j, escaped
		}
		escaped = true
		j += 2 // the backslash and the character it escapes
	}
	return len(s.b), escaped
}

// rawStr reads the string at s.i and returns its bytes between the quotes
// (still escaped) and whether it holds an escape.
func (s *scanner) rawStr() ([]byte, bool) {
	start := s.i
	end, escaped := s.strEnd(start)
	s.i = min(end+1, len(s.b))
	if end <= start {
		return nil, false
	}
	return s.b[start+1 : end], escaped
}

// str reads a string at s.i and returns its value, unescaped where needed.
func (s *scanner) str() string {
	start := s.i
	raw, escaped := s.rawStr()
	if !escaped {
		return string(raw)
	}
	var v string
	_ = json.Unmarshal(s.b[start:s.i], &v) // valid by construction
	return v
}

// isKey reports whether a key equals name: raw is it between the quotes,
// quoted with them; an escaped key is decoded.
func isKey(raw []byte, escaped bool, quoted []byte, name string) bool {
	if !escaped {
		return string(raw) == name // no allocation: the compiler compares in place
	}
	var v string
	return json.Unmarshal(quoted, &v) == nil && v == name
}

// skip moves past one value of any kind.
func (s *scanner) skip() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.rawStr()
			if depth == 0 {
				return
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return // end of the enclosing object: the value was a scalar
			}
			depth--
			if depth == 0 {
				s.i++
				return
			}
		case ',':
			if depth == 0 {
				return
			}
		}
		s.i++
	}
}

// Peek returns the top-level resourceType and id of a line without
// checking that it is valid JSON, stopping as soon as it has both. It is
// for passes that only need to know what a line is (planning): the
// sending pass uses Inspect. ok is false when it finds not both.
func Peek(data []byte) (m Meta, ok bool) {
	typ, id, ok := PeekRaw(data)
	if !ok {
		return Meta{}, false
	}
	return Meta{Type: unescape(typ), ID: unescape(id)}, true
}

// PeekRaw is Peek without allocating: it returns the two values as they
// stand in data, between their quotes (still escaped, which a FHIR type
// or id never is).
func PeekRaw(data []byte) (typ, id []byte, ok bool) {
	s := scanner{b: data}
	s.space()
	if s.peek() != '{' {
		return nil, nil, false
	}
	s.i++
	gotType, gotID := false, false
	for !(gotType && gotID) {
		s.space()
		if s.peek() != '"' {
			break
		}
		keyStart := s.i
		key, escaped := s.rawStr()
		quoted := s.b[keyStart:s.i]
		s.space()
		if s.peek() != ':' {
			break
		}
		s.i++
		s.space()
		switch {
		case s.peek() == '"' && isKey(key, escaped, quoted, "resourceType"):
			typ, _ = s.rawStr()
			gotType = true
		case s.peek() == '"' && isKey(key, escaped, quoted, "id"):
			id, _ = s.rawStr()
			gotID = true
		default:
			s.skip()
		}
		s.space()
		if s.peek() == ',' {
			s.i++
		}
	}
	return typ, id, gotType && gotID && len(typ) > 0 && len(id) > 0
}

// unescape decodes a JSON string's content if it holds an escape.
func unescape(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	var v string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &v) != nil {
		return string(raw)
	}
	return v
}
