//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"net/url"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// This file checks what the server holds against the input without the
// tool's code: it reads the input with encoding/json, fetches every
// resource from the server, and compares whole resources after the
// normalisations HAPI applies when it stores one (docs/upload.md, "verify in detail"):
//   - meta.versionId, meta.lastUpdated and meta.source are the server's;
//   - empty values are dropped (null, "", blank strings, [], {});
//   - numbers may be written in another notation (1e2 as 100);
//   - the narrative's XHTML is written again (entities, whitespace,
//     attribute order, the xmlns it adds);
//   - meta.profile, meta.tag and meta.security are sorted and de-duplicated;
//   - versions are cut from references (Patient/1/_history/2);
//   - a conditional reference (Type?query) is stored as the Type/id it
//     matched, which this file finds with the same search.
// Anything else is a difference.

// inputResource is the last occurrence of a Type/id in the input.
type inputResource struct {
	where string // file:line
	res   map[string]any
}

// lastInInput reads every *.ndjson and *.ndjson.gz file under dir, the
// files in byte-wise order of their slash-separated path relative to dir
// and the lines in file order, and returns each Type/id's last
// occurrence, by type and id.
func lastInInput(t *testing.T, dir string) map[string]map[string]inputResource {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".ndjson") || strings.HasSuffix(p, ".ndjson.gz")) {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	must(t, err)
	slices.Sort(files)
	out := map[string]map[string]inputResource{}
	for _, rel := range files {
		data := readNDJSON(t, filepath.Join(dir, filepath.FromSlash(rel)))
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 256<<20)
		for n := 1; sc.Scan(); n++ {
			if len(bytes.TrimSpace(sc.Bytes())) == 0 {
				continue
			}
			r, err := decodeJSON(sc.Bytes())
			if err != nil {
				t.Fatalf("%s:%d: %v", rel, n, err)
			}
			typ, _ := r["resourceType"].(string)
			id, _ := r["id"].(string)
			if out[typ] == nil {
				out[typ] = map[string]inputResource{}
			}
			out[typ][id] = inputResource{where: fmt.Sprintf("%s:%d", rel, n), res: r}
		}
		must(t, sc.Err())
	}
	return out
}

// decodeJSON decodes one JSON object, numbers as json.Number.
func decodeJSON(b []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the object")
	}
	return m, nil
}

