// Package verify compares an input of NDJSON resources with what a FHIR
// server holds: which resources are missing, which differ (and where),
// and which differ only by the way the server writes them back.
package verify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/refs"
)

// Diff is the result of comparing an input resource with the server's.
type Diff struct {
	// Norms are the normalisations the server's copy shows.
	Norms Norm
	// Path is the first genuine difference (FHIRPath-like, 0-based
	// indexes: Observation.component[1].valueQuantity.value); "" when the
	// two are the same content.
	Path string
	// Input and Server render the two values at Path, shortened.
	Input, Server string
	// Conditional lists the conditional references the server stored as
	// a Type/id of the same type: the same content only if the query
	// matches that resource (Run asks the server).
	Conditional []Resolution
}

// Resolution is a conditional reference of the input and the reference
// the server stored for it.
type Resolution struct {
	Path   string
	Query  string // Type?query
	Target string // Type/id
}

// Same reports whether the content is the same (normalisations aside).
func (d Diff) Same() bool { return d.Path == "" }

// serverOwned are the meta members a server sets itself on every write.
var serverOwned = []string{"versionId", "lastUpdated", "source"}

// Decode parses a resource for Compare, numbers kept as written.
func Decode(raw []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	return m, nil
}

// Version returns meta.versionId of a decoded resource ("" if none).
func Version(res map[string]any) string {
	meta, _ := res["meta"].(map[string]any)
	v, _ := meta["versionId"].(string)
	return v
}

// Compare compares a decoded input resource with the server's copy,
// ignoring what the server owns (meta.versionId, meta.lastUpdated,
// meta.source) and naming the normalisations it finds. It changes
// neither argument.
func Compare(input, server map[string]any) Diff {
	typ, _ := input["resourceType"].(string)
	if typ == "" {
		typ = "Resource"
	}
	c := &comparer{}
	c.object(typ, stripMeta(input), stripMeta(server), "")
	return c.diff
}

// stripMeta returns res without the server-owned meta members (and
// without meta if nothing else is in it), copying only what it changes.
func stripMeta(res map[string]any) map[string]any {
	meta, ok := res["meta"].(map[string]any)
	if !ok {
		return res
	}
	out := make(map[string]any, len(res))
	for k, v := range res {
		out[k] = v
	}
	m := make(map[string]any, len(meta))
	for k, v := range meta {
		m[k] = v
	}
	for _, k := range serverOwned {
		delete(m, k)
	}
	if len(m) == 0 {
		delete(out, "meta")
	} else {
		out["meta"] = m
	}
	return out
}

type comparer struct {
	diff Diff
}

// differ records the first genuine difference; later ones are not looked
// for once one is found.
func (c *comparer) differ(path string, in, srv any) {
	if c.diff.Path != "" {
		return
	}
	c.diff.Path, c.diff.Input, c.diff.Server = path, render(in), render(srv)
}

func (c *comparer) found() bool { return c.diff.Path != "" }

// value compares two values at path; key is the member name holding them
// ("" for array elements), parent the name of the object holding key.
func (c *comparer) value(path string, in, srv any, key, parent string) {
	if c.found() {
		return
	}
	switch a := in.(type) {
	case map[string]any:
		b, ok := srv.(map[string]any)
		if !ok {
			c.differ(path, in, srv)
			return
		}
		c.object(path, a, b, key)
	case []any:
		b, ok := srv.([]any)
		if !ok {
			c.differ(path, in, srv)
			return
		}
		c.array(path, a, b, key, parent)
	case json.Number:
		b, ok := srv.(json.Number)
		switch {
		case !ok:
			c.differ(path, in, srv)
		case a == b:
		case sameNumber(string(a), string(b)):
			c.diff.Norms |= NormDecimal
		default:
			c.differ(path, in, srv)
		}
	case string:
		b, ok := srv.(string)
		switch {
		case !ok:
			c.differ(path, in, srv)
		case a == b:
		case key == "div" && parent == "text" && sameXHTML(a, b):
			c.diff.Norms |= NormNarrative
		case key == "reference" && unversioned(a) == b:
			c.diff.Norms |= NormRefVersion
		case key == "reference" && resolvedTo(a, b):
			c.diff.Conditional = append(c.diff.Conditional, Resolution{Path: path, Query: a, Target: b})
		default:
			c.differ(path, in, srv)
		}
	default: // bool, nil
		if in != srv {
			c.differ(path, in, srv)
		}
	}
}

