package synth

import "math"

// Everything is derived from hashes of (seed, kind, patient, index), never
// from state carried between resources, so any resource can be made again
// on its own (Lookup) and files can be written in any order.

func mix64(x uint64) uint64 { // splitmix64's finalizer
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

func hashOf(s uint64, xs ...uint64) uint64 {
	h := s
	for _, x := range xs {
		h = mix64(h ^ (x + 0x9e3779b97f4a7c15))
	}
	return h
}

// rnd is a small deterministic generator (splitmix64).
type rnd struct{ s uint64 }

func (r *rnd) next() uint64 {
	r.s += 0x9e3779b97f4a7c15
	return mix64(r.s)
}

// intn returns a number in [0, n); n must be positive.
func (r *rnd) intn(n int) int { return int(r.next() % uint64(n)) }

// between returns a number in [lo, hi].
func (r *rnd) between(lo, hi int) int { return lo + r.intn(hi-lo+1) }

// Sizes of the shared pools.
const (
	numOrganizations = 2
	numLocations     = 40
	numRootLocations = 4 // locations without partOf; the others are part of one
)

func numMedications(o *Options) int { return min(20+2*o.Patients, 4000) }
func numMixes(o *Options) int       { return max(2, numMedications(o)/10) }

// plan is one patient's shape: how many resources of each kind it has.
// Counts of children under a parent (dispenses per request, organisms per
// micro test, ...) come from the functions below it.
type plan struct {
	p    int
	seed uint64 // the data set's hash key
	t0   int64  // start of the first hospital encounter, Unix seconds

	hosp, ed, icu                  int
	cond, condED                   int
	proc, procED, procICU          int
	req, dispED, admICU, stmtED    int
	lab, specLab, micro            int
	chart, dte, out, obsED, vitals int
	dangling                       kind // kind whose first resource has a dangling reference
	hasDangling                    bool
}

// seedKey turns the user's seed into the hash key of the data set.
func seedKey(o *Options) uint64 { return mix64(uint64(o.Seed) ^ 0x6d696d6963666869) }

func planFor(o *Options, p int) plan {
	pl := plan{p: p, seed: seedKey(o)}
	r := rnd{s: hashOf(pl.seed, 0xfeed, uint64(p))}
	scaled := func(lo, hi int) int {
		return int(math.Round(float64(r.between(lo, hi)) * o.Scale))
	}
	perParent := func(parents, lo, hi int) int {
		if parents == 0 {
			return 0
		}
		return int(math.Round(float64(parents*r.between(lo, hi)) * o.Scale))
	}
	// 2110-01-01 plus up to 90 years: MIMIC's shifted dates.
	pl.t0 = 4418064000 + int64(r.intn(90*365))*86400 + int64(r.intn(86400))
	pl.hosp = r.between(1, 3)
	pl.ed = [...]int{0, 0, 1, 1, 2}[r.intn(5)]
	pl.icu = [...]int{0, 0, 1, 1, 1, 1, 2}[r.intn(7)]
	pl.cond = scaled(3, 7)
	pl.condED = perParent(pl.ed, 1, 2)
	pl.proc = scaled(1, 5)
	pl.procED = max(pl.ed, perParent(pl.ed, 1, 2))
	pl.procICU = perParent(pl.icu, 1, 3)
	pl.req = scaled(5, 15)
	pl.dispED = perParent(pl.ed, 0, 2)
	pl.admICU = perParent(pl.icu, 2, 6)
	pl.stmtED = perParent(pl.ed, 1, 3)
	pl.lab = scaled(20, 60)
	pl.specLab = (pl.lab + labsPerSpecimen - 1) / labsPerSpecimen
	pl.micro = scaled(1, 3)
	pl.chart = int(math.Round(float64(scaled(30, 90)) * o.ChartScale))
	pl.dte = scaled(3, 7)
	pl.out = scaled(4, 12)
	pl.obsED = perParent(pl.ed, 1, 3)
	pl.vitals = perParent(pl.ed, 2, 5)
	if pl.procED == 0 {
		pl.obsED, pl.vitals = 0, 0
	}
	pl.dangling, pl.hasDangling = danglingKind(o, &pl)
	return pl
}

const labsPerSpecimen = 4

// dispenses is how many MedicationDispense resources request r has.
func (pl *plan) dispenses(r int) int { return int(hashOf(pl.seed, 0xd15, uint64(pl.p), uint64(r)) % 3) }

// administrations is how many MedicationAdministration resources request r has.
func (pl *plan) administrations(r int) int {
	return int(hashOf(pl.seed, 0xad1, uint64(pl.p), uint64(r)) % 4)
}

// organisms is how many MicroOrg observations micro test t has; one in ten
// tests grows nothing.
func (pl *plan) organisms(t int) int {
	return [...]int{0, 1, 1, 1, 1, 1, 2, 2, 2, 2}[hashOf(pl.seed, 0x0e9, uint64(pl.p), uint64(t))%10]
}

// susceptibilities is how many MicroSusc observations organism o of test t has.
func (pl *plan) susceptibilities(t, o int) int {
	return 2 + int(hashOf(pl.seed, 0x5c5, uint64(pl.p), uint64(t), uint64(o))%3)
}

// danglingKind picks the kind whose first resource gets a dangling
// reference, for the DanglingRefs patients: patient floor(i*P/n) for i < n.
func danglingKind(o *Options, pl *plan) (kind, bool) {
	n, total := o.DanglingRefs, o.Patients
	if n == 0 {
		return 0, false
	}
	i := (pl.p*n + total - 1) / total // ceil(p*n/P)
	if i >= n || i*total/n != pl.p {
		return 0, false
	}
	candidates := [...]kind{kCondition, kMedicationRequest, kObsLabevents, kProcedure, kEncounter}
	k := candidates[hashOf(pl.seed, 0xda9, uint64(pl.p))%uint64(len(candidates))]
	if pl.count(k) == 0 {
		k = kEncounter // every patient has a hospital encounter
	}
	return k, true
}

// dangles reports whether the resource of kind k with first index a carries
// a dangling reference.
func (pl *plan) dangles(k kind, a int) bool { return pl.hasDangling && pl.dangling == k && a == 0 }

// count is how many resources of kind k the patient has.
func (pl *plan) count(k kind) int {
	n := 0
	switch k {
	case kPatient:
		return 1
	case kEncounter:
		return pl.hosp
	case kEncounterED:
		return pl.ed
	case kEncounterICU:
		return pl.icu
	case kCondition:
		return pl.cond
	case kConditionED:
		return pl.condED
	case kProcedure:
		return pl.proc
	case kProcedureED:
		return pl.procED
	case kProcedureICU:
		return pl.procICU
	case kMedicationRequest:
		return pl.req
	case kMedicationDispense:
		for r := range pl.req {
			n += pl.dispenses(r)
		}
	case kMedicationDispenseED:
		return pl.dispED
	case kMedicationAdministration:
		for r := range pl.req {
			n += pl.administrations(r)
		}
	case kMedicationAdministrationICU:
		return pl.admICU
	case kMedicationStatementED:
		return pl.stmtED
	case kObsLabevents:
		return pl.lab
	case kObsMicroTest:
		return pl.micro
	case kObsMicroOrg:
		for t := range pl.micro {
			n += pl.organisms(t)
		}
	case kObsMicroSusc:
		for t := range pl.micro {
			for o := range pl.organisms(t) {
				n += pl.susceptibilities(t, o)
			}
		}
	case kObsChartevents:
		return pl.chart
	case kObsDatetimeevents:
		return pl.dte
	case kObsOutputevents:
		return pl.out
	case kObsED:
		return pl.obsED
	case kObsVitalSignsED:
		return pl.vitals
	case kSpecimen:
		return pl.micro
	case kSpecimenLab:
		return pl.specLab
	}
	return n
}

// microCycles is how many reference cycles the patient's microbiology
// makes: one per micro test that grew an organism (the test, its organisms
// and their susceptibilities reference each other).
func (pl *plan) microCycles() int {
	n := 0
	for t := range pl.micro {
		if pl.organisms(t) > 0 {
			n++
		}
	}
	return n
}

// item is one resource of a file: a patient (by its slot in the window's
// plans) and up to three indices (e.g. request and dispense).
type item struct {
	slot    int32
	a, b, c int32
}

// appendItems adds the patient's resources of kind k.
func (pl *plan) appendItems(dst []item, k kind, slot int32) []item {
	switch k {
	case kMedicationDispense:
		for r := range pl.req {
			for d := range pl.dispenses(r) {
				dst = append(dst, item{slot: slot, a: int32(r), b: int32(d)})
			}
		}
	case kMedicationAdministration:
		for r := range pl.req {
			for d := range pl.administrations(r) {
				dst = append(dst, item{slot: slot, a: int32(r), b: int32(d)})
			}
		}
	case kObsMicroOrg:
		for t := range pl.micro {
			for o := range pl.organisms(t) {
				dst = append(dst, item{slot: slot, a: int32(t), b: int32(o)})
			}
		}
	case kObsMicroSusc:
		for t := range pl.micro {
			for o := range pl.organisms(t) {
				for s := range pl.susceptibilities(t, o) {
					dst = append(dst, item{slot: slot, a: int32(t), b: int32(o), c: int32(s)})
				}
			}
		}
	default:
		for a := range pl.count(k) {
			dst = append(dst, item{slot: slot, a: int32(a)})
		}
	}
	return dst
}

// poolSize is how many resources a pool kind has.
func poolSize(o *Options, k kind) int {
	switch k {
	case kOrganization:
		return numOrganizations
	case kLocation:
		return numLocations
	case kMedication:
		return numMedications(o)
	case kMedicationMix:
		return numMixes(o)
	}
	return 0
}
