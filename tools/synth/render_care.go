package synth

// Conditions, procedures and the medication workflow.

func (g *renderer) condition(pl *plan, k kind, j int) {
	w := &g.w
	g.begin(ref{k: k, p: pl.p, a: j})
	r := pl.r(k, j, 0)
	enc := ref{k: kEncounter, p: pl.p, a: j % pl.hosp}
	if k == kConditionED {
		enc = ref{k: kEncounterED, p: pl.p, a: j % pl.ed}
	}
	if pl.dangles(k, j) {
		enc = ref{k: kEncounter, p: pl.p, dangling: true}
	}
	d := diagnoses[r.intn(len(diagnoses))]
	g.concepts("category", "http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")
	g.concept("code", mimicCS+"mimic-diagnosis-icd10", d.code, d.display)
	g.subject("subject", pl, false)
	g.ref("encounter", enc)
	w.end()
}

func (g *renderer) procedure(pl *plan, k kind, j int) {
	w := &g.w
	g.begin(ref{k: k, p: pl.p, a: j})
	r := pl.r(k, j, 0)
	var enc ref
	var start, end int64
	var c coded
	system := mimicCS + "mimic-procedure-icd10"
	switch k {
	case kProcedureED:
		enc = ref{k: kEncounterED, p: pl.p, a: j % pl.ed}
		start, end = pl.edSpan(enc.a)
		c, system = edProcedures[j%len(edProcedures)], mimicCS+"mimic-procedure-ed"
	case kProcedureICU:
		enc = ref{k: kEncounterICU, p: pl.p, a: j % pl.icu}
		start, end = pl.icuSpan(enc.a)
		c, system = icuProcedures[r.intn(len(icuProcedures))], mimicCS+"mimic-procedure-icu"
	default:
		enc = ref{k: kEncounter, p: pl.p, a: j % pl.hosp}
		start, end = pl.hospSpan(enc.a)
		c = procedures[r.intn(len(procedures))]
	}
	w.str("status", "completed")
	g.concept("code", system, c.code, c.display)
	g.subject("subject", pl, pl.dangles(k, j))
	g.ref("encounter", enc)
	at := within(&r, start, end)
	if k == kProcedureICU {
		g.period("performedPeriod", at, at+int64(1+r.intn(4*hour)))
	} else {
		w.dateTime("performedDateTime", at)
	}
	w.end()
}

func (g *renderer) medicationRequest(pl *plan, q int) {
	w := &g.w
	g.begin(ref{k: kMedicationRequest, p: pl.p, a: q})
	r := pl.r(kMedicationRequest, q, 1)
	enc, authored, med := pl.request(g.o, q)
	if pl.dangles(kMedicationRequest, q) {
		med = ref{k: kMedication, p: pl.p, dangling: true}
	}
	w.str("status", "completed")
	w.str("intent", "order")
	g.ref("medicationReference", med)
	g.subject("subject", pl, false)
	g.ref("encounter", enc)
	w.dateTime("authoredOn", authored)
	w.arr("dosageInstruction")
	w.obj("")
	route := routes[r.intn(len(routes))]
	g.concept("route", mimicCS+"mimic-medication-route", route.code, route.display)
	w.end()
	w.endArr()
	w.end()
}

func (g *renderer) medicationDispense(pl *plan, q, d int) {
	w := &g.w
	g.begin(ref{k: kMedicationDispense, p: pl.p, a: q, b: d})
	enc, authored, med := pl.request(g.o, q)
	r := pl.r(kMedicationDispense, q, d)
	w.str("status", "completed")
	g.ref("medicationReference", med)
	g.subject("subject", pl, false)
	g.ref("context", enc)
	g.refs("authorizingPrescription", ref{k: kMedicationRequest, p: pl.p, a: q})
	w.dateTime("whenHandedOver", authored+int64(d)*day+int64(r.intn(4*hour)))
	w.end()
}

func (g *renderer) medicationDispenseED(pl *plan, j int) {
	w := &g.w
	g.begin(ref{k: kMedicationDispenseED, p: pl.p, a: j})
	r := pl.r(kMedicationDispenseED, j, 0)
	enc := ref{k: kEncounterED, p: pl.p, a: j % pl.ed}
	start, end := pl.edSpan(enc.a)
	w.str("status", "completed")
	name := medications[r.intn(len(medications))]
	g.concept("medicationCodeableConcept", mimicCS+"mimic-medication-name", name, "")
	g.subject("subject", pl, false)
	g.ref("context", enc)
	w.dateTime("whenHandedOver", within(&r, start, end))
	w.end()
}

func (g *renderer) medicationAdministration(pl *plan, q, d int) {
	w := &g.w
	g.begin(ref{k: kMedicationAdministration, p: pl.p, a: q, b: d})
	enc, authored, med := pl.request(g.o, q)
	r := pl.r(kMedicationAdministration, q, d)
	w.str("status", "completed")
	g.ref("medicationReference", med)
	g.subject("subject", pl, false)
	g.ref("context", enc)
	w.dateTime("effectiveDateTime", authored+int64(d)*8*hour+int64(r.intn(hour)))
	g.ref("request", ref{k: kMedicationRequest, p: pl.p, a: q})
	w.obj("dosage")
	g.quantity("dose", float64(r.between(1, 20))*5, "mg")
	w.end()
	w.end()
}

func (g *renderer) medicationAdministrationICU(pl *plan, j int) {
	w := &g.w
	g.begin(ref{k: kMedicationAdministrationICU, p: pl.p, a: j})
	r := pl.r(kMedicationAdministrationICU, j, 0)
	enc, start, end := pl.eventEncounter(j)
	at := within(&r, start, end)
	w.str("status", "completed")
	name := medications[r.intn(len(medications))]
	g.concept("medicationCodeableConcept", mimicCS+"mimic-medication-icu", name, "")
	g.subject("subject", pl, false)
	g.ref("context", enc)
	g.period("effectivePeriod", at, at+int64(r.between(1, 12))*hour)
	w.obj("dosage")
	g.quantity("dose", float64(r.between(1, 100))*10, "mL")
	w.end()
	w.end()
}

func (g *renderer) medicationStatementED(pl *plan, j int) {
	w := &g.w
	g.begin(ref{k: kMedicationStatementED, p: pl.p, a: j})
	r := pl.r(kMedicationStatementED, j, 0)
	enc := ref{k: kEncounterED, p: pl.p, a: j % pl.ed}
	start, end := pl.edSpan(enc.a)
	w.str("status", "unknown")
	g.ref("medicationReference", ref{k: kMedication, a: r.intn(numMedications(g.o))})
	g.subject("subject", pl, false)
	g.ref("context", enc)
	w.dateTime("dateAsserted", within(&r, start, end))
	w.end()
}
