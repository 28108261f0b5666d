package bundle

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/ndjson"
)

// entry is what Expand reads of a Bundle entry.
type entry struct {
	FullURL  string          `json:"fullUrl"`
	Resource json.RawMessage `json:"resource"`
	Request  struct {
		Method      string `json:"method"`
		URL         string `json:"url"`
		IfNoneExist string `json:"ifNoneExist"`
	} `json:"request"`
	Search struct {
		Mode string `json:"mode"`
	} `json:"search"`
}

// action is what becomes of an entry.
type action int

const (
	write  action = iota // PUT Type/id
	skip                 // not written, counted under decision.reason
	refuse               // not written, to the failure log with decision.reason
)

// decision is what decide says of one entry.
type decision struct {
	act    action
	typ    string
	id     string
	addID  bool   // the resource has no id of its own: id is put in
	reason string // skip: the request method or "search outcome"; refuse: why
}

// notWritten are the request methods whose entries are not written: they
// read, delete or patch, and a load writes resources.
var notWritten = map[string]bool{"DELETE": true, "GET": true, "HEAD": true, "PATCH": true}

// decide parses one entry (its raw JSON) and says what to do with it.
func decide(raw []byte) (entry, decision) {
	var e entry
	if err := json.Unmarshal(raw, &e); err != nil {
		return e, decision{act: refuse, reason: fmt.Sprintf("not a Bundle entry: %v", err)}
	}
	if e.Search.Mode == "outcome" {
		return e, decision{act: skip, reason: "search outcome"}
	}
	if m := strings.ToUpper(e.Request.Method); notWritten[m] {
		return e, decision{act: skip, reason: m}
	}
	res := bytes.TrimSpace(e.Resource)
	if len(res) == 0 || string(res) == "null" {
		return e, decision{act: refuse, reason: "the entry has no resource"}
	}
	return e, decideResource(e, res)
}

// decideResource finds the type and id an entry's resource is written
// under.
func decideResource(e entry, res []byte) decision {
	var top struct {
		ResourceType *string `json:"resourceType"`
		ID           *string `json:"id"`
	}
	if res[0] != '{' {
		return decision{act: refuse, reason: "the entry's resource is not a JSON object"}
	}
	if err := json.Unmarshal(res, &top); err != nil {
		return decision{act: refuse, reason: fmt.Sprintf("the entry's resource: %v", err)}
	}
	switch {
	case top.ResourceType == nil:
		return decision{act: refuse, reason: "the entry's resource has no resourceType"}
	case !fhirtype.Known(*top.ResourceType):
		return decision{act: refuse, typ: *top.ResourceType, reason: fmt.Sprintf("unknown resourceType %q: not a FHIR R4 resource type", *top.ResourceType)}
	}
	typ := *top.ResourceType
	if top.ID != nil {
		if err := ndjson.CheckID(*top.ID); err != nil {
			return decision{act: refuse, typ: typ, reason: fmt.Sprintf("%s: resource.id: %v", typ, err)}
		}
		return decision{act: write, typ: typ, id: *top.ID}
	}
	if id := idFromURL(e.FullURL, typ); id != "" {
		return decision{act: write, typ: typ, id: id, addID: true}
	}
	if id := idFromURL(e.Request.URL, typ); id != "" {
		return decision{act: write, typ: typ, id: id, addID: true}
	}
	return decision{act: refuse, typ: typ, reason: fmt.Sprintf("%s with no id: the resource has none, and neither its fullUrl nor its request.url names one (the server would make one up, and a second load would write it again)", typ)}
}

// idFromURL returns the id a fullUrl or request URL gives a resource of
// type typ: the UUID of urn:uuid:UUID, or id of [base/]typ/id[/_history/v]
// (query and fragment cut). It returns "" when the URL names none, or an
// invalid one.
func idFromURL(u, typ string) string {
	if rest, ok := strings.CutPrefix(u, "urn:uuid:"); ok {
		if fhirtype.ValidID(rest) {
			return rest
		}
		return ""
	}
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	seg := strings.Split(strings.TrimSuffix(u, "/"), "/")
	if n := len(seg); n >= 4 && seg[n-2] == "_history" {
		seg = seg[:n-2]
	}
	if n := len(seg); n >= 2 && seg[n-2] == typ && fhirtype.ValidID(seg[n-1]) {
		return seg[n-1]
	}
	return ""
}
