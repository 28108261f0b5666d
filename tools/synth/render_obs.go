package synth

import "strconv"

// Observations and specimens.

// observation opens an Observation: status, category, code, subject.
func (g *renderer) observation(pl *plan, self ref, category, system, code, display string) {
	g.begin(self)
	g.w.str("status", "final")
	if category != "" {
		g.concepts("category", obsCatCS, category, "")
	}
	g.concept("code", system, code, display)
	g.subject("subject", pl, false)
}

// value writes a valueQuantity around the normal range of m.
func (g *renderer) value(r *rnd, m measured) {
	spread := (m.hi - m.lo) * 0.3
	v := m.lo - spread + (m.hi-m.lo+2*spread)*float64(r.intn(1001))/1000
	g.quantity("valueQuantity", v, m.unit)
}

// labSpecimen is the encounter and collection time of lab specimen s; the
// labevents 4s..4s+3 share them.
func (pl *plan) labSpecimen(s int) (enc ref, at int64) {
	e := s % pl.hosp
	start, end := pl.hospSpan(e)
	r := pl.r(kSpecimenLab, s, -1)
	return ref{k: kEncounter, p: pl.p, a: e}, within(&r, start, end)
}

func (g *renderer) labevent(pl *plan, j int) {
	w := &g.w
	r := pl.r(kObsLabevents, j, 0)
	m := labs[r.intn(len(labs))]
	s := j / labsPerSpecimen
	g.observation(pl, ref{k: kObsLabevents, p: pl.p, a: j}, "laboratory", mimicCS+"mimic-d-labitems", m.code, m.display)
	enc, at := pl.labSpecimen(s)
	if s%5 != 4 { // some labs are outpatient: no encounter
		g.ref("encounter", enc)
	}
	w.dateTime("effectiveDateTime", at)
	g.value(&r, m)
	spec := ref{k: kSpecimenLab, p: pl.p, a: s}
	if pl.dangles(kObsLabevents, j) {
		spec = ref{k: kSpecimenLab, p: pl.p, dangling: true}
	}
	g.ref("specimen", spec)
	w.end()
}

// microTime is when micro test t's specimen was taken.
func (pl *plan) microTime(t int) int64 {
	start, end := pl.hospSpan(t % pl.hosp)
	r := pl.r(kObsMicroTest, t, -1)
	return within(&r, start, end)
}

func (g *renderer) microTest(pl *plan, t int) {
	w := &g.w
	r := pl.r(kObsMicroTest, t, 0)
	c := microTests[r.intn(len(microTests))]
	g.observation(pl, ref{k: kObsMicroTest, p: pl.p, a: t}, "laboratory", mimicCS+"mimic-microbiology-test", c.code, c.display)
	g.ref("encounter", ref{k: kEncounter, p: pl.p, a: t % pl.hosp})
	w.dateTime("effectiveDateTime", pl.microTime(t))
	if n := pl.organisms(t); n == 0 {
		w.str("valueString", "NO GROWTH")
	} else {
		w.arr("hasMember")
		for o := range n {
			g.ref("", ref{k: kObsMicroOrg, p: pl.p, a: t, b: o})
		}
		w.endArr()
	}
	g.ref("specimen", ref{k: kSpecimen, p: pl.p, a: t})
	w.end()
}

func (g *renderer) microOrg(pl *plan, t, o int) {
	w := &g.w
	r := pl.r(kObsMicroOrg, t, o)
	c := organisms[r.intn(len(organisms))]
	g.observation(pl, ref{k: kObsMicroOrg, p: pl.p, a: t, b: o}, "laboratory", mimicCS+"mimic-microbiology-organism", c.code, c.display)
	w.dateTime("effectiveDateTime", pl.microTime(t)+2*day)
	w.arr("hasMember")
	for s := range pl.susceptibilities(t, o) {
		g.ref("", ref{k: kObsMicroSusc, p: pl.p, a: t, b: o, c: s})
	}
	w.endArr()
	g.refs("derivedFrom", ref{k: kObsMicroTest, p: pl.p, a: t})
	w.end()
}

