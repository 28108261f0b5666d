package series

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Refusal is a group of resources the server refused for one reason.
type Refusal struct {
	Status   int       `json:"status,omitempty"` // 0: refused by the tool before sending
	Reason   string    `json:"reason"`           // the server's words, ids replaced by …
	Count    int       `json:"count"`
	Examples []Example `json:"examples"`
}

// Example is one refused resource of a group, with the server's words.
type Example struct {
	Resource string `json:"resource"` // Type/id
	Message  string `json:"message"`
}

const (
	maxReasons  = 50  // groups kept; the rest count under otherReason
	maxExamples = 3   // examples a group
	maxMessage  = 600 // characters of a message kept
	otherReason = "other reasons (more than 50 different ones)"
)

// refusals groups refusals by status and reason. Its size is bounded.
type refusals struct {
	byKey map[string]*Refusal
	order []*Refusal
}

func (r *refusals) load(list []Refusal) {
	for _, g := range list {
		g := g
		r.put(&g)
	}
}

func (r *refusals) put(g *Refusal) {
	if r.byKey == nil {
		r.byKey = map[string]*Refusal{}
	}
	r.byKey[key(g.Status, g.Reason)] = g
	r.order = append(r.order, g)
}

func key(status int, reason string) string {
	return strconv.Itoa(status) + "\x00" + reason
}

func (r *refusals) add(status int, resource, msg string) {
	reason := Reason(msg)
	g := r.byKey[key(status, reason)]
	if g == nil {
		if len(r.order) >= maxReasons {
			status, reason = 0, otherReason
			g = r.byKey[key(status, reason)]
		}
		if g == nil {
			g = &Refusal{Status: status, Reason: reason}
			r.put(g)
		}
	}
	g.Count++
	if len(g.Examples) < maxExamples {
		g.Examples = append(g.Examples, Example{Resource: resource, Message: clip(msg)})
	}
}

// list returns copies of the groups, the largest first.
func (r *refusals) list() []Refusal {
	out := make([]Refusal, len(r.order))
	for i, g := range r.order {
		out[i] = *g
		out[i].Examples = append([]Example(nil), g.Examples...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out
}

var (
	// A reference or an id in a message: Patient/123, Patient/abc-1.
	refPattern = regexp.MustCompile(`\b([A-Z][A-Za-z]+)/[A-Za-z0-9\-.]{1,64}`)
	// A quoted value, which is the data's, not the reason's.
	quotedPattern = regexp.MustCompile(`"[^"]{0,200}"|'[^']{0,200}'`)
	// Numbers other than a HAPI message code.
	numberPattern = regexp.MustCompile(`(^|[^A-Za-z0-9-])[0-9]+`)
)

// Reason is a message with what is particular to one resource (ids,
// quoted values, numbers) replaced, so that refusals for one reason
// group together.
func Reason(msg string) string {
	s := refPattern.ReplaceAllString(msg, "$1/…")
	s = quotedPattern.ReplaceAllString(s, "\"…\"")
	s = numberPattern.ReplaceAllString(s, "${1}N")
	return clip(strings.Join(strings.Fields(s), " "))
}

func clip(s string) string {
	if len(s) <= maxMessage {
		return s
	}
	cut := maxMessage
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not inside a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