// checkWholeContent fetches every resource of the input in dir (its last
// occurrence) from s in _id searches of 50, compares each whole after
// HAPI's normalisations, reports what is missing or differs, and returns
// the number of resources compared.
func checkWholeContent(t *testing.T, s server, dir string) int {
	t.Helper()
	want := lastInInput(t, dir)
	conditional := map[string]string{} // Type?query -> Type/id on the server
	n, bad := 0, 0
	types := make([]string, 0, len(want))
	for typ := range want {
		types = append(types, typ)
	}
	slices.Sort(types)
	for _, typ := range types {
		ids := make([]string, 0, len(want[typ]))
		for id := range want[typ] {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		got := map[string]map[string]any{}
		for start := 0; start < len(ids); start += 50 {
			chunk := ids[start:min(start+50, len(ids))]
			for _, r := range s.searchAll(t, typ, url.Values{"_id": {strings.Join(chunk, ",")}, "_count": {"50"}}) {
				id, _ := r["id"].(string)
				got[id] = r
			}
		}
		for _, id := range ids {
			n++
			in := want[typ][id]
			g, ok := got[id]
			if !ok {
				bad++
				if bad <= 10 {
					t.Errorf("%s/%s (%s) is not on the server", typ, id, in.where)
				}
				continue
			}
			w := normalise(in.res, func(ref string) string { return s.resolve(t, conditional, ref) })
			g = normalise(g, nil)
			if path, a, b := firstDiff(typ, w, g); path != "" {
				bad++
				if bad <= 10 {
					t.Errorf("%s/%s (%s) differs on the server at %s: input %s, server %s", typ, id, in.where, path, show(a), show(b))
				}
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d resources missing or different", bad, n)
	}
	return n
}

// searchAll runs a search (POST Type/_search) and returns the resources
// of every page.
func (s server) searchAll(t *testing.T, typ string, form url.Values) []map[string]any {
	t.Helper()
	var out []map[string]any
	code, body := s.do(t, "POST", typ+"/_search", nil, form)
	for page := 0; ; page++ {
		if code != 200 {
			t.Fatalf("search %s %v: HTTP %d: %.300s", typ, form, code, body)
		}
		var b struct {
			Link []struct {
				Relation string `json:"relation"`
				URL      string `json:"url"`
			} `json:"link"`
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
		}
		must(t, json.Unmarshal(body, &b))
		for _, e := range b.Entry {
			r, err := decodeJSON(e.Resource)
			must(t, err)
			out = append(out, r)
		}
		next := ""
		for _, l := range b.Link {
			if l.Relation == "next" {
				next = l.URL
			}
		}
		if next == "" || page > 1000 {
			return out
		}
		rel, ok := strings.CutPrefix(next, s.base+"/")
		if !ok {
			t.Fatalf("next page %s is not under %s", next, s.base)
		}
		code, body = s.do(t, "GET", rel, nil, nil)
	}
}

// resolve returns the Type/id on the server that a conditional reference
// matches (exactly one, or the test fails), each query searched once.
func (s server) resolve(t *testing.T, cache map[string]string, ref string) string {
	t.Helper()
	if got, ok := cache[ref]; ok {
		return got
	}
	typ, query, _ := strings.Cut(ref, "?")
	form, err := url.ParseQuery(query)
	must(t, err)
	form.Set("_count", "2")
	found := s.searchAll(t, typ, form)
	if len(found) != 1 {
		t.Fatalf("conditional reference %s matches %d resources on the server, want 1", ref, len(found))
	}
	id, _ := found[0]["id"].(string)
	cache[ref] = typ + "/" + id
	return cache[ref]
}

var (
	conditionalRef = regexp.MustCompile(`^[A-Z][A-Za-z]+\?`)
	versionedRef   = regexp.MustCompile(`^((?:.*/)?[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64})/_history/[^/]+$`)
)

// normalise returns r as HAPI would store it, for comparison: see the
// list at the top of this file. resolve, when not nil, maps conditional
// references to the Type/id they match.
func normalise(r map[string]any, resolve func(string) string) map[string]any {
	v, _ := normaliseValue("", r, resolve)
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// normaliseValue normalises v, found under key, and reports whether it
// is empty (to be dropped).
func normaliseValue(key string, v any, resolve func(string) string) (any, bool) {
	switch x := v.(type) {
	case nil:
		return nil, true
	case string:
		switch {
		case strings.TrimSpace(x) == "":
			return nil, true
		case key == "div":
			return canonicalXHTML(x), false
		case key == "reference" && resolve != nil && conditionalRef.MatchString(x):
			return resolve(x), false
		case key == "reference":
			if m := versionedRef.FindStringSubmatch(x); m != nil {
				return m[1], false
			}
		}
		return x, false
	case json.Number:
		return canonicalNumber(x), false
	case []any:
		var out []any
		for _, e := range x {
			if ne, empty := normaliseValue(key, e, resolve); !empty {
				out = append(out, ne)
			}
		}
		return out, len(out) == 0
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if ne, empty := normaliseValue(k, e, resolve); !empty {
				out[k] = ne
			}
		}
		if key == "meta" {
			for _, k := range []string{"versionId", "lastUpdated", "source"} {
				delete(out, k)
			}
			for _, k := range []string{"profile", "tag", "security"} {
				if l, ok := out[k].([]any); ok {
					out[k] = sortedSet(l)
				}
			}
		}
		return out, len(out) == 0
	}
	return v, false
}

// canonicalNumber writes a JSON number in one notation: its exact value
// as a fraction, so that 1e2, 100 and 100.0 are the same.
func canonicalNumber(n json.Number) string {
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return "number " + string(n)
	}
	return "number " + r.RatString()
}

// sortedSet sorts the values of a list by their JSON and drops repeats.
func sortedSet(l []any) []any {
	type keyed struct {
		key string
		v   any
	}
	ks := make([]keyed, 0, len(l))
	for _, v := range l {
		b, _ := json.Marshal(v) // map keys come out sorted
		ks = append(ks, keyed{string(b), v})
	}
	slices.SortFunc(ks, func(a, b keyed) int { return strings.Compare(a.key, b.key) })
	ks = slices.CompactFunc(ks, func(a, b keyed) bool { return a.key == b.key })
	out := make([]any, len(ks))
	for i, k := range ks {
		out[i] = k.v
	}
	return out
}

// canonicalXHTML writes a narrative's XHTML in one form: element names,
// attributes in name order without xmlns, entities resolved, runs of
// whitespace as one space and whitespace-only text dropped, empty
// elements as start and end tag. An unparseable one is kept as it is.
func canonicalXHTML(s string) string {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.AutoClose = xml.HTMLAutoClose
	var b strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return b.String()
		}
		if err != nil {
			return "unparsed " + s
		}
		switch x := tok.(type) {
		case xml.StartElement:
			var attrs []string
			for _, a := range x.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" {
					continue
				}
				attrs = append(attrs, fmt.Sprintf("%s=%q", a.Name.Local, strings.Join(strings.Fields(a.Value), " ")))
			}
			slices.Sort(attrs)
			fmt.Fprintf(&b, "<%s", x.Name.Local)
			for _, a := range attrs {
				b.WriteString(" " + a)
			}
			b.WriteString(">")
		case xml.EndElement:
			fmt.Fprintf(&b, "</%s>", x.Name.Local)
		case xml.CharData:
			if f := strings.Fields(string(x)); len(f) > 0 {
				b.WriteString(strings.Join(f, " "))
			}
		}
	}
}

// firstDiff returns the path of the first difference between a and b
// (in key order) and both values there, or "" when they are equal.
func firstDiff(path string, a, b any) (string, any, any) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			if p, x, y := firstDiff(path+"."+k, am[k], bm[k]); p != "" {
				return p, x, y
			}
		}
		return "", nil, nil
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			if p, x, y := firstDiff(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i]); p != "" {
				return p, x, y
			}
		}
		return "", nil, nil
	}
	if !reflect.DeepEqual(a, b) {
		return path, a, b
	}
	return "", nil, nil
}

// show writes a value for a message, cut short.
func show(v any) string {
	if v == nil {
		return "(absent)"
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	_ = e.Encode(v)
	out := strings.TrimSpace(b.String())
	if len(out) > 300 {
		return out[:300] + "..."
	}
	return out
}