// object compares two objects member by member, in sorted order so the
// first difference reported is the same on every run.
func (c *comparer) object(path string, a, b map[string]any, name string) {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if c.found() {
			return
		}
		av, aok := a[k]
		bv, bok := b[k]
		p := path + "." + k
		switch {
		case aok && bok:
			c.value(p, av, bv, k, name)
		case aok && isEmpty(av):
			c.diff.Norms |= NormEmpty
		case aok:
			c.differ(p, av, absent{})
		default:
			c.differ(p, absent{}, bv)
		}
	}
}

// array compares two arrays element by element, after dropping the empty
// elements of the input (the server drops them). meta.profile, meta.tag
// and meta.security compare as sets.
func (c *comparer) array(path string, a, b []any, key, parent string) {
	kept := a[:0:0]
	for _, v := range a {
		if isEmpty(v) {
			c.diff.Norms |= NormEmpty
			continue
		}
		kept = append(kept, v)
	}
	if parent == "meta" && (key == "profile" || key == "tag" || key == "security") {
		if sa, sb := canonicalSet(kept), canonicalSet(b); sa != nil && sb != nil && sameStrings(sa, sb) {
			if !sameStrings(canonicalList(kept), canonicalList(b)) {
				c.diff.Norms |= NormMetaSet
			}
			return
		}
	}
	for i := 0; i < max(len(kept), len(b)); i++ {
		p := path + "[" + strconv.Itoa(i) + "]"
		switch {
		case i >= len(b):
			c.differ(p, kept[i], absent{})
		case i >= len(kept):
			c.differ(p, absent{}, b[i])
		default:
			c.value(p, kept[i], b[i], "", key)
		}
		if c.found() {
			return
		}
	}
}

// isEmpty reports whether a value is what HAPI drops: null, a blank
// string, or an array or object holding only such values.
func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	case map[string]any:
		for _, e := range x {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	return false
}

// sameNumber reports whether two JSON numbers have the same value.
func sameNumber(a, b string) bool {
	x, ok1 := new(big.Rat).SetString(a)
	y, ok2 := new(big.Rat).SetString(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// resolvedTo reports whether the conditional reference cond may have been
// resolved to ref: ref is a Type/id of the type cond searches.
func resolvedTo(cond, ref string) bool {
	c, r := refs.Parse(cond, ""), refs.Parse(ref, "")
	return c.Kind == refs.Conditional && r.Kind == refs.Relative && c.Type == r.Type && !strings.Contains(ref, "/_history/")
}

// unversioned cuts /_history/n off a reference.
func unversioned(ref string) string {
	if i := strings.Index(ref, "/_history/"); i > 0 {
		return ref[:i]
	}
	return ref
}

// canonicalList renders each element as canonical JSON (sorted keys).
func canonicalList(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		b, err := json.Marshal(v) // maps marshal with sorted keys
		if err != nil {
			return nil
		}
		out[i] = string(b)
	}
	return out
}

// canonicalSet is canonicalList sorted, repeats dropped.
func canonicalSet(vs []any) []string {
	l := canonicalList(vs)
	if l == nil {
		return nil
	}
	sort.Strings(l)
	out := l[:0]
	for i, s := range l {
		if i == 0 || s != l[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// absent stands for a member one side does not have.
type absent struct{}

// render shows a value in a report, shortened to 80 bytes.
func render(v any) string {
	if _, ok := v.(absent); ok {
		return "(absent)"
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(buf.String(), "\n")
	if len(s) > 80 {
		cut := 77
		for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}
