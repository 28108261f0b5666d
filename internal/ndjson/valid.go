package ndjson

import (
	"bytes"

	"github.com/minio-to-fhir/minio-to-fhir/internal/jsonscan"
)

// topFields is what walkJSON notes of the members of a top-level object,
// so that Inspect needs no second pass: the raw values (between their
// quotes) of the last "resourceType" and "id" members. plain is false
// when the notes cannot be trusted and the slow way must decide: the top
// value is not an object, a top-level key holds an escape, or one of the
// two members is not a string.
type topFields struct {
	typ, id        []byte
	gotType, gotID bool
	plain          bool
}

// note takes the member of the top-level object whose key ends (before
// its closing quote) at keyEnd and whose value starts at v.
func (t *topFields) note(b []byte, keyStart, keyEnd, v int) {
	key := b[keyStart+1 : keyEnd]
	var dst *[]byte
	switch string(key) {
	case "resourceType":
		dst, t.gotType = &t.typ, true
	case "id":
		dst, t.gotID = &t.id, true
	default:
		if bytes.IndexByte(key, '\\') >= 0 {
			t.plain = false
		}
		return
	}
	if v >= len(b) || b[v] != '"' {
		t.plain = false
		return
	}
	if end := jsonscan.StringEnd(b, v); end > v {
		*dst = b[v+1 : end-1]
	}
}

// member reads `"key" :` at i, as the package's member does, and notes
// the member when it belongs to the top-level object (depth 1).
func (t *topFields) member(b []byte, i, depth int) int {
	v := member(b, i)
	if v >= 0 && depth == 1 {
		t.note(b, i, keyEnd(b, i), v)
	}
	return v
}

// walkJSON reports whether b is one JSON value, as json.Valid does,
// noting the top-level members in t.
func walkJSON(b []byte, t *topFields) bool {
	var buf [64]byte
	stack := buf[:0] // '{' or '[' for each open container
	i := jsonscan.Space(b, 0)
	for {
		// A value starts at i.
		if i >= len(b) {
			return false
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			if len(stack) >= maxDepth {
				return false
			}
			i = jsonscan.Space(b, i+1)
			if i < len(b) && b[i] == closer(c) {
				i++
				break
			}
			stack = append(stack, c)
			if c == '[' {
				continue // a value starts at i
			}
			if len(stack) == 1 {
				t.plain = true // an object with members: note them
			}
			if i = t.member(b, i, len(stack)); i < 0 {
				return false
			}
			continue
		case c == '"':
			i = jsonscan.StringEnd(b, i)
		case c == 't':
			i = jsonscan.Literal(b, i, "true")
		case c == 'f':
			i = jsonscan.Literal(b, i, "false")
		case c == 'n':
			i = jsonscan.Literal(b, i, "null")
		case c == '-' || c >= '0' && c <= '9':
			i = jsonscan.Number(b, i)
		default:
			return false
		}
		if i < 0 {
			return false
		}
		// After a value: a comma, or the end of containers.
		for {
			i = jsonscan.Space(b, i)
			if len(stack) == 0 {
				return i == len(b)
			}
			if i >= len(b) {
				return false
			}
			top := stack[len(stack)-1]
			if b[i] == ',' {
				i = jsonscan.Space(b, i+1)
				if top == '{' {
					if i = t.member(b, i, len(stack)); i < 0 {
						return false
					}
				}
				break
			}
			if b[i] == closer(top) {
				stack = stack[:len(stack)-1]
				i++
				continue
			}
			return false
		}
	}
}

// closer returns the bracket that closes open ('{' or '[').
func closer(open byte) byte {
	if open == '{' {
		return '}'
	}
	return ']'
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// member reads `"key" :` at i and returns where the value starts, or -1.
func member(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1
	}
	if i = jsonscan.StringEnd(b, i); i < 0 {
		return -1
	}
	i = jsonscan.Space(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return jsonscan.Space(b, i+1)
}

// keyEnd returns the index of the quote that closes the key starting at
// b[i], which member has checked.
func keyEnd(b []byte, i int) int {
	return jsonscan.StringEnd(b, i) - 1
}
