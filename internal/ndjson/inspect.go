package ndjson

import (
	"encoding/json"
	"errors"
	"fmt"
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
	if !json.Valid(data) {
		var v any
		err := json.Unmarshal(data, &v) // only for the position and reason
		return Meta{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
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
		key := s.str()
		s.space()
		s.i++ // ':'
		s.space()
		// A repeated key replaces the earlier value, as in encoding/json.
		switch {
		case key == "resourceType":
			if s.peek() != '"' {
				return Meta{}, fmt.Errorf("%w: resourceType is not a string", ErrInvalidType)
			}
			m.Type, gotType = s.str(), true
		case key == "id":
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
	switch {
	case !gotType || m.Type == "":
		return m, ErrNoType
	case !gotID:
		return m, ErrNoID
	}
	if err := CheckID(m.ID); err != nil {
		return m, err
	}
	return m, nil
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

// scanner walks JSON already checked by json.Valid, so it need not report
// syntax errors.
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

// str reads a string at s.i and returns its value, unescaped where needed.
func (s *scanner) str() string {
	start := s.i
	s.i++
	escaped := false
	for s.i < len(s.b) {
		c := s.b[s.i]
		s.i++
		if c == '\\' {
			escaped = true
			s.i++
			continue
		}
		if c == '"' {
			break
		}
	}
	raw := s.b[start:s.i]
	if !escaped {
		return string(raw[1 : len(raw)-1])
	}
	var v string
	_ = json.Unmarshal(raw, &v) // valid by construction
	return v
}

// skip moves past one value of any kind.
func (s *scanner) skip() {
	depth := 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			s.str()
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
