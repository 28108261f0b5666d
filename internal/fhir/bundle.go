package fhir

import (
	"bytes"
	"encoding/json"
)

// Kind is the type of a Bundle sent to the server.
type Kind string

// Bundle kinds.
const (
	Batch       Kind = "batch"
	Transaction Kind = "transaction"
)

// Builder writes a batch or transaction Bundle of PUT Type/id entries. The
// resources go in exactly as given, so the server gets the bytes that were
// read: no decimal is reformatted, no key reordered.
type Builder struct {
	kind  Kind
	buf   bytes.Buffer
	spans [][2]int
	done  bool
}

// NewBuilder starts a Bundle of the given kind.
func NewBuilder(kind Kind) *Builder {
	b := &Builder{kind: kind}
	b.Reset()
	return b
}

// ResetAs empties the builder for a Bundle of another kind, keeping its
// memory.
func (b *Builder) ResetAs(kind Kind) {
	b.kind = kind
	b.Reset()
}

// Reset empties the builder for reuse, keeping its memory.
func (b *Builder) Reset() {
	b.buf.Reset()
	b.spans = b.spans[:0]
	b.done = false
	b.buf.WriteString(`{"resourceType":"Bundle","type":"`)
	b.buf.WriteString(string(b.kind))
	b.buf.WriteString(`","entry":[`)
}

// Add appends an entry PUT typ/id with the resource's raw JSON. typ and id
// must already be checked (a FHIR type name, a valid FHIR id): they need
// no escaping.
func (b *Builder) Add(typ, id string, resource []byte) {
	if len(b.spans) > 0 {
		b.buf.WriteByte(',')
	}
	b.buf.WriteString(`{"request":{"method":"PUT","url":"`)
	writeJSONText(&b.buf, typ)
	b.buf.WriteByte('/')
	writeJSONText(&b.buf, id)
	b.buf.WriteString(`"},"resource":`)
	start := b.buf.Len()
	b.buf.Write(resource)
	b.spans = append(b.spans, [2]int{start, b.buf.Len()})
	b.buf.WriteByte('}')
}

// Len is the number of entries.
func (b *Builder) Len() int { return len(b.spans) }

// Size is the body's size so far, in bytes.
func (b *Builder) Size() int { return b.buf.Len() }

// Bytes closes the Bundle and returns its body. Add must not be called after.
func (b *Builder) Bytes() []byte {
	if !b.done {
		b.buf.WriteString("]}")
		b.done = true
	}
	return b.buf.Bytes()
}

// Resource returns entry i's resource JSON, as it was added.
func (b *Builder) Resource(i int) []byte {
	s := b.spans[i]
	return b.buf.Bytes()[s[0]:s[1]]
}

// writeJSONText writes s as the content of a JSON string: as it is when it
// is printable ASCII without a quote or backslash (a checked type or id
// always is), else escaped by encoding/json.
func writeJSONText(buf *bytes.Buffer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always marshals
			buf.Write(q[1 : len(q)-1])
			return
		}
	}
	buf.WriteString(s)
}
