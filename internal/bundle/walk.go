package bundle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
)

// member is a top-level member of a JSON file, other than a Bundle's
// streamed entries.
type member struct {
	key string
	raw json.RawMessage
}

// top is what walk read of a file besides its entries.
type top struct {
	members      []member
	resourceType string // "" when absent or not a string
	bundleType   string // the "type" of a Bundle
	entries      int    // entries streamed
	// keepAll, set before walk, keeps the entries as a member too: a
	// file to store whole, whatever the order of its members.
	keepAll bool
}

// errNotObject is a file whose JSON is not an object.
var errNotObject = errors.New("not a JSON object")

// walkError is an error of a file's JSON after its entries started: the
// entries before it are good.
type walkError struct {
	afterEntry int
	err        error
}

func (e *walkError) Error() string { return e.err.Error() }
func (e *walkError) Unwrap() error { return e.err }

// walk reads a JSON file as a stream into t. When it is a Bundle to
// unpack (its resourceType comes before its entry array, as everyone
// writes it, and its type is not document or message), each element of
// entry goes to fn one by one (n counts from 1) and only the other
// members are kept; otherwise every member is kept. An error after the
// entries started is a *walkError.
func walk(ctx context.Context, r io.Reader, t *top, fn func(n int, raw json.RawMessage) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xEF, 0xBB, 0xBF}) {
		_, _ = br.Discard(3) // the three bytes Peek returned
	}
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return errNotObject
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return t.fail(err)
		}
		key, _ := tok.(string)
		if key == "entry" && t.resourceType == "Bundle" && !storedWhole(t.bundleType) && !t.keepAll {
			if err := t.stream(ctx, dec, fn); err != nil {
				return t.fail(err)
			}
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return t.fail(err)
		}
		switch key {
		case "resourceType":
			// A value that is no string leaves it empty: not FHIR.
			_ = json.Unmarshal(raw, &t.resourceType)
		case "type":
			_ = json.Unmarshal(raw, &t.bundleType)
		}
		t.members = append(t.members, member{key: key, raw: raw})
	}
	if _, err := dec.Token(); err != nil {
		return t.fail(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return t.fail(errors.New("more JSON after the end of the object"))
	}
	return nil
}

// fail marks an error after the entries started.
func (t *top) fail(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if t.entries == 0 {
		return err
	}
	return &walkError{afterEntry: t.entries, err: err}
}

// stream reads the entry array, one element at a time.
func (t *top) stream(ctx context.Context, dec *json.Decoder, fn func(int, json.RawMessage) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil // "entry": null
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return errors.New("the Bundle's entry is not an array")
	}
	for dec.More() {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		t.entries++
		if err := fn(t.entries, raw); err != nil {
			return err
		}
	}
	_, err = dec.Token()
	return err
}

// object writes the kept members back as one compact JSON object: the
// file's resource when it is not a Bundle to unpack.
func (t top) object() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range t.members {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.key)
		b.Write(k)
		b.WriteByte(':')
		if err := json.Compact(&b, m.raw); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// has reports whether the file has a top-level member key (of those kept).
func (t top) has(key string) bool {
	for _, m := range t.members {
		if m.key == key {
			return true
		}
	}
	return false
}
