package synth

// kind is one generated file: a MIMIC-IV-on-FHIR file name, the FHIR resource
// type of its lines and the code that starts the ids of its resources.
type kind int

// The kinds, in the order the brief and the field notes list them. Files in
// the manifest are sorted by name instead, the order an S3 listing has.
const (
	kOrganization kind = iota
	kLocation
	kPatient
	kEncounter
	kEncounterED
	kEncounterICU
	kCondition
	kConditionED
	kProcedure
	kProcedureED
	kProcedureICU
	kMedication
	kMedicationMix
	kMedicationRequest
	kMedicationDispense
	kMedicationDispenseED
	kMedicationAdministration
	kMedicationAdministrationICU
	kMedicationStatementED
	kObsLabevents
	kObsMicroTest
	kObsMicroOrg
	kObsMicroSusc
	kObsChartevents
	kObsDatetimeevents
	kObsOutputevents
	kObsED
	kObsVitalSignsED
	kSpecimen
	kSpecimenLab
	numKinds
)

type kindInfo struct {
	file  string // base name without .ndjson
	rtype string // FHIR resource type
	code  string // id prefix, unique over all kinds
	pool  bool   // shared by all patients (not one patient's data)
	gzip  bool   // compressed when Options.Gzip is GzipSome
	split bool   // split into parts when Options.SplitParts > 1
}

var kinds = [numKinds]kindInfo{
	kOrganization:                {file: "MimicOrganization", rtype: "Organization", code: "org", pool: true},
	kLocation:                    {file: "MimicLocation", rtype: "Location", code: "loc", pool: true, gzip: true},
	kPatient:                     {file: "MimicPatient", rtype: "Patient", code: "pat", gzip: true},
	kEncounter:                   {file: "MimicEncounter", rtype: "Encounter", code: "enc", split: true},
	kEncounterED:                 {file: "MimicEncounterED", rtype: "Encounter", code: "ed", gzip: true},
	kEncounterICU:                {file: "MimicEncounterICU", rtype: "Encounter", code: "icu"},
	kCondition:                   {file: "MimicCondition", rtype: "Condition", code: "cond", gzip: true},
	kConditionED:                 {file: "MimicConditionED", rtype: "Condition", code: "conded"},
	kProcedure:                   {file: "MimicProcedure", rtype: "Procedure", code: "proc"},
	kProcedureED:                 {file: "MimicProcedureED", rtype: "Procedure", code: "proced", gzip: true},
	kProcedureICU:                {file: "MimicProcedureICU", rtype: "Procedure", code: "procicu"},
	kMedication:                  {file: "MimicMedication", rtype: "Medication", code: "med", pool: true, gzip: true},
	kMedicationMix:               {file: "MimicMedicationMix", rtype: "Medication", code: "mix", pool: true},
	kMedicationRequest:           {file: "MimicMedicationRequest", rtype: "MedicationRequest", code: "mreq", gzip: true},
	kMedicationDispense:          {file: "MimicMedicationDispense", rtype: "MedicationDispense", code: "mdisp"},
	kMedicationDispenseED:        {file: "MimicMedicationDispenseED", rtype: "MedicationDispense", code: "mdisped", gzip: true},
	kMedicationAdministration:    {file: "MimicMedicationAdministration", rtype: "MedicationAdministration", code: "madm", split: true},
	kMedicationAdministrationICU: {file: "MimicMedicationAdministrationICU", rtype: "MedicationAdministration", code: "madmicu", gzip: true},
	kMedicationStatementED:       {file: "MimicMedicationStatementED", rtype: "MedicationStatement", code: "mstmt"},
	kObsLabevents:                {file: "MimicObservationLabevents", rtype: "Observation", code: "lab", gzip: true, split: true},
	kObsMicroTest:                {file: "MimicObservationMicroTest", rtype: "Observation", code: "mtest"},
	kObsMicroOrg:                 {file: "MimicObservationMicroOrg", rtype: "Observation", code: "morg", gzip: true},
	kObsMicroSusc:                {file: "MimicObservationMicroSusc", rtype: "Observation", code: "msusc"},
	kObsChartevents:              {file: "MimicObservationChartevents", rtype: "Observation", code: "chart", gzip: true, split: true},
	kObsDatetimeevents:           {file: "MimicObservationDatetimeevents", rtype: "Observation", code: "dte", gzip: true},
	kObsOutputevents:             {file: "MimicObservationOutputevents", rtype: "Observation", code: "out"},
	kObsED:                       {file: "MimicObservationED", rtype: "Observation", code: "obsed", gzip: true},
	kObsVitalSignsED:             {file: "MimicObservationVitalSignsED", rtype: "Observation", code: "vs"},
	kSpecimen:                    {file: "MimicSpecimen", rtype: "Specimen", code: "spec", gzip: true},
	kSpecimenLab:                 {file: "MimicSpecimenLab", rtype: "Specimen", code: "speclab"},
}

// kindByCode finds the kind whose ids start with code.
var kindByCode = func() map[string]kind {
	m := make(map[string]kind, numKinds)
	for k := range numKinds {
		m[kinds[k].code] = k
	}
	return m
}()

// FileNames returns the base names (without .ndjson) of the files that
// Generate writes, one per MIMIC-IV on FHIR file, in the order the MIMIC
// documentation lists them.
func FileNames() []string {
	out := make([]string, numKinds)
	for k := range numKinds {
		out[k] = kinds[k].file
	}
	return out
}
