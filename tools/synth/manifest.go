package synth

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// ManifestName is the file Generate writes beside the NDJSON files.
const ManifestName = "manifest.json"

// FormatVersion changes whenever the same options start to make different
// bytes, so that stored expectations can tell.
const FormatVersion = 1

// Manifest describes a generated data set.
type Manifest struct {
	// Version is the FormatVersion of the generator that wrote the data set.
	Version int `json:"version"`
	// Options are the options the data set was made with, defaults filled
	// in; Lookup with them makes any of its resources again.
	Options Options `json:"options"`
	// Files lists the files written, sorted by name (the order of an S3
	// listing).
	Files []File `json:"files"`
	// Types counts the resources per FHIR resource type.
	Types map[string]int `json:"types"`
	// Sources counts the resources per MIMIC file (MimicEncounterED, ...),
	// parts added up.
	Sources map[string]int `json:"sources"`
	// Resources is the number of resources (= lines) in all files.
	Resources int `json:"resources"`
	// Bytes is the size of all files on disk; NDJSONBytes without gzip.
	Bytes       int64 `json:"bytes"`
	NDJSONBytes int64 `json:"ndjsonBytes"`
	// MicroCycles is the number of microbiology reference cycles: micro
	// tests with at least one organism. Each cycle is the test, its
	// organisms and their susceptibilities, which reference each other.
	MicroCycles int `json:"microCycles"`
	// Samples holds a few ids per resource type (the first lines of each
	// file), for content checks.
	Samples map[string][]string `json:"samples"`
	// Dangling lists the references made to point nowhere (DanglingRefs).
	Dangling []Dangling `json:"dangling,omitempty"`
}

// File is one written file.
type File struct {
	Name         string `json:"name"`   // base name in the directory
	Source       string `json:"source"` // MIMIC file name without part and extension
	ResourceType string `json:"resourceType"`
	Part         int    `json:"part,omitempty"` // 1-based; 0 when the file is not split
	Gzip         bool   `json:"gzip,omitempty"`
	Lines        int    `json:"lines"`
	Bytes        int64  `json:"bytes"`       // on disk
	NDJSONBytes  int64  `json:"ndjsonBytes"` // uncompressed
}

// Dangling is a reference to a resource that the data set does not have.
type Dangling struct {
	Source       string `json:"source"`
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Path         string `json:"path"`      // the element holding the reference, e.g. Condition.encounter
	Reference    string `json:"reference"` // e.g. Encounter/enc-dangling-7
}

// ReadManifest reads the manifest of a data set made by Generate.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	return m, nil
}

// writeManifest writes m atomically.
func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, ManifestName)
	if err := os.WriteFile(path+partialExt, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(path+partialExt, path)
}

// danglingRefs lists the dangling references the options make.
func danglingRefs(o *Options) []Dangling {
	var out []Dangling
	for i := range o.DanglingRefs {
		pl := planFor(o, i*o.Patients/o.DanglingRefs)
		self := ref{k: pl.dangling, p: pl.p}
		var path string
		var target ref
		switch pl.dangling {
		case kCondition:
			path, target = "Condition.encounter", ref{k: kEncounter, p: pl.p, dangling: true}
		case kMedicationRequest:
			path, target = "MedicationRequest.medicationReference", ref{k: kMedication, p: pl.p, dangling: true}
		case kObsLabevents:
			path, target = "Observation.specimen", ref{k: kSpecimenLab, p: pl.p, dangling: true}
		case kProcedure:
			path, target = "Procedure.subject", ref{k: kPatient, p: pl.p, dangling: true}
		default:
			path, target = "Encounter.location.location", ref{k: kLocation, p: pl.p, dangling: true}
		}
		out = append(out, Dangling{
			Source:       kinds[self.k].file,
			ResourceType: kinds[self.k].rtype,
			ID:           string(appendID(nil, o.IDPrefix, self)),
			Path:         path,
			Reference:    kinds[target.k].rtype + "/" + string(appendID(nil, o.IDPrefix, target)),
		})
	}
	return out
}
