package ndjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/jsonscan"
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
		key := s.rawStr()
		s.space()
		s.i++ // ':'
		s.space()
		// A repeated key replaces the earlier value, as in encoding/json.
		switch {
		case jsonscan.KeyIs(key, "resourceType"):
			if s.peek() != '"' {
				return Meta{}, fmt.Errorf("%w: resourceType is not a string", ErrInvalidType)
			}
			m.Type, gotType = s.str(), true
		case jsonscan.KeyIs(key, "id"):
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

// CheckID reports whether id is a valid FHIR id (see fhirtype.ValidID),
// and if not, what is wrong with it.
func CheckID(id string) error {
	switch {
	case fhirtype.ValidID(id):
		return nil
	case id == "":
		return fmt.Errorf("%w: empty", ErrInvalidID)
	case len(id) > 64:
		return fmt.Errorf("%w: %d characters, at most 64 allowed", ErrInvalidID, len(id))
	}
	i := 0 // the first character that is not allowed (the last, if no other)
	for i < len(id)-1 && fhirtype.ValidID(id[i:i+1]) {
		i++
	}
	return fmt.Errorf("%w: %q has the character %q; only A-Z a-z 0-9 - . are allowed", ErrInvalidID, id, rune(id[i]))
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
// walkJSON has checked, PeekRaw on lines nobody checked. It does
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

func (s *scanner) space() { s.i = jsonscan.Space(s.b, s.i) }

// rawStr reads the string at s.i and returns its bytes between the quotes
// (still escaped); an unterminated string runs to the end.
func (s *scanner) rawStr() []byte {
	start := s.i
	end := jsonscan.ClosingQuote(s.b, start+1)
	if end < 0 {
		s.i = len(s.b)
		return s.b[min(start+1, len(s.b)):]
	}
	s.i = end + 1
	return s.b[start+1 : end]
}

// str reads a string at s.i and returns its value, unescaped where needed.
func (s *scanner) str() string { return unescape(s.rawStr()) }

// skip moves past one value of any kind.
func (s *scanner) skip() { s.i, _ = jsonscan.SkipValue(s.b, s.i) }

// PeekRaw returns the top-level resourceType and id of a line without
// checking that it is valid JSON, stopping as soon as it has both, and
// without allocating: the two values as they stand in data, between their
// quotes (still escaped, which a FHIR type or id never is). It is for
// passes that only need to know what a line is (planning): the sending
// pass uses Inspect. ok is false when it finds not both.
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
		key := s.rawStr()
		s.space()
		if s.peek() != ':' {
			break
		}
		s.i++
		s.space()
		switch {
		case s.peek() == '"' && jsonscan.KeyIs(key, "resourceType"):
			typ = s.rawStr()
			gotType = true
		case s.peek() == '"' && jsonscan.KeyIs(key, "id"):
			id = s.rawStr()
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
	if v, ok := jsonscan.Unquote(raw); ok {
		return v
	}
	return string(raw)
}
