package refs

import (
	"bytes"
	"encoding/json"
	"strings"
)

// canonicalPaths lists, per resource type, the elements of type canonical
// that an R4 search parameter of type reference indexes: HAPI checks
// referential integrity on those (HAPI-1094 names the search parameter's
// path). Each path is a list of JSON member names from the resource's
// root; arrays on the way are walked element by element.
//
// Where it came from: the R4 (4.0.1) SearchParameter and
// StructureDefinition resources of the specification (they ship in the
// npm package hl7.fhir.r4.examples 4.0.1): every SearchParameter of type
// reference whose expression names an element whose type is canonical.
// A choice element goes by its canonical name
// (PlanDefinition.action.definition[x] is definitionCanonical).
var canonicalPaths = map[string][][]string{
	"ActivityDefinition":        {{"library"}, {"relatedArtifact", "resource"}},
	"CapabilityStatement":       {{"implementationGuide"}, {"rest", "resource", "profile"}, {"rest", "resource", "supportedProfile"}},
	"CarePlan":                  {{"instantiatesCanonical"}},
	"CodeSystem":                {{"supplements"}},
	"Communication":             {{"instantiatesCanonical"}},
	"ConceptMap":                {{"sourceCanonical"}, {"targetCanonical"}, {"group", "unmapped", "url"}},
	"DeviceRequest":             {{"instantiatesCanonical"}},
	"EventDefinition":           {{"relatedArtifact", "resource"}},
	"Evidence":                  {{"relatedArtifact", "resource"}},
	"EvidenceVariable":          {{"relatedArtifact", "resource"}},
	"FamilyMemberHistory":       {{"instantiatesCanonical"}},
	"ImplementationGuide":       {{"dependsOn", "uri"}, {"global", "profile"}},
	"Library":                   {{"relatedArtifact", "resource"}},
	"Measure":                   {{"library"}, {"relatedArtifact", "resource"}},
	"MeasureReport":             {{"measure"}},
	"MessageDefinition":         {{"parent"}},
	"NutritionOrder":            {{"instantiatesCanonical"}},
	"OperationDefinition":       {{"base"}, {"inputProfile"}, {"outputProfile"}},
	"PlanDefinition":            {{"library"}, {"relatedArtifact", "resource"}, {"action", "definitionCanonical"}},
	"Procedure":                 {{"instantiatesCanonical"}},
	"QuestionnaireResponse":     {{"questionnaire"}},
	"RequestGroup":              {{"instantiatesCanonical"}},
	"ResearchDefinition":        {{"library"}, {"relatedArtifact", "resource"}},
	"ResearchElementDefinition": {{"library"}, {"relatedArtifact", "resource"}},
	"SearchParameter":           {{"derivedFrom"}, {"component", "definition"}},
	"ServiceRequest":            {{"instantiatesCanonical"}},
	"StructureDefinition":       {{"baseDefinition"}, {"snapshot", "element", "binding", "valueSet"}},
}

// urlTypes are the R4 resource types whose url element is their
// canonical URL (from the same StructureDefinitions: the resources with
// a top-level url, less Device and DeviceDefinition, whose url is a
// network address).
var urlTypes = map[string]bool{
	"ActivityDefinition": true, "CapabilityStatement": true, "ChargeItemDefinition": true, "CodeSystem": true,
	"CompartmentDefinition": true, "ConceptMap": true, "Contract": true, "EffectEvidenceSynthesis": true,
	"EventDefinition": true, "Evidence": true, "EvidenceVariable": true, "ExampleScenario": true,
	"GraphDefinition": true, "ImplementationGuide": true, "Library": true, "Measure": true,
	"MessageDefinition": true, "OperationDefinition": true, "PlanDefinition": true, "Questionnaire": true,
	"ResearchDefinition": true, "ResearchElementDefinition": true, "RiskEvidenceSynthesis": true,
	"SearchParameter": true, "StructureDefinition": true, "StructureMap": true,
	"TerminologyCapabilities": true, "TestScript": true, "ValueSet": true,
}

// HasCanonicals reports whether resources of type typ may hold canonical
// references (see Canonicals) or a canonical url.
func HasCanonicals(typ string) bool {
	_, ok := canonicalPaths[typ]
	return ok || urlTypes[typ]
}

// Canonicals returns the canonical url of raw, a resource of type typ
// ("" if its type has none or it has none), and the values of its
// canonical elements that a search parameter indexes, as written
// (possibly with |version). It decodes raw only when the type has such
// elements and raw names one of them; it returns nothing for raw that is
// not a JSON object.
func Canonicals(typ string, raw []byte) (url string, values []string) {
	paths := canonicalPaths[typ]
	if !urlTypes[typ] && !mentions(raw, paths) {
		return "", nil
	}
	var root map[string]any
	if json.Unmarshal(raw, &root) != nil {
		return "", nil
	}
	if urlTypes[typ] {
		url, _ = root["url"].(string)
	}
	for _, p := range paths {
		values = walk(root, p, values)
	}
	return url, values
}

// mentions reports whether raw holds the quoted last member name of one
// of paths: a cheap test before decoding.
func mentions(raw []byte, paths [][]string) bool {
	for _, p := range paths {
		if bytes.Contains(raw, []byte(`"`+p[len(p)-1]+`"`)) {
			return true
		}
	}
	return false
}

// walk appends the strings found at path under v.
func walk(v any, path []string, out []string) []string {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			out = walk(e, path, out)
		}
	case map[string]any:
		if len(path) > 0 {
			out = walk(x[path[0]], path[1:], out)
		}
	case string:
		if len(path) == 0 && x != "" {
			out = append(out, x)
		}
	}
	return out
}

// SplitCanonical returns a canonical value without its |version and
// #fragment.
func SplitCanonical(v string) string {
	if i := strings.IndexByte(v, '|'); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = v[:i]
	}
	return v
}
