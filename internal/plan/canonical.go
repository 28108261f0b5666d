package plan

import (
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/refs"
)

// A canonical value (refs.Canonicals) is a dependency when it is a
// relative Type/id (or an absolute URL of the server, as any reference),
// or an absolute URL equal to the url of a resource in the data; a
// |version or #fragment is ignored. Other canonical URLs (a profile or
// value set published elsewhere) are no dependency.

// hasCanonicals says, by index in fhirtype.R4, which types may hold
// canonical references or a canonical url (a slice: a map lookup per line
// would cost more).
var hasCanonicals = func() []bool {
	out := make([]bool, len(fhirtype.R4))
	for i, t := range fhirtype.R4 {
		out[i] = refs.HasCanonicals(t)
	}
	return out
}()

// canonTarget is a resource with a canonical url.
type canonTarget struct {
	ti int // its type, in fhirtype.R4
	id []byte
}

// canonEdge is a type that refers to a canonical URL.
type canonEdge struct {
	url  string
	from int // in fhirtype.R4
}

// canonicals takes in the canonical url and canonical references of one
// resource of type typ (fhirtype.R4[ti]).
func (z *analyzer) canonicals(typ string, ti int, id []byte, raw []byte) {
	url, values := refs.Canonicals(typ, raw)
	if url = refs.SplitCanonical(url); url != "" {
		z.urls[url] = append(z.urls[url], canonTarget{ti: ti, id: []byte(string(id))})
	}
	nt := len(fhirtype.R4)
	for _, v := range values {
		v = refs.SplitCanonical(v)
		if _, rti, rid, cond, ok := localRef([]byte(v), z.opts.BaseURL); ok && !cond {
			z.edgeCount[ti*nt+rti]++
			z.ref(rti, rid)
			continue
		}
		if absoluteURL(v) {
			z.url(v)
			z.canonFrom[canonEdge{url: v, from: ti}]++
		}
	}
}

// canonicalTypeEdges counts, once every url is known, the references
// between types that canonical URLs make.
func (z *analyzer) canonicalTypeEdges() {
	nt := len(fhirtype.R4)
	for e, n := range z.canonFrom {
		for _, t := range z.urls[e.url] {
			z.edgeCount[e.from*nt+t.ti] += n
		}
	}
}

// absoluteURL reports whether a canonical value is an absolute URL (or a
// URN), which only a resource's url can match.
func absoluteURL(v string) bool {
	return strings.Contains(v, "://") || strings.HasPrefix(v, "urn:")
}
