package ndjson

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// validJSON reports whether b is one JSON value, as json.Valid does, at
// several times its speed: it walks the text once with a small stack and
// a table for the bytes of strings, which make up most of FHIR JSON.
func validJSON(b []byte) bool {
	var t topFields
	return walkJSON(b, &t)
}

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
	if end := endOfString(b, v); end > v {
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

// walkJSON is validJSON, noting the top-level members in t.
func walkJSON(b []byte, t *topFields) bool {
	var buf [64]byte
	stack := buf[:0] // '{' or '[' for each open container
	i := space(b, 0)
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
			i = space(b, i+1)
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
			i = endOfString(b, i)
		case c == 't':
			i = literal(b, i, "true")
		case c == 'f':
			i = literal(b, i, "false")
		case c == 'n':
			i = literal(b, i, "null")
		case c == '-' || c >= '0' && c <= '9':
			i = number(b, i)
		default:
			return false
		}
		if i < 0 {
			return false
		}
		// After a value: a comma, or the end of containers.
		for {
			i = space(b, i)
			if len(stack) == 0 {
				return i == len(b)
			}
			if i >= len(b) {
				return false
			}
			top := stack[len(stack)-1]
			if b[i] == ',' {
				i = space(b, i+1)
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
	if i = endOfString(b, i); i < 0 {
		return -1
	}
	i = space(b, i)
	if i >= len(b) || b[i] != ':' {
		return -1
	}
	return space(b, i+1)
}

// keyEnd returns the index of the quote that closes the key starting at
// b[i], which member has checked.
func keyEnd(b []byte, i int) int {
	return endOfString(b, i) - 1
}

func space(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plain marks the bytes a string holds as they are: not a quote, not a
// backslash, not a control character.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRun returns the index of the first byte at or after i, in steps of
// eight, that may be a quote, a backslash or a control character: it
// tests eight bytes at once (the usual bit tricks: a byte below n, a zero
// byte after an XOR), whose lowest flagged byte is always a true one. The
// byte-wise loop after it finds the exact place.
func plainRun(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		special := (x-ones*0x20)&^x | (q-ones)&^q | (bs-ones)&^bs
		if special&highs != 0 {
			return i + bits.TrailingZeros64(special&highs)/8
		}
	}
	return i
}

// endOfString returns the index after the string that starts at b[i] (a
// quote), or -1.
func endOfString(b []byte, i int) int {
	for i++; i < len(b); {
		i = plainRun(b, i)
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return -1
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !hex(b[i+2]) || !hex(b[i+3]) || !hex(b[i+4]) || !hex(b[i+5]) {
					return -1
				}
				i += 6
			default:
				return -1
			}
		default: // a control character
			return -1
		}
	}
	return -1
}

func hex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func literal(b []byte, i int, word string) int {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at i.
func number(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		i++
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return -1
		}
	}
	return i
}

// quoteOrBackslash returns the index of the first '"' or '\\' in b, or -1.
// Two vectorised searches for one byte each beat bytes.IndexAny, which
// tests a byte at a time: this runs for every string of every resource.
func quoteOrBackslash(b []byte) int {
	q := bytes.IndexByte(b, '"')
	if q < 0 {
		q = len(b)
	}
	if e := bytes.IndexByte(b[:q], '\\'); e >= 0 {
		return e
	}
	if q == len(b) {
		return -1
	}
	return q
}
