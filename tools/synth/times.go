package synth

// Times of a patient's encounters and events, in Unix seconds. Hospital
// encounters are months apart; ED visits end where their admission starts;
// ICU stays lie inside their admission; events lie inside their encounter.

const (
	hour = 3600
	day  = 24 * hour
)

// r returns a generator for one resource (kind k, indices a and b).
func (pl *plan) r(k kind, a, b int) rnd {
	return rnd{s: hashOf(pl.seed, uint64(k), uint64(pl.p), uint64(a), uint64(b))}
}

func (pl *plan) hospSpan(e int) (start, end int64) {
	r := pl.r(kEncounter, e, -1)
	start = pl.t0 + int64(e)*150*day + int64(r.intn(30*day))
	return start, start + 3*day + int64(r.intn(10*day))
}

func (pl *plan) edSpan(j int) (start, end int64) {
	h, _ := pl.hospSpan(j % pl.hosp)
	r := pl.r(kEncounterED, j, -1)
	return h - 3*hour - int64(r.intn(6*hour)), h
}

func (pl *plan) icuSpan(j int) (start, end int64) {
	h, _ := pl.hospSpan(j % pl.hosp)
	r := pl.r(kEncounterICU, j, -1)
	start = h + 6*hour + int64(j/pl.hosp)*day
	return start, start + 12*hour + int64(r.intn(36*hour))
}

// within picks a time in [start, end).
func within(r *rnd, start, end int64) int64 { return start + int64(r.next()%uint64(end-start)) }

// eventEncounter is the encounter of ICU-charted events (chart, datetime,
// output, ICU medications): an ICU stay when the patient has one, else a
// hospital encounter.
func (pl *plan) eventEncounter(j int) (r ref, start, end int64) {
	if pl.icu > 0 {
		i := j % pl.icu
		start, end = pl.icuSpan(i)
		return ref{k: kEncounterICU, p: pl.p, a: i}, start, end
	}
	e := j % pl.hosp
	start, end = pl.hospSpan(e)
	return ref{k: kEncounter, p: pl.p, a: e}, start, end
}

// request describes medication request q: its encounter, time and drug.
func (pl *plan) request(o *Options, q int) (enc ref, authored int64, med ref) {
	e := q % pl.hosp
	start, end := pl.hospSpan(e)
	r := pl.r(kMedicationRequest, q, -1)
	authored = within(&r, start, end)
	if r.intn(10) == 0 {
		med = ref{k: kMedicationMix, a: r.intn(numMixes(o))}
	} else {
		med = ref{k: kMedication, a: r.intn(numMedications(o))}
	}
	return ref{k: kEncounter, p: pl.p, a: e}, authored, med
}
