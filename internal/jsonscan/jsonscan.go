// Package jsonscan holds the primitives that the raw-JSON scanners of
// ndjson (the validator, Inspect, Peek), fhir (the batch-response scan)
// and refs (Each) share: whitespace, the end of a string, the end of a
// value, plain runs of string bytes, keys and string values.
//
// Every function takes the text and an index into it and returns an
// index; none reads out of bounds on any input. StringEnd, Number and
// Literal check what they read as encoding/json does; ClosingQuote and
// SkipValue do not (they are for text that is valid, or that something
// else will check) and only find where a token ends.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"
)

// Space returns the index of the first byte at or after i that is not
// JSON whitespace (space, tab, newline, carriage return), or len(b).
func Space(b []byte, i int) int {
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

const ones, highs = 0x0101010101010101, 0x8080808080808080

// PlainRun returns the index of the first byte at or after i, in steps of
// eight, that may be a quote, a backslash or a control character: it
// tests eight bytes at once (the usual bit tricks: a byte below n, a zero
// byte after an XOR), whose lowest flagged byte is always a true one.
// Fewer than eight bytes before the end it returns where it is, so a
// byte-wise loop after it finds the exact place.
func PlainRun(b []byte, i int) int {
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

// StringEnd returns the index after the string that starts at b[i] (a
// quote), or -1 when it is no valid JSON string: unterminated, with a
// control character, or with an escape encoding/json refuses. Like
// encoding/json it accepts any other byte, valid UTF-8 or not.
func StringEnd(b []byte, i int) int {
	for i++; i < len(b); {
		i = PlainRun(b, i)
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

// ClosingQuote returns the index of the quote that ends the string whose
// content starts at b[i] (the byte after the opening quote), or -1. It
// steps over escapes without checking them, testing eight bytes at a time
// for a quote or a backslash (the strings of FHIR JSON are mostly short,
// where this beats a call to bytes.IndexByte).
func ClosingQuote(b []byte, i int) int {
	for i < len(b) {
		if i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			q, bs := x^(ones*'"'), x^(ones*'\\')
			m := ((q-ones)&^q | (bs-ones)&^bs) & highs
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8 // the lowest flagged byte is a true one
		}
		switch b[i] {
		case '"':
			return i
		case '\\':
			i += 2
		default:
			i++
		}
	}
	return -1
}

// ends marks the bytes that end a number or literal for SkipValue: JSON's
// structural characters, the quote and whitespace.
var ends = func() (t [256]bool) {
	for _, c := range []byte("{}[]:,\" \t\n\r") {
		t[c] = true
	}
	return t
}()

// SkipValue returns the index after the value that starts at b[i] and
// whether there was one. It does not check the value: it finds the end of
// a string with ClosingQuote, of an object or array by counting brackets
// outside strings, and of anything else at the next structural character,
// quote or whitespace. Where the text ends first it returns len(b) and
// false; where no value starts at i (a structural character or the end)
// it returns i and false.
func SkipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return i, false
	}
	switch b[i] {
	case '"':
		if q := ClosingQuote(b, i+1); q >= 0 {
			return q + 1, true
		}
		return len(b), false
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"': // a string, whose brackets do not count
				if i = ClosingQuote(b, i+1); i < 0 {
					return len(b), false
				}
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1, true
				}
			}
		}
		return len(b), false
	}
	start := i
	for i < len(b) && !ends[b[i]] {
		i++
	}
	return i, i > start
}

// Literal returns the index after word (true, false or null) at b[i], or
// -1 when b does not hold it there.
func Literal(b []byte, i int, word string) int {
	if len(b)-i < len(word) || string(b[i:i+len(word)]) != word {
		return -1
	}
	return i + len(word)
}

// Number returns the index after the JSON number at b[i] (i < len(b)),
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, or -1.
func Number(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		start := i + 1
		if i = digits(b, start); i == start {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		if i = digits(b, start); i == start {
			return -1
		}
	}
	return i
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// KeyIs reports whether raw, a key's text between its quotes (escapes
// kept), decodes to name, an ASCII name, exactly as encoding/json decodes
// it. It allocates only for a key with an escape that may spell name.
func KeyIs(raw []byte, name string) bool {
	if len(raw) == len(name) {
		// An escape makes the text longer than what it decodes to.
		return string(raw) == name // no allocation: compared in place
	}
	if len(raw) < len(name) || len(raw) > 6*len(name) || bytes.IndexByte(raw, '\\') < 0 {
		return false // every character of name written as \uXXXX is the longest spelling
	}
	s, ok := Unquote(raw)
	return ok && s == name
}

// Unquote decodes raw, a string's text between its quotes, as
// encoding/json does: escapes resolved, invalid UTF-8 and lone surrogates
// replaced by U+FFFD. ok is false when raw is no valid string content. It
// copies raw as it is when raw has no escape and is valid UTF-8.
func Unquote(raw []byte) (s string, ok bool) {
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		for _, c := range raw {
			if c < 0x20 || c == '"' {
				return "", false
			}
		}
		return string(raw), true
	}
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	if err := json.Unmarshal(q, &s); err != nil {
		return "", false
	}
	return s, true
}
