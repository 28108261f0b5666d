// Package fhirtype knows the FHIR R4 resource type names and how a file name
// names one.
package fhirtype

import (
	"path"
	"sort"
	"strings"
)

// R4 lists every resource type of FHIR R4 (4.0.1).
var R4 = []string{
	"Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance", "Appointment",
	"AppointmentResponse", "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct",
	"BodyStructure", "Bundle", "CapabilityStatement", "CarePlan", "CareTeam", "CatalogEntry",
	"ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse", "ClinicalImpression",
	"CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition", "Composition",
	"ConceptMap", "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest",
	"CoverageEligibilityResponse", "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric",
	"DeviceRequest", "DeviceUseStatement", "DiagnosticReport", "DocumentManifest",
	"DocumentReference", "EffectEvidenceSynthesis", "Encounter", "Endpoint", "EnrollmentRequest",
	"EnrollmentResponse", "EpisodeOfCare", "EventDefinition", "Evidence", "EvidenceVariable",
	"ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal",
	"GraphDefinition", "Group", "GuidanceResponse", "HealthcareService", "ImagingStudy",
	"Immunization", "ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide",
	"InsurancePlan", "Invoice", "Library", "Linkage", "List", "Location", "Measure",
	"MeasureReport", "Media", "Medication", "MedicationAdministration", "MedicationDispense",
	"MedicationKnowledge", "MedicationRequest", "MedicationStatement", "MedicinalProduct",
	"MedicinalProductAuthorization", "MedicinalProductContraindication",
	"MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
	"MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
	"MedicinalProductUndesirableEffect", "MessageDefinition", "MessageHeader",
	"MolecularSequence", "NamingSystem", "NutritionOrder", "Observation", "ObservationDefinition",
	"OperationDefinition", "OperationOutcome", "Organization", "OrganizationAffiliation",
	"Parameters", "Patient", "PaymentNotice", "PaymentReconciliation", "Person", "PlanDefinition",
	"Practitioner", "PractitionerRole", "Procedure", "Provenance", "Questionnaire",
	"QuestionnaireResponse", "RelatedPerson", "RequestGroup", "ResearchDefinition",
	"ResearchElementDefinition", "ResearchStudy", "ResearchSubject", "RiskAssessment",
	"RiskEvidenceSynthesis", "Schedule", "SearchParameter", "ServiceRequest", "Slot", "Specimen",
	"SpecimenDefinition", "StructureDefinition", "StructureMap", "Subscription", "Substance",
	"SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein",
	"SubstanceReferenceInformation", "SubstanceSourceMaterial", "SubstanceSpecification",
	"SupplyDelivery", "SupplyRequest", "Task", "TerminologyCapabilities", "TestReport",
	"TestScript", "ValueSet", "VerificationResult", "VisionPrescription",
}

var known = func() map[string]bool {
	m := make(map[string]bool, len(R4))
	for _, t := range R4 {
		m[t] = true
	}
	return m
}()

// byLength holds R4 sorted longest first, so that the first match of a name
// is the longest type it contains (MedicationDispense before Medication).
var byLength = func() []string {
	s := append([]string(nil), R4...)
	sort.SliceStable(s, func(i, j int) bool { return len(s[i]) > len(s[j]) })
	return s
}()

// names maps each R4 type name to itself and its index in R4, so that a
// name read as bytes becomes a shared string without allocating.
var names = func() map[string]named {
	m := make(map[string]named, len(R4))
	for i, t := range R4 {
		m[t] = named{t, i}
	}
	return m
}()

type named struct {
	name  string
	index int
}

// Intern returns the R4 type name spelled by b, and false when b spells
// none. It does not allocate.
func Intern(b []byte) (string, bool) {
	n, ok := names[string(b)]
	return n.name, ok
}

// InternIndex is Intern that also returns the type's index in R4, for
// tables indexed by type.
func InternIndex(b []byte) (name string, index int, ok bool) {
	n, ok := names[string(b)]
	return n.name, n.index, ok
}

// Index returns the index in R4 of a type name, and false for a name that
// is no R4 type.
func Index(name string) (int, bool) {
	n, ok := names[name]
	return n.index, ok
}

// Known reports whether name is an R4 resource type, spelled exactly.
func Known(name string) bool { return known[name] }

// FromFileName returns the resource type that a file name names, and
// false when it names none. It looks at the base name without its
// .ndjson or .ndjson.gz ending and picks the longest R4 type name that
// starts at a word boundary and is not continued by a lower-case letter:
// "Patient.000.ndjson", "Patient_part1.ndjson", "MimicPatient.ndjson",
// "MimicObservationLabevents.ndjson" (Observation) and
// "MimicMedicationDispenseED.ndjson.gz" (MedicationDispense).
func FromFileName(name string) (string, bool) {
	base := path.Base(strings.ReplaceAll(name, "\\", "/"))
	base = strings.TrimSuffix(base, ".gz")
	base = strings.TrimSuffix(base, ".ndjson")
	best := ""
	for i := 0; i < len(base); i++ {
		if !startsWord(base, i) {
			continue
		}
		for _, t := range byLength {
			if len(t) <= len(best) {
				break
			}
			if strings.HasPrefix(base[i:], t) && !continuesWord(base, i+len(t)) {
				best = t
				break
			}
		}
	}
	return best, best != ""
}

// startsWord: a type name may start at the beginning, after a non-letter,
// or at an upper-case letter (CamelCase: "MimicPatient").
func startsWord(s string, i int) bool {
	if i == 0 {
		return true
	}
	c := s[i]
	return c >= 'A' && c <= 'Z' || !isLetter(s[i-1])
}

// continuesWord: "Patientdata" is not "Patient", but "PatientED",
// "Patient_1" and the plural "Patients" are.
func continuesWord(s string, i int) bool {
	if i >= len(s) || s[i] < 'a' || s[i] > 'z' {
		return false
	}
	plural := s[i] == 's' && (i+1 == len(s) || s[i+1] < 'a' || s[i+1] > 'z')
	return !plural
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
