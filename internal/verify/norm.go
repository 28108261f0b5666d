package verify

import (
	"fmt"
	"strings"
)

// Norm is a set of normalisations: ways a server writes a resource back
// that change its JSON but not its content.
type Norm uint8

// The normalisations HAPI FHIR 8.8 applies on store (seen on the test bed).
const (
	// NormEmpty: empty values are dropped (null, "", blank strings, [],
	// {} and objects or arrays of nothing else).
	NormEmpty Norm = 1 << iota
	// NormDecimal: a number is written in another notation with the same
	// value (1e2 as 100, 1E-7 as 0.0000001, -0.0 as 0.0).
	NormDecimal
	// NormNarrative: the narrative's XHTML is written again: the same
	// elements, attributes and text, other whitespace, entities, attribute
	// order or empty-element form (<br></br> as <br/>).
	NormNarrative
	// NormMetaSet: meta.profile, meta.tag or meta.security sorted and
	// their repeats dropped.
	NormMetaSet
	// NormRefVersion: a versioned reference (Type/id/_history/n) stored
	// without its version.
	NormRefVersion
	// NormConditional: a conditional reference (Type?query) stored as the
	// Type/id it matched when written. Compare only notes the pair (in
	// Diff.Conditional); Run asks the server the same search to confirm.
	NormConditional
)

// Norms lists every normalisation, in the order reports show them.
var Norms = []Norm{NormEmpty, NormDecimal, NormNarrative, NormMetaSet, NormRefVersion, NormConditional}

// String says what the normalisation does, for reports.
func (n Norm) String() string {
	switch n {
	case NormEmpty:
		return "empty values dropped (null, \"\", blank strings, [], {})"
	case NormDecimal:
		return "numbers written in another notation, same value (1e2 as 100, -0.0 as 0.0)"
	case NormNarrative:
		return "narrative XHTML written again (same elements, attributes and text; other whitespace, entities or tag form)"
	case NormMetaSet:
		return "meta.profile, meta.tag or meta.security sorted, repeats dropped"
	case NormRefVersion:
		return "version dropped from references (Type/id/_history/n stored as Type/id)"
	case NormConditional:
		return "conditional references resolved (Type?query stored as the Type/id it matches; each checked with the same search)"
	}
	var parts []string
	for _, k := range Norms {
		if n&k != 0 {
			parts = append(parts, k.String())
		}
	}
	return strings.Join(parts, "; ")
}

// Key is a short stable name of a single normalisation, for JSON reports.
func (n Norm) Key() string {
	switch n {
	case NormEmpty:
		return "empty-dropped"
	case NormDecimal:
		return "decimal-notation"
	case NormNarrative:
		return "narrative-xhtml"
	case NormMetaSet:
		return "meta-sets-sorted"
	case NormRefVersion:
		return "reference-version-dropped"
	case NormConditional:
		return "conditional-reference-resolved"
	}
	return fmt.Sprintf("norm-%d", uint8(n))
}
