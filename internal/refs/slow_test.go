package refs

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
)

// slowRefs is the reference implementation: decode into any and walk it.
// The result is sorted, since map order is random. A repeated key keeps
// only its last value, as encoding/json does.
func slowRefs(raw []byte) ([]string, error) {
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a number too large for float64 is still valid JSON
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && k == "reference" {
					out = append(out, s)
				}
				walk(e)
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(v)
	slices.Sort(out)
	return out, nil
}

// tokenRefs walks the token stream of encoding/json, so it keeps repeated
// keys and document order, like Each. repeated says whether an object
// repeats a key, which a decode into any collapses.
func tokenRefs(raw []byte) (refs []string, repeated bool, err error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // a number too large for float64 is still valid JSON
	var out []string
	var value func(tok json.Token) error
	value = func(tok json.Token) error {
		switch tok {
		case json.Delim('{'):
			seen := map[any]bool{}
			for dec.More() {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				repeated = repeated || seen[k]
				seen[k] = true
				v, err := dec.Token()
				if err != nil {
					return err
				}
				if s, ok := v.(string); ok && k == "reference" {
					out = append(out, s)
				}
				if err := value(v); err != nil {
					return err
				}
			}
			_, err := dec.Token() // '}'
			return err
		case json.Delim('['):
			for dec.More() {
				v, err := dec.Token()
				if err != nil {
					return err
				}
				if err := value(v); err != nil {
					return err
				}
			}
			_, err := dec.Token() // ']'
			return err
		}
		return nil
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, repeated, nil
		}
		if err != nil {
			return nil, false, err
		}
		if err := value(tok); err != nil {
			return nil, false, err
		}
	}
}

// fastRefs collects what Each reports.
func fastRefs(raw []byte) []string {
	var out []string
	Each(raw, func(ref []byte) { out = append(out, string(ref)) })
	return out
}
