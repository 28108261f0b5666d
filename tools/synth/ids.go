package synth

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Ids name the resource's place in the data set, so that Lookup can make
// it again: <prefix><code>-<patient>-<index>[-<index>[-<index>]], e.g.
// "lab-17-30" (labevent 30 of patient 17), "msusc-17-1-0-2", or
// <prefix><code>-<index> for the shared pools ("med-12"). Every id has a
// letter (HAPI rejects purely numeric client ids) and at most 64 characters.

// ref is the target of a reference: a resource of kind k, or a dangling
// target when dangling is set.
type ref struct {
	k        kind
	p        int // patient; unused for pools
	a, b, c  int
	dangling bool
}

// depth is how many indices follow the patient (or the pool index) in the
// ids of kind k.
func depth(k kind) int {
	switch {
	case kinds[k].pool, k == kPatient:
		return 0 // a pool id has only its index, a patient id only the patient
	case k == kMedicationDispense, k == kMedicationAdministration, k == kObsMicroOrg:
		return 2
	case k == kObsMicroSusc:
		return 3
	}
	return 1
}

// appendID appends the id of r.
func appendID(b []byte, prefix string, r ref) []byte {
	b = append(b, prefix...)
	b = append(b, kinds[r.k].code...)
	b = append(b, '-')
	if r.dangling { // no generated id has a word after the code
		b = append(b, "dangling-"...)
		return strconv.AppendInt(b, int64(r.p), 10)
	}
	if kinds[r.k].pool {
		return strconv.AppendInt(b, int64(r.a), 10)
	}
	b = strconv.AppendInt(b, int64(r.p), 10)
	for i, v := range [3]int{r.a, r.b, r.c} {
		if i >= depth(r.k) {
			break
		}
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(v), 10)
	}
	return b
}

// ErrNotFound is returned by Lookup for an id that the options do not make.
var ErrNotFound = errors.New("no such generated resource")

// Lookup returns the NDJSON line (without its newline) that Generate writes
// for the resource resourceType/id with the same options, without writing
// any file. Tests use it to compare what a server holds with what was
// generated. It returns an error wrapping ErrNotFound when the options make
// no such resource.
func Lookup(opts Options, resourceType, id string) ([]byte, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	r, ok := parseID(&o, id)
	if !ok || kinds[r.k].rtype != resourceType {
		return nil, fmt.Errorf("%s/%s: %w", resourceType, id, ErrNotFound)
	}
	g := newRenderer(&o)
	if kinds[r.k].pool {
		return g.render(r.k, nil, item{a: int32(r.a)}), nil
	}
	pl := planFor(&o, r.p)
	if !pl.has(r) {
		return nil, fmt.Errorf("%s/%s: %w", resourceType, id, ErrNotFound)
	}
	return g.render(r.k, &pl, item{a: int32(r.a), b: int32(r.b), c: int32(r.c)}), nil
}

// parseID reads an id written by appendID; it checks the syntax and the
// ranges of the pools and of the patient, not the per-patient counts.
func parseID(o *Options, id string) (ref, bool) {
	rest, ok := strings.CutPrefix(id, o.IDPrefix)
	if !ok {
		return ref{}, false
	}
	code, nums, ok := strings.Cut(rest, "-")
	if !ok {
		return ref{}, false
	}
	k, ok := kindByCode[code]
	if !ok {
		return ref{}, false
	}
	fields := strings.Split(nums, "-")
	if len(fields) != 1+depth(k) {
		return ref{}, false
	}
	var v [4]int
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 || strconv.Itoa(n) != f {
			return ref{}, false
		}
		v[i] = n
	}
	if kinds[k].pool {
		return ref{k: k, a: v[0]}, v[0] < poolSize(o, k)
	}
	return ref{k: k, p: v[0], a: v[1], b: v[2], c: v[3]}, v[0] < o.Patients
}

// has reports whether the patient has the resource r.
func (pl *plan) has(r ref) bool {
	if r.a < 0 || r.b < 0 || r.c < 0 {
		return false
	}
	switch r.k {
	case kPatient:
		return true
	case kMedicationDispense:
		return r.a < pl.req && r.b < pl.dispenses(r.a)
	case kMedicationAdministration:
		return r.a < pl.req && r.b < pl.administrations(r.a)
	case kObsMicroOrg:
		return r.a < pl.micro && r.b < pl.organisms(r.a)
	case kObsMicroSusc:
		return r.a < pl.micro && r.b < pl.organisms(r.a) && r.c < pl.susceptibilities(r.a, r.b)
	}
	return r.a < pl.count(r.k)
}
