package synth

import (
	"fmt"
	"math"
	"regexp"
	"runtime"
)

// Gzip says which files Generate compresses.
type Gzip string

// The compression modes.
const (
	GzipNone Gzip = ""     // every file is plain .ndjson
	GzipSome Gzip = "some" // about half of the files are .ndjson.gz, the rest .ndjson
	GzipAll  Gzip = "all"  // every file is .ndjson.gz, as MIMIC ships them
)

// Options shape a generated data set. The zero value plus Patients is a
// complete, MIMIC-like data set; every field has a default.
type Options struct {
	// Patients is the number of patients, at least 1. Each brings about 200
	// resources with Scale 1 (see Generate).
	Patients int `json:"patients"`
	// Seed makes the data set: the same options give the same bytes.
	Seed int64 `json:"seed"`
	// Scale multiplies the per-patient counts of clinical events (conditions,
	// procedures, medications, observations, specimens, ...); the number of
	// encounters stays. 0 means 1.
	Scale float64 `json:"scale,omitempty"`
	// ChartScale multiplies the chartevents Observations once more (0
	// means 1). DemoChartScale gives the shape of the MIMIC-IV Clinical
	// Database Demo on FHIR, where chartevents are about 72% of the
	// resources (about 670,000 of 929,000).
	ChartScale float64 `json:"chartScale,omitempty"`
	// Gzip selects the files written as .ndjson.gz.
	Gzip Gzip `json:"gzip,omitempty"`
	// SplitParts, when above 1, splits the large files (Encounter,
	// MedicationAdministration, ObservationLabevents, ObservationChartevents)
	// into that many parts named like MimicObservationLabevents_part1.ndjson.
	SplitParts int `json:"splitParts,omitempty"`
	// DanglingRefs makes that many references point to resources that do not
	// exist, at most one per patient. The manifest lists them.
	DanglingRefs int `json:"danglingRefs,omitempty"`
	// Padding adds that many bytes of text to every resource (in an
	// extension's valueString), for benchmarks that need large resources.
	Padding int `json:"padding,omitempty"`
	// IDPrefix starts every id, so that data sets made with different
	// prefixes can share a server. Letters, digits, '-' and '.', at most 16.
	IDPrefix string `json:"idPrefix,omitempty"`
	// ShuffleWindow bounds how many lines are shuffled together (0 means
	// 65536). Patients come in a random order per file in any case; the
	// window mixes the lines of neighbouring patients.
	ShuffleWindow int `json:"shuffleWindow,omitempty"`
	// Workers is how many files are written at once (0 means GOMAXPROCS,
	// at most 4). It does not change the output.
	Workers int `json:"-"`
}

// DemoChartScale is the ChartScale of the demo's shape: with it about 72%
// of the resources are chartevents Observations and 8% labevents, as in
// the MIMIC-IV demo on FHIR (chartevents about 670,000 of its 929,000
// resources).
const DemoChartScale = 6

const (
	defaultWindow = 1 << 16
	maxPadding    = 16 << 20
)

var idPrefixRE = regexp.MustCompile(`^[A-Za-z0-9.\-]{0,16}$`)

// Validate reports the first invalid field of o, as Generate would.
func (o Options) Validate() error {
	_, err := o.withDefaults()
	return err
}

// withDefaults returns o with defaults filled in, or an error that names the
// first invalid field.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.Patients < 1:
		return o, fmt.Errorf("patients must be at least 1, got %d", o.Patients)
	case o.Patients > math.MaxInt32/2:
		return o, fmt.Errorf("patients must be at most %d, got %d", math.MaxInt32/2, o.Patients)
	case o.Scale < 0 || o.Scale > 1000 || math.IsNaN(o.Scale):
		return o, fmt.Errorf("scale must be between 0 and 1000, got %v", o.Scale)
	case o.ChartScale < 0 || o.ChartScale > 1000 || math.IsNaN(o.ChartScale):
		return o, fmt.Errorf("chart scale must be between 0 and 1000, got %v", o.ChartScale)
	case o.Gzip != GzipNone && o.Gzip != GzipSome && o.Gzip != GzipAll:
		return o, fmt.Errorf("gzip must be %q, %q or %q, got %q", GzipNone, GzipSome, GzipAll, o.Gzip)
	case o.SplitParts < 0 || o.SplitParts > 1000:
		return o, fmt.Errorf("split parts must be between 0 and 1000, got %d", o.SplitParts)
	case o.DanglingRefs < 0 || o.DanglingRefs > o.Patients:
		return o, fmt.Errorf("dangling references must be between 0 and the number of patients (%d), got %d", o.Patients, o.DanglingRefs)
	case o.Padding < 0 || o.Padding > maxPadding:
		return o, fmt.Errorf("padding must be between 0 and %d, got %d", maxPadding, o.Padding)
	case !idPrefixRE.MatchString(o.IDPrefix):
		return o, fmt.Errorf("id prefix %q: use at most 16 letters, digits, '-' or '.'", o.IDPrefix)
	case o.ShuffleWindow < 0:
		return o, fmt.Errorf("shuffle window must not be negative, got %d", o.ShuffleWindow)
	}
	if o.Scale == 0 {
		o.Scale = 1
	}
	if o.ChartScale == 0 {
		o.ChartScale = 1
	}
	if o.ShuffleWindow == 0 {
		o.ShuffleWindow = defaultWindow
	}
	if o.Workers <= 0 {
		o.Workers = min(runtime.GOMAXPROCS(0), 4)
	}
	return o, nil
}

// gzipped reports whether kind k is written compressed.
func (o *Options) gzipped(k kind) bool {
	switch o.Gzip {
	case GzipAll:
		return true
	case GzipSome:
		return kinds[k].gzip
	}
	return false
}

// parts returns how many files kind k is split into.
func (o *Options) parts(k kind) int {
	if o.SplitParts > 1 && kinds[k].split {
		return o.SplitParts
	}
	return 1
}
