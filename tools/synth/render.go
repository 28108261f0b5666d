package synth

// renderer makes the JSON of single resources into a reused buffer.
type renderer struct {
	o *Options
	w jw
}

func newRenderer(o *Options) *renderer { return &renderer{o: o} }

// render returns the resource of kind k for item it of patient pl (nil for
// the pools). The result is valid until the next call.
func (g *renderer) render(k kind, pl *plan, it item) []byte {
	g.w.b = g.w.b[:0]
	g.w.comma = false
	a, b, c := int(it.a), int(it.b), int(it.c)
	switch k {
	case kOrganization:
		g.organization(a)
	case kLocation:
		g.location(a)
	case kMedication:
		g.medication(a)
	case kMedicationMix:
		g.medicationMix(a)
	case kPatient:
		g.patient(pl)
	case kEncounter:
		g.encounter(pl, a)
	case kEncounterED:
		g.encounterED(pl, a)
	case kEncounterICU:
		g.encounterICU(pl, a)
	case kCondition, kConditionED:
		g.condition(pl, k, a)
	case kProcedure, kProcedureED, kProcedureICU:
		g.procedure(pl, k, a)
	case kMedicationRequest:
		g.medicationRequest(pl, a)
	case kMedicationDispense:
		g.medicationDispense(pl, a, b)
	case kMedicationDispenseED:
		g.medicationDispenseED(pl, a)
	case kMedicationAdministration:
		g.medicationAdministration(pl, a, b)
	case kMedicationAdministrationICU:
		g.medicationAdministrationICU(pl, a)
	case kMedicationStatementED:
		g.medicationStatementED(pl, a)
	case kObsLabevents:
		g.labevent(pl, a)
	case kObsMicroTest:
		g.microTest(pl, a)
	case kObsMicroOrg:
		g.microOrg(pl, a, b)
	case kObsMicroSusc:
		g.microSusc(pl, a, b, c)
	case kObsChartevents, kObsDatetimeevents, kObsOutputevents:
		g.icuEvent(pl, k, a)
	case kObsED, kObsVitalSignsED:
		g.edObservation(pl, k, a)
	case kSpecimen, kSpecimenLab:
		g.specimen(pl, k, a)
	}
	return g.w.b
}

// begin opens the resource: resourceType, id and the padding. Unlike
// MIMIC, resources carry no meta.profile, to stay small.
func (g *renderer) begin(self ref) {
	w := &g.w
	w.obj("")
	w.str("resourceType", kinds[self.k].rtype)
	w.key("id")
	w.b = append(w.b, '"')
	w.b = appendID(w.b, g.o.IDPrefix, self)
	w.b = append(w.b, '"')
	w.comma = true
	if g.o.Padding > 0 {
		g.padding(self)
	}
}

// padText is the source of padding: letters in a random order, so that
// padded files do not compress to nothing.
var padText = func() string {
	const letters = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	r := rnd{s: 0x70616464}
	b := make([]byte, 1<<16)
	for i := range b {
		b[i] = letters[r.intn(len(letters))]
	}
	return string(b)
}()

func (g *renderer) padding(self ref) {
	w := &g.w
	w.arr("extension")
	w.obj("")
	w.str("url", padURL)
	w.key("valueString")
	w.b = append(w.b, '"')
	off := int(hashOf(uint64(self.k), uint64(self.p), uint64(self.a), uint64(self.b), uint64(self.c)) % uint64(len(padText)))
	for n := g.o.Padding; n > 0; {
		chunk := min(n, len(padText)-off)
		w.b = append(w.b, padText[off:off+chunk]...)
		n -= chunk
		off = 0
	}
	w.b = append(w.b, '"')
	w.comma = true
	w.end()
	w.endArr()
}

// ref writes {"reference":"Type/id"} as member k, or as an array element
// when k is "".
func (g *renderer) ref(k string, r ref) {
	w := &g.w
	w.obj(k)
	w.key("reference")
	w.b = append(w.b, '"')
	w.b = append(w.b, kinds[r.k].rtype...)
	w.b = append(w.b, '/')
	w.b = appendID(w.b, g.o.IDPrefix, r)
	w.b = append(w.b, '"')
	w.comma = true
	w.end()
}

// refs writes an array member of references.
func (g *renderer) refs(k string, rs ...ref) {
	g.w.arr(k)
	for _, r := range rs {
		g.ref("", r)
	}
	g.w.endArr()
}

// coding writes one Coding object (as member k or array element).
func (g *renderer) coding(k, system, code, display string) {
	w := &g.w
	w.obj(k)
	w.str("system", system)
	w.str("code", code)
	if display != "" {
		w.str("display", display)
	}
	w.end()
}

// concept writes a CodeableConcept with one coding.
func (g *renderer) concept(k, system, code, display string) {
	w := &g.w
	w.obj(k)
	w.arr("coding")
	g.coding("", system, code, display)
	w.endArr()
	w.end()
}

// concepts writes an array of one CodeableConcept (category, type, ...).
func (g *renderer) concepts(k, system, code, display string) {
	w := &g.w
	w.arr(k)
	g.concept("", system, code, display)
	w.endArr()
}

func (g *renderer) identifier(system, value string) {
	w := &g.w
	w.arr("identifier")
	w.obj("")
	w.str("system", system)
	w.str("value", value)
	w.end()
	w.endArr()
}

func (g *renderer) quantity(k string, v float64, unit string) {
	w := &g.w
	w.obj(k)
	w.num("value", v, 2)
	w.str("unit", unit)
	w.end()
}

func (g *renderer) period(k string, start, end int64) {
	w := &g.w
	w.obj(k)
	w.dateTime("start", start)
	w.dateTime("end", end)
	w.end()
}

// subject writes the reference to the patient, or a dangling one.
func (g *renderer) subject(k string, pl *plan, dangling bool) {
	g.ref(k, ref{k: kPatient, p: pl.p, dangling: dangling})
}
