package synth

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// jw appends compact JSON to a byte slice. It is much faster than
// encoding/json for the millions of small, fixed-shape resources a
// benchmark data set needs, and writes the keys in the order given.
type jw struct {
	b     []byte
	comma bool // a value was written at this level: the next one needs ','
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
	w.comma = false
}

// obj opens an object: a member named k, or an array element when k is "".
func (w *jw) obj(k string) {
	if k == "" {
		w.sep()
	} else {
		w.key(k)
	}
	w.b = append(w.b, '{')
	w.comma = false
}

func (w *jw) end() {
	w.b = append(w.b, '}')
	w.comma = true
}

// arr opens an array member named k.
func (w *jw) arr(k string) {
	w.key(k)
	w.b = append(w.b, '[')
	w.comma = false
}

func (w *jw) endArr() {
	w.b = append(w.b, ']')
	w.comma = true
}

// str writes a string member, or an array element when k is "".
func (w *jw) str(k, v string) {
	if k == "" {
		w.sep()
	} else {
		w.key(k)
	}
	w.b = appendJSONString(w.b, v)
	w.comma = true
}

func (w *jw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}

// num writes a decimal with at most prec fraction digits.
func (w *jw) num(k string, v float64, prec int) {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', prec, 64)
	w.comma = true
}

var mimicZone = time.FixedZone("", -4*3600)

// dateTime writes a FHIR dateTime with seconds and offset, like MIMIC's.
func (w *jw) dateTime(k string, unix int64) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = time.Unix(unix, 0).In(mimicZone).AppendFormat(w.b, "2006-01-02T15:04:05-07:00")
	w.b = append(w.b, '"')
	w.comma = true
}

// date writes a FHIR date.
func (w *jw) date(k string, unix int64) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = time.Unix(unix, 0).In(mimicZone).AppendFormat(w.b, "2006-01-02")
	w.b = append(w.b, '"')
	w.comma = true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string, escaping what JSON requires
// and replacing invalid UTF-8.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, "\ufffd"...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
