package verify

import (
	"encoding/xml"
	"io"
	"sort"
	"strings"
)

// sameXHTML reports whether two narratives hold the same XHTML: the same
// elements with the same attributes (in any order), the same text with
// runs of whitespace taken as one space, and the same comments, whatever
// the entities (&#169; or ©), the empty-element form (<br></br> or <br/>),
// the indentation or a missing xmlns declaration. HAPI parses the narrative and writes it again, so
// these change on store. Either side failing to parse is a difference.
func sameXHTML(a, b string) bool {
	ta, ok1 := xhtmlTokens(a)
	tb, ok2 := xhtmlTokens(b)
	if !ok1 || !ok2 || len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if ta[i] != tb[i] {
			return false
		}
	}
	return true
}

// xhtmlNS is the namespace of a narrative. HAPI adds its declaration to
// a div that lacks it, so no namespace counts as this one.
const xhtmlNS = "http://www.w3.org/1999/xhtml"

func elementName(n xml.Name) string {
	if n.Space == "" {
		n.Space = xhtmlNS
	}
	return n.Space + ":" + n.Local
}

// xhtmlTokens renders the XML tokens of s as strings, text normalised.
func xhtmlTokens(s string) ([]string, bool) {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var out []string
	var text strings.Builder
	flush := func() {
		if t := strings.Join(strings.Fields(text.String()), " "); t != "" {
			out = append(out, "T"+t)
		}
		text.Reset()
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			flush()
			return out, true
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.CharData:
			text.Write(t)
			continue
		case xml.StartElement:
			flush()
			attrs := make([]string, 0, len(t.Attr))
			for _, a := range t.Attr {
				if a.Name.Space == "" && a.Name.Local == "xmlns" || a.Name.Space == "xmlns" {
					continue // declarations: the names they give are compared
				}
				attrs = append(attrs, a.Name.Space+":"+a.Name.Local+"="+a.Value)
			}
			sort.Strings(attrs)
			out = append(out, "S"+elementName(t.Name)+" "+strings.Join(attrs, " "))
		case xml.EndElement:
			flush()
			out = append(out, "E"+elementName(t.Name))
		case xml.Comment:
			flush()
			out = append(out, "C"+strings.Join(strings.Fields(string(t)), " "))
		case xml.ProcInst:
			flush()
			out = append(out, "P"+t.Target+" "+string(t.Inst))
		case xml.Directive:
			flush()
			out = append(out, "D"+string(t))
		}
	}
}
