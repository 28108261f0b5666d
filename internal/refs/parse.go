package refs

import (
	"strconv"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
)

// Kind says what a reference string points at.
type Kind int

// The kinds of reference. The zero Kind is Invalid.
const (
	// Invalid is a reference that cannot resolve on this server: empty,
	// malformed, a bad id, or a type that is not an R4 resource type.
	Invalid Kind = iota
	// Relative is Type/id or Type/id/_history/vid: a resource on this
	// server, a dependency.
	Relative
	// Conditional is Type?query, resolved by search when written: a
	// dependency on the type, but on no known id.
	Conditional
	// Contained is #id, a resource contained in the referring one: no
	// dependency.
	Contained
	// Absolute is a URL under the server's base naming Type/id: a
	// dependency just like Relative.
	Absolute
	// External is a URL of another server: no dependency.
	External
	// URN is urn:uuid:... or urn:oid:... (or any other urn:): meaningful
	// only inside a Bundle, no dependency.
	URN
)

var kindNames = [...]string{"Invalid", "Relative", "Conditional", "Contained", "Absolute", "External", "URN"}

// String returns the name of the kind.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Ref is a parsed reference.
type Ref struct {
	Kind Kind
	// Type is the resource type for Relative, Absolute and Conditional
	// references, and empty otherwise.
	Type string
	// ID is the logical id (without version) for Relative and Absolute,
	// the fragment for Contained ("" for "#", the container itself), the
	// whole URN for URN, and empty otherwise.
	ID string
	// Query is the search after '?' of a Conditional reference.
	Query string
}

// Local reports whether r names one resource of this server by type and
// id: a resource that must be written before the one referring to it.
func (r Ref) Local() bool { return r.Kind == Relative || r.Kind == Absolute }

// Parse classifies ref, a reference string. base is the server's base
// URL (as "http://127.0.0.1:8080/fhir", a final slash is ignored), or ""
// when unknown. A URL under base is Absolute when the rest is a valid
// Type/id[/_history/vid], Conditional when it is Type?query, and Invalid
// otherwise; the match is on the exact text (scheme, host and port as
// spelled in base). Any other URL (scheme "://" ...) is External.
//
// A type that is not an R4 resource type (fhirtype.Known, case
// sensitive) makes a relative, absolute or conditional reference
// Invalid rather than External: it names this server but can never
// resolve on it, so the writer will be rejected, and the caller should
// report it. So does an id that is not [A-Za-z0-9.-]{1,64}, as R4
// defines ids. Type, ID and Query are substrings of ref.
func Parse(ref string, base string) Ref {
	switch {
	case ref == "":
		return Ref{}
	case ref[0] == '#':
		return Ref{Kind: Contained, ID: ref[1:]}
	case strings.HasPrefix(ref, "urn:"):
		return Ref{Kind: URN, ID: ref}
	}
	base = strings.TrimSuffix(base, "/")
	if base != "" && len(ref) > len(base) && ref[len(base)] == '/' && strings.HasPrefix(ref, base) {
		r := parseLocal(ref[len(base)+1:])
		if r.Kind == Relative {
			r.Kind = Absolute
		}
		return r
	}
	if isURL(ref) {
		return Ref{Kind: External}
	}
	return parseLocal(ref)
}

// isURL reports whether s starts with scheme "://", such as "https://".
// A conditional reference may hold "://" in its query, after a '?' that
// no scheme contains.
func isURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (j == 0 || !('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// parseLocal parses Type/id, Type/id/_history/vid or Type?query.
func parseLocal(s string) Ref {
	if q := strings.IndexByte(s, '?'); q >= 0 {
		typ, query := s[:q], s[q+1:]
		if query == "" || !fhirtype.Known(typ) {
			return Ref{}
		}
		return Ref{Kind: Conditional, Type: typ, Query: query}
	}
	typ, rest, ok := strings.Cut(s, "/")
	if !ok || !fhirtype.Known(typ) {
		return Ref{}
	}
	id, hist, versioned := strings.Cut(rest, "/")
	if !fhirtype.ValidID(id) {
		return Ref{}
	}
	if versioned {
		vid, ok := strings.CutPrefix(hist, "_history/")
		if !ok || !fhirtype.ValidID(vid) {
			return Ref{}
		}
	}
	return Ref{Kind: Relative, Type: typ, ID: id}
}
