package synth

import (
	"fmt"
	"math"
)

const estimateSample = 128

// Estimate returns how many resources and NDJSON bytes a patient brings on
// average with opts (opts.Patients and DanglingRefs are ignored), measured
// by making the resources of a sample of patients. The shared pools (at
// most about 4,500 resources) come on top.
func Estimate(opts Options) (resources, bytes float64, err error) {
	opts.Patients = max(opts.Patients, estimateSample)
	opts.DanglingRefs = 0
	o, err := opts.withDefaults()
	if err != nil {
		return 0, 0, err
	}
	g := newRenderer(&o)
	var items []item
	var n, size int
	for p := range estimateSample {
		pl := planFor(&o, p)
		for k := range numKinds {
			if kinds[k].pool {
				continue
			}
			items = pl.appendItems(items[:0], k, 0)
			for _, it := range items {
				size += len(g.render(k, &pl, it)) + 1
			}
			n += len(items)
		}
	}
	return float64(n) / estimateSample, float64(size) / estimateSample, nil
}

// PatientsFor returns how many patients make about the given number of
// resources (when bytes is 0) or NDJSON bytes (when resources is 0) with
// opts, at least 1.
func PatientsFor(opts Options, resources, bytes int64) (int, error) {
	perRes, perByte, err := Estimate(opts)
	if err != nil {
		return 0, err
	}
	var p float64
	switch {
	case resources > 0 && bytes == 0:
		p = float64(resources) / perRes
	case bytes > 0 && resources == 0:
		p = float64(bytes) / perByte
	default:
		return 0, fmt.Errorf("give either a number of resources or of bytes")
	}
	if p > math.MaxInt32/2 {
		return 0, fmt.Errorf("that needs %.0f patients, more than %d", p, math.MaxInt32/2)
	}
	return max(1, int(math.Round(p))), nil
}
