package bundle

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/minio-to-fhir/minio-to-fhir/internal/jsonscan"
)

// rewrite appends res (compact JSON, valid) to dst with every
// Reference.reference value (the string value of a key "reference", at
// any depth) that lookup knows replaced by what it returns, and returns
// it with the number of values replaced. Nothing else changes: contained
// "#id" references, identifiers and other strings that look like a
// fullUrl stay as they are.
func rewrite(dst, res []byte, lookup func(ref string) (string, bool)) ([]byte, int) {
	n, done := 0, 0
	for i := 0; i < len(res); {
		q := bytes.IndexByte(res[i:], '"')
		if q < 0 {
			break
		}
		start := i + q + 1
		end := jsonscan.ClosingQuote(res, start)
		if end < 0 {
			break
		}
		// In valid JSON a string followed by ':' is a key, any other a
		// value: no structure needs tracking.
		colon := jsonscan.Space(res, end+1)
		if colon >= len(res) || res[colon] != ':' || !jsonscan.KeyIs(res[start:end], "reference") {
			i = end + 1
			continue
		}
		v := jsonscan.Space(res, colon+1)
		if v >= len(res) || res[v] != '"' {
			i = v
			continue
		}
		vend := jsonscan.ClosingQuote(res, v+1)
		if vend < 0 {
			break
		}
		i = vend + 1
		val := res[v+1 : vend]
		ref := string(val)
		if bytes.IndexByte(val, '\\') >= 0 || !utf8.Valid(val) {
			s, ok := jsonscan.Unquote(val)
			if !ok {
				continue
			}
			ref = s
		}
		to, ok := lookup(ref)
		if !ok {
			continue
		}
		dst = append(dst, res[done:v]...)
		q2, _ := json.Marshal(to)
		dst = append(dst, q2...)
		done = vend + 1
		n++
	}
	return append(dst, res[done:]...), n
}

// withID appends res (compact JSON, an object) to dst with "id":id as its
// first member.
func withID(dst, res []byte, id string) []byte {
	q, _ := json.Marshal(id)
	dst = append(dst, `{"id":`...)
	dst = append(dst, q...)
	if len(res) > 2 {
		dst = append(dst, ',')
	}
	return append(dst, res[1:]...)
}
