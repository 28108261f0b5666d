// Package plan turns the inputs of an upload into an ordered plan: the
// resource type of each file, and steps of types in an order in which
// referenced types are written before the types that reference them.
package plan

import (
	"slices"
	"sort"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/graph"
)

// Classic is the order loaders have always used; it breaks ties between
// types that do not depend on each other.
var Classic = []string{
	"Organization", "Location", "Patient", "Encounter", "Condition", "Observation",
	"Procedure", "Medication", "Specimen", "MedicationRequest", "MedicationDispense",
	"MedicationStatement", "MedicationAdministration",
}

// core is what a type missing from deps is assumed to reference: the
// shared entities almost every clinical resource points at.
var core = []string{"Organization", "Location", "Practitioner", "PractitionerRole", "Patient", "RelatedPerson", "Encounter"}

// late types reference anything (Provenance.target, List.entry, ...) and
// go after every other type present.
var late = map[string]bool{"Provenance": true, "AuditEvent": true, "List": true, "Composition": true, "DocumentManifest": true, "Bundle": true}

// deps says which types a type's resources reference in practice (Synthea,
// MIMIC-IV on FHIR, bulk exports). References back along an edge (such as
// Encounter.diagnosis -> Condition against Condition.encounter ->
// Encounter) are left out so that the graph stays acyclic; references
// between resources of one type are not listed (the data-driven planner
// handles them). TestDepsAcyclic keeps it so.
var deps = map[string][]string{
	"Organization":             {"Endpoint"},
	"Endpoint":                 nil,
	"Location":                 {"Organization", "Endpoint"},
	"Practitioner":             {"Organization"},
	"PractitionerRole":         {"Practitioner", "Organization", "Location", "HealthcareService", "Endpoint"},
	"HealthcareService":        {"Organization", "Location", "Endpoint"},
	"Patient":                  {"Organization", "Practitioner", "PractitionerRole"},
	"RelatedPerson":            {"Patient"},
	"Person":                   {"Patient", "Practitioner", "RelatedPerson", "Organization"},
	"Group":                    {"Patient", "Practitioner", "PractitionerRole", "Organization", "Device", "Medication", "Substance", "RelatedPerson"},
	"Device":                   {"Patient", "Organization", "Location", "DeviceDefinition"},
	"DeviceDefinition":         {"Organization"},
	"Substance":                nil,
	"Goal":                     {"Patient", "Practitioner", "PractitionerRole", "RelatedPerson", "Organization"},
	"EpisodeOfCare":            {"Patient", "Organization", "Practitioner", "PractitionerRole"},
	"Coverage":                 {"Patient", "Organization", "RelatedPerson"},
	"Account":                  {"Patient", "Organization", "Device", "Location", "HealthcareService", "Practitioner", "Coverage"},
	"Schedule":                 {"Patient", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Device", "RelatedPerson"},
	"Slot":                     {"Schedule"},
	"Appointment":              {"Slot", "Patient", "Practitioner", "PractitionerRole", "Location", "HealthcareService", "Device", "RelatedPerson"},
	"Encounter":                {"Patient", "Group", "Practitioner", "PractitionerRole", "RelatedPerson", "Location", "Organization", "EpisodeOfCare", "Goal", "Appointment", "Account"},
	"Condition":                {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "RelatedPerson"},
	"AllergyIntolerance":       {"Patient", "Encounter", "Practitioner", "PractitionerRole", "RelatedPerson"},
	"FamilyMemberHistory":      {"Patient"},
	"ServiceRequest":           {"Patient", "Group", "Device", "Location", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Condition", "Coverage"},
	"Specimen":                 {"Patient", "Group", "Device", "Substance", "Location", "Practitioner", "PractitionerRole", "ServiceRequest"},
	"Procedure":                {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Device", "Location", "Condition", "ServiceRequest", "Medication", "Substance"},
	"Observation":              {"Patient", "Group", "Device", "Location", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Specimen", "ServiceRequest", "Procedure", "CarePlan", "ImagingStudy", "Immunization", "Media", "MolecularSequence"},
	"Media":                    {"Patient", "Group", "Device", "Specimen", "Location", "Encounter", "Practitioner", "PractitionerRole", "Organization", "ServiceRequest", "CarePlan"},
	"MolecularSequence":        {"Patient", "Specimen", "Device", "Organization"},
	"ImagingStudy":             {"Patient", "Group", "Device", "Encounter", "Practitioner", "PractitionerRole", "Organization", "Location", "ServiceRequest", "Procedure", "Condition", "Endpoint"},
	"Medication":               {"Organization", "Substance"},
	"MedicationRequest":        {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Device", "Medication", "Condition", "Observation", "CarePlan", "ServiceRequest", "Coverage"},
	"MedicationDispense":       {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "Location", "Device", "RelatedPerson", "Medication", "MedicationRequest", "Procedure"},
	"MedicationAdministration": {"Patient", "Group", "Encounter", "EpisodeOfCare", "Practitioner", "PractitionerRole", "RelatedPerson", "Device", "Medication", "MedicationRequest", "Condition", "Observation", "Procedure"},
	"MedicationStatement":      {"Patient", "Group", "Encounter", "EpisodeOfCare", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Medication", "MedicationRequest", "MedicationDispense", "Condition", "Observation", "Procedure"},
	"Immunization":             {"Patient", "Encounter", "Location", "Practitioner", "PractitionerRole", "Organization", "Condition", "Substance"},
	"CareTeam":                 {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "RelatedPerson", "Organization", "Condition"},
	"CarePlan":                 {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "RelatedPerson", "Organization", "CareTeam", "Goal", "Condition", "ServiceRequest", "Device"},
	"DiagnosticReport":         {"Patient", "Group", "Device", "Location", "Encounter", "Practitioner", "PractitionerRole", "Organization", "CareTeam", "ServiceRequest", "CarePlan", "Specimen", "Observation", "ImagingStudy", "Media", "Procedure"},
	"DocumentReference":        {"Patient", "Group", "Device", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Encounter", "EpisodeOfCare", "Procedure", "ServiceRequest"},
	"Claim":                    {"Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter", "Coverage", "Condition", "Procedure", "Immunization", "MedicationRequest", "ServiceRequest", "Device", "Medication", "Observation", "DiagnosticReport", "ImagingStudy", "Account"},
	"ClaimResponse":            {"Patient", "Organization", "Practitioner", "PractitionerRole", "Claim", "Coverage"},
	"ExplanationOfBenefit":     {"Patient", "Practitioner", "PractitionerRole", "Organization", "Location", "Encounter", "Coverage", "Claim", "ClaimResponse", "Condition", "Procedure", "Immunization", "MedicationRequest", "ServiceRequest", "Device", "Medication", "Observation", "DiagnosticReport", "ImagingStudy", "RelatedPerson"},
	"Questionnaire":            nil,
	"QuestionnaireResponse":    {"Questionnaire", "Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Device", "CarePlan", "ServiceRequest", "Procedure", "Observation"},
	"Consent":                  {"Patient", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Questionnaire", "QuestionnaireResponse", "DocumentReference"},
	"NutritionOrder":           {"Patient", "Encounter", "Practitioner", "PractitionerRole", "AllergyIntolerance"},
	"RiskAssessment":           {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Device", "Condition", "Procedure", "Observation", "DiagnosticReport", "DocumentReference"},
	"ClinicalImpression":       {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Condition", "Observation", "DiagnosticReport", "RiskAssessment", "FamilyMemberHistory", "AllergyIntolerance", "Procedure", "MedicationStatement"},
	"Communication":            {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Device", "CareTeam", "HealthcareService", "Condition", "Observation", "DiagnosticReport", "DocumentReference"},
	"CommunicationRequest":     {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Device", "CareTeam", "HealthcareService", "Condition", "Observation", "DiagnosticReport", "DocumentReference"},
	"Task":                     {"Patient", "Group", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "Device", "CareTeam", "HealthcareService", "Location", "Coverage", "ServiceRequest", "MedicationRequest", "Procedure", "Observation"},
	"DeviceRequest":            {"Patient", "Group", "Location", "Device", "Encounter", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "CareTeam", "HealthcareService", "Condition", "Observation", "DiagnosticReport", "DocumentReference", "Coverage"},
	"DeviceUseStatement":       {"Patient", "Group", "Device", "Practitioner", "PractitionerRole", "Organization", "RelatedPerson", "ServiceRequest", "Procedure", "Condition", "Observation", "DiagnosticReport", "DocumentReference", "Media"},
	"SupplyRequest":            {"Patient", "Organization", "Location", "Practitioner", "PractitionerRole", "Device", "Medication", "Substance", "Condition", "Observation"},
	"SupplyDelivery":           {"Patient", "Organization", "Location", "Practitioner", "PractitionerRole", "Device", "Medication", "Substance", "SupplyRequest", "Contract"},
	"BodyStructure":            {"Patient"},
	"Flag":                     {"Patient", "Group", "Location", "Organization", "Practitioner", "PractitionerRole", "Encounter", "Device", "Medication", "Procedure"},
	"DetectedIssue":            {"Patient", "Device", "Practitioner", "PractitionerRole"},
	"AdverseEvent":             {"Patient", "Group", "Practitioner", "RelatedPerson", "Encounter", "Location", "Condition", "Observation", "Immunization", "Procedure", "Substance", "Medication", "Device", "MedicationAdministration", "MedicationStatement", "DocumentReference", "ResearchStudy"},
	"ResearchStudy":            {"Organization", "Practitioner", "PractitionerRole", "Location", "Group", "PlanDefinition"},
	"ResearchSubject":          {"ResearchStudy", "Patient", "Consent"},
	"ChargeItem":               {"Patient", "Group", "Encounter", "EpisodeOfCare", "Practitioner", "PractitionerRole", "Organization", "Device", "RelatedPerson", "Location", "Account", "Procedure", "Observation", "DiagnosticReport", "ImagingStudy", "Immunization", "MedicationAdministration", "MedicationDispense", "Medication", "Substance", "ServiceRequest"},
	"Invoice":                  {"Patient", "Group", "Practitioner", "Organization", "RelatedPerson", "Device", "Account", "ChargeItem"},
}

// staticEdges returns the references between the present types that the
// table says data holds, as the data's references would count them.
func staticEdges(present []string) map[[2]string]int {
	want := map[string]bool{}
	for _, t := range present {
		want[t] = true
	}
	edges := map[[2]string]int{}
	for t := range want {
		if late[t] {
			for d := range want {
				if !late[d] {
					edges[[2]string{t, d}] = 1
				}
			}
			continue
		}
		for _, d := range reach(t, want) {
			edges[[2]string{t, d}] = 1
		}
	}
	return edges
}

// reach returns the present types t depends on, through absent ones.
func reach(t string, present map[string]bool) []string {
	var out []string
	seen := map[string]bool{t: true}
	stack := append([]string(nil), depsOf(t)...)
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[d] {
			continue
		}
		seen[d] = true
		if present[d] {
			out = append(out, d)
			continue
		}
		stack = append(stack, depsOf(d)...)
	}
	return out
}

// typeSteps puts type groups (in dependency order, as graph.TypeOrder
// gives them) in steps: a group's step is one more than the highest step
// of the groups it references (edges counts references between types).
// Within a step, types keep the classic order, then their names. Both
// orders use it: OrderData with the data's references, OrderStatic with
// the table's.
func typeSteps(groups []graph.TypeGroup, edges map[[2]string]int) [][]string {
	groupOf := map[string]int{}
	for gi, g := range groups {
		for _, t := range g.Types {
			groupOf[t] = gi
		}
	}
	level := make([]int, len(groups))
	for gi, g := range groups { // groups come in dependency order
		for _, t := range g.Types {
			for e, n := range edges {
				if e[0] != t || n <= 0 {
					continue
				}
				if dg, ok := groupOf[e[1]]; ok && dg != gi {
					level[gi] = max(level[gi], level[dg]+1)
				}
			}
		}
	}
	var steps [][]string
	for gi, g := range groups {
		for len(steps) <= level[gi] {
			steps = append(steps, nil)
		}
		steps[level[gi]] = append(steps[level[gi]], g.Types...)
	}
	for _, s := range steps {
		sort.SliceStable(s, func(i, j int) bool { return rank(s[i]) < rank(s[j]) || rank(s[i]) == rank(s[j]) && s[i] < s[j] })
	}
	return steps
}

// fileSteps makes the steps of a plan: types in steps, each with its
// files in name order (so "MimicEncounter" comes before
// "MimicEncounterED").
func fileSteps(types [][]string, byType map[string][]File) []Step {
	steps := make([]Step, 0, len(types))
	for _, ts := range types {
		st := Step{Types: ts}
		for _, t := range ts {
			fs := byType[t]
			sort.SliceStable(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
			st.Files = append(st.Files, fs...)
		}
		steps = append(steps, st)
	}
	return steps
}

// depsOf returns the types t references: its table row, the core types for
// a type the table does not know, nothing for a type that is not R4.
func depsOf(t string) []string {
	if d, ok := deps[t]; ok {
		return d
	}
	if !fhirtype.Known(t) || late[t] || slices.Contains(core, t) {
		return nil
	}
	return core
}

// rank places classic types first, in their order, then the others.
func rank(t string) int {
	if i := slices.Index(Classic, t); i >= 0 {
		return i
	}
	return len(Classic)
}