func (g *renderer) microSusc(pl *plan, t, o, s int) {
	w := &g.w
	r := rnd{s: hashOf(pl.seed, uint64(kObsMicroSusc), uint64(pl.p), uint64(t), uint64(o), uint64(s))}
	// Susceptibility s tests antibiotic (start+s): distinct within an organism.
	c := antibiotics[(r.intn(len(antibiotics))+s)%len(antibiotics)]
	g.observation(pl, ref{k: kObsMicroSusc, p: pl.p, a: t, b: o, c: s}, "laboratory", mimicCS+"mimic-microbiology-antibiotic", c.code, c.display)
	w.dateTime("effectiveDateTime", pl.microTime(t)+3*day)
	in := interpretations[r.intn(len(interpretations))]
	g.concept("valueCodeableConcept", "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", in.code, in.display)
	g.refs("derivedFrom", ref{k: kObsMicroOrg, p: pl.p, a: t, b: o})
	w.end()
}

func (g *renderer) icuEvent(pl *plan, k kind, j int) {
	w := &g.w
	r := pl.r(k, j, 0)
	enc, start, end := pl.eventEncounter(j)
	self := ref{k: k, p: pl.p, a: j}
	system := mimicCS + "mimic-chartevents-d-items"
	// No category, unlike MIMIC: these are the most numerous resources and
	// should stay small.
	var m measured
	switch k {
	case kObsDatetimeevents:
		c := datetimeItems[r.intn(len(datetimeItems))]
		g.observation(pl, self, "", system, c.code, c.display)
	case kObsOutputevents:
		m = outputItems[r.intn(len(outputItems))]
		g.observation(pl, self, "", mimicCS+"mimic-outputevents-d-items", m.code, m.display)
	default:
		m = chartItems[r.intn(len(chartItems))]
		g.observation(pl, self, "", system, m.code, m.display)
	}
	g.ref("encounter", enc)
	at := within(&r, start, end)
	w.dateTime("effectiveDateTime", at)
	if k == kObsDatetimeevents {
		w.dateTime("valueDateTime", at-int64(r.intn(2*day)))
	} else {
		g.value(&r, m)
	}
	w.end()
}

func (g *renderer) edObservation(pl *plan, k kind, j int) {
	w := &g.w
	r := pl.r(k, j, 0)
	proc := j % pl.procED
	enc := ref{k: kEncounterED, p: pl.p, a: proc % pl.ed}
	start, end := pl.edSpan(enc.a)
	self := ref{k: k, p: pl.p, a: j}
	var m measured
	if k == kObsVitalSignsED {
		m = vitalSigns[r.intn(len(vitalSigns))]
		g.observation(pl, self, "vital-signs", loinc, m.code, m.display)
	} else {
		c := edObservations[r.intn(len(edObservations))]
		g.observation(pl, self, "survey", mimicCS+"mimic-observation-ed", c.code, c.display)
	}
	g.refs("partOf", ref{k: kProcedureED, p: pl.p, a: proc})
	g.ref("encounter", enc)
	w.dateTime("effectiveDateTime", within(&r, start, end))
	if k == kObsVitalSignsED {
		g.value(&r, m)
	} else {
		w.str("valueString", strconv.Itoa(r.between(1, 10)))
	}
	w.end()
}

func (g *renderer) specimen(pl *plan, k kind, j int) {
	w := &g.w
	self := ref{k: k, p: pl.p, a: j}
	g.begin(self)
	r := pl.r(k, j, 0)
	var at int64
	st := specimenTypes[0] // lab specimens are blood
	if k == kSpecimen {
		at = pl.microTime(j)
		st = specimenTypes[r.intn(len(specimenTypes))]
		g.identifier(mimicID+"micro-specimen", strconv.Itoa(70000000+pl.p*8+j))
	} else {
		_, at = pl.labSpecimen(j)
		g.identifier(mimicID+"lab-specimen", strconv.Itoa(60000000+pl.p*64+j))
	}
	g.concept("type", mimicCS+"mimic-spec-type-desc", st.code, st.display)
	g.subject("subject", pl, false)
	w.obj("collection")
	w.dateTime("collectedDateTime", at)
	w.end()
	w.end()
}
