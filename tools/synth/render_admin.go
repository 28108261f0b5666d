package synth

import (
	"strconv"
)

// The shared pools (organizations, locations, medications), patients and
// encounters.

func (g *renderer) organization(i int) {
	w := &g.w
	g.begin(ref{k: kOrganization, a: i})
	g.identifier("http://hl7.org/fhir/sid/us-npi", strconv.Itoa(1003000126+i*7))
	w.bool("active", true)
	g.concepts("type", "http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider")
	w.str("name", [...]string{"Beth Israel Deaconess Medical Center", "BIDMC Emergency Department"}[i%2])
	w.end()
}

func (g *renderer) location(i int) {
	w := &g.w
	g.begin(ref{k: kLocation, a: i})
	w.str("status", "active")
	if i < numRootLocations {
		w.str("name", "BIDMC Campus "+string(rune('A'+i)))
		g.concept("physicalType", "http://terminology.hl7.org/CodeSystem/location-physical-type", "si", "Site")
	} else {
		u := careUnits[(i-numRootLocations)%len(careUnits)]
		name := u.display
		if n := (i - numRootLocations) / len(careUnits); n > 0 {
			name += " " + strconv.Itoa(n+1)
		}
		w.str("name", name)
		g.concept("physicalType", "http://terminology.hl7.org/CodeSystem/location-physical-type", "wa", "Ward")
	}
	g.ref("managingOrganization", ref{k: kOrganization, a: i % numOrganizations})
	if i >= numRootLocations && i%2 == 0 { // half of the wards are part of a campus
		g.ref("partOf", ref{k: kLocation, a: i % numRootLocations})
	}
	w.end()
}

// unitLocation returns a location of care unit u (an index of careUnits).
func unitLocation(u int, r *rnd) ref {
	copies := (numLocations - numRootLocations + len(careUnits) - 1 - u) / len(careUnits)
	return ref{k: kLocation, a: numRootLocations + u + len(careUnits)*r.intn(max(copies, 1))}
}

func medicationName(i int) string {
	name := medications[i%len(medications)]
	if n := i / len(medications); n > 0 {
		name += " " + strconv.Itoa(5*n) + " mg"
	}
	return name
}

func (g *renderer) medication(i int) {
	w := &g.w
	g.begin(ref{k: kMedication, a: i})
	name := medicationName(i)
	g.identifier(mimicID+"medication-name", name)
	g.concept("code", mimicCS+"mimic-medication-name", name, "")
	w.str("status", "active")
	w.end()
}

func (g *renderer) medicationMix(i int) {
	w := &g.w
	g.begin(ref{k: kMedicationMix, a: i})
	r := rnd{s: hashOf(seedKey(g.o), uint64(kMedicationMix), uint64(i))}
	n := numMedications(g.o)
	first := r.intn(n)
	second := (first + 1 + r.intn(n-1)) % n
	w.obj("code")
	w.str("text", medicationName(first)+" / "+medicationName(second))
	w.end()
	w.str("status", "active")
	w.arr("ingredient")
	for _, m := range [...]int{first, second} {
		w.obj("")
		g.ref("itemReference", ref{k: kMedication, a: m})
		w.end()
	}
	w.endArr()
	w.end()
}

func (g *renderer) patient(pl *plan) {
	w := &g.w
	g.begin(ref{k: kPatient, p: pl.p})
	r := pl.r(kPatient, 0, 0)
	mrn := strconv.Itoa(10000000 + pl.p)
	g.identifier(mimicID+"patient", mrn)
	w.arr("name")
	w.obj("")
	w.str("use", "official")
	w.str("family", "Patient_"+mrn)
	w.end()
	w.endArr()
	w.str("gender", [...]string{"female", "male"}[r.intn(2)])
	w.date("birthDate", pl.t0-int64(18+r.intn(72))*365*day-int64(r.intn(365))*day)
	if r.intn(10) == 0 {
		_, last := pl.hospSpan(pl.hosp - 1)
		w.dateTime("deceasedDateTime", last)
	}
	g.ref("managingOrganization", ref{k: kOrganization, a: 0})
	w.end()
}

// encounterClass writes Encounter.class (a Coding in R4).
func (g *renderer) encounterClass(code, display string) {
	g.coding("class", "http://terminology.hl7.org/CodeSystem/v3-ActCode", code, display)
}

// encounterLocation writes Encounter.location with one location (for the
// whole encounter, so without a period of its own).
func (g *renderer) encounterLocation(loc ref) {
	w := &g.w
	w.arr("location")
	w.obj("")
	g.ref("location", loc)
	w.end()
	w.endArr()
}

func (g *renderer) encounter(pl *plan, e int) {
	w := &g.w
	self := ref{k: kEncounter, p: pl.p, a: e}
	g.begin(self)
	r := pl.r(kEncounter, e, 1)
	start, end := pl.hospSpan(e)
	g.identifier(mimicID+"encounter-hosp", strconv.Itoa(20000000+pl.p*4+e))
	w.str("status", "finished")
	g.encounterClass("IMP", "inpatient encounter")
	g.subject("subject", pl, false)
	g.period("period", start, end)
	loc := unitLocation(6+r.intn(len(careUnits)-6), &r)
	if pl.dangles(kEncounter, e) {
		loc = ref{k: kLocation, p: pl.p, dangling: true}
	}
	g.encounterLocation(loc)
	g.ref("serviceProvider", ref{k: kOrganization, a: 0})
	w.end()
}

func (g *renderer) encounterED(pl *plan, j int) {
	w := &g.w
	g.begin(ref{k: kEncounterED, p: pl.p, a: j})
	r := pl.r(kEncounterED, j, 1)
	start, end := pl.edSpan(j)
	g.identifier(mimicID+"encounter-ed", strconv.Itoa(30000000+pl.p*4+j))
	w.str("status", "finished")
	g.encounterClass("EMER", "emergency")
	g.subject("subject", pl, false)
	g.period("period", start, end)
	g.encounterLocation(unitLocation(9, &r)) // the ED
	g.ref("serviceProvider", ref{k: kOrganization, a: 1})
	g.ref("partOf", ref{k: kEncounter, p: pl.p, a: j % pl.hosp})
	w.end()
}

func (g *renderer) encounterICU(pl *plan, j int) {
	w := &g.w
	g.begin(ref{k: kEncounterICU, p: pl.p, a: j})
	r := pl.r(kEncounterICU, j, 1)
	start, end := pl.icuSpan(j)
	g.identifier(mimicID+"encounter-icu", strconv.Itoa(40000000+pl.p*4+j))
	w.str("status", "finished")
	g.encounterClass("ACUTE", "inpatient acute")
	g.subject("subject", pl, false)
	g.period("period", start, end)
	g.encounterLocation(unitLocation(r.intn(6), &r)) // an ICU
	g.ref("serviceProvider", ref{k: kOrganization, a: 0})
	g.ref("partOf", ref{k: kEncounter, p: pl.p, a: j % pl.hosp})
	w.end()
}
