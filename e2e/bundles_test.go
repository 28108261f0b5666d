//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/cli"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// TestBundlesSynthea loads Synthea 3.3.0's default output (one
// transaction Bundle per patient, the hospital and practitioner batch
// Bundles, metadata/*.json) and its collection variant (copies of the
// providers in each patient Bundle, referenced by urn:uuid) with default
// settings: every entry lands under its id with no failure, a second load
// changes nothing, and verify finds every resource identical. The seed is
// TestSyntheaLoadsAndVerifies's, whose Practitioners' NPIs are known not
// to clash with the shared sample's conditional references; on a server
// that did not hold these resources, each is at version 1. Like
// TestSyntheaLoadsAndVerifies it must run before
// TestVerifyFindsMissingAndChanged (file order does it), which gives the
// export's first Organizations and Practitioners twins with the same
// identifiers: after it, the transaction Bundles' conditional references
// match two resources (HAPI-2207) until the bed is reset.
func TestBundlesSynthea(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	settings := fhirSettings(bed.FHIRBaseURL)
	for _, format := range []string{"transaction", "collection"} {
		t.Run(format, func(t *testing.T) {
			dir := syntheaBundles(t, format, syntheaPatients, syntheaSeed)
			ids, entries, kinds := bundleEntries(t, dir)
			distinct := 0
			for _, l := range ids {
				distinct += len(l)
			}
			files := kinds["transaction"] + kinds["batch"] + kinds["collection"]
			switch format {
			case "transaction":
				if kinds["batch"] != 2 || kinds["transaction"] < syntheaPatients || distinct != entries {
					t.Fatalf("Bundle types %v, %d entries of %d ids: want 2 batch, transactions, no copies", kinds, entries, distinct)
				}
			case "collection":
				if kinds["collection"] != files || distinct >= entries {
					t.Fatalf("Bundle types %v, %d entries of %d ids: want collections only, with copies", kinds, entries, distinct)
				}
			}
			fresh := len(allVersions(t, s, ids)) == 0

			r, sum := uploadOK(t, bed.FHIRBaseURL, dir)
			if sum.Failed != 0 || sum.Created+sum.Updated+sum.Unchanged != distinct || sum.DuplicatesSkipped != entries-distinct {
				t.Errorf("upload: %d created, %d updated, %d unchanged, %d failed, %d duplicates skipped; want %d written, 0 failed, %d skipped",
					sum.Created, sum.Updated, sum.Unchanged, sum.Failed, sum.DuplicatesSkipped, distinct, entries-distinct)
			}
			wantOut := []string{fmt.Sprintf("Bundles: %d JSON files, %s entries read: %s written as PUT Type/id; 0 refused", files, thousands(entries), thousands(entries))}
			if format == "transaction" {
				wantOut = append(wantOut, "ifNoneExist not needed (written by id)")
			}
			for _, w := range wantOut {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
				}
			}
			if !strings.Contains(r.stderr, "warning: metadata/") || !strings.Contains(r.stderr, "skipped: JSON, but not a FHIR resource or Bundle") {
				t.Errorf("stderr does not name metadata/*.json as skipped:\n%s", r.stderr)
			}

			// Every entry on the server under its own id.
			v1 := allVersions(t, s, ids)
			if len(v1) != distinct {
				t.Errorf("%d of %d resources on the server under their ids", len(v1), distinct)
			}
			if fresh {
				for k, v := range v1 {
					if v != "1" {
						t.Errorf("%s at version %s after one load into a server without it; want 1", k, v)
					}
				}
			}
			// References to fullUrls became Type/id; identifiers that hold
			// the same kind of string did not.
			checkRewritten(t, s, ids)

			// A second load changes nothing.
			_, sum = uploadOK(t, bed.FHIRBaseURL, dir)
			if sum.Created != 0 || sum.Updated != 0 || sum.Failed != 0 || sum.Unchanged != distinct {
				t.Errorf("second load: %d created, %d updated, %d failed, %d unchanged; want all %d unchanged", sum.Created, sum.Updated, sum.Failed, sum.Unchanged, distinct)
			}
			v2 := allVersions(t, s, ids)
			for k, v := range v1 {
				if v2[k] != v {
					t.Errorf("%s went from version %s to %s in a second load of the same Bundles", k, v, v2[k])
				}
			}

			code, rep, vr := runVerify(t, settings, "-i", dir)
			if code != cli.ExitOK || !rep.Complete || rep.Total.Found != distinct || rep.Total.Missing != 0 || rep.Total.Differing != 0 {
				t.Errorf("verify: exit %d, complete %v, found %d of %d, missing %d, differing %d\n%s", code, rep.Complete, rep.Total.Found, distinct, rep.Total.Missing, rep.Total.Differing, vr.stderr)
			}
		})
	}
}

// checkRewritten reads a DocumentReference and an Observation back:
// their references are Type/id, and the DocumentReference's identifier
// still holds its urn:uuid string.
func checkRewritten(t *testing.T, s server, ids map[string][]string) {
	t.Helper()
	if len(ids["DocumentReference"]) == 0 || len(ids["Observation"]) == 0 {
		t.Fatalf("the export holds no DocumentReference or Observation")
	}
	doc := s.read(t, "DocumentReference", ids["DocumentReference"][0])
	ident := fmt.Sprint(doc["identifier"])
	if !strings.Contains(ident, "urn:uuid:") {
		t.Errorf("DocumentReference identifier %s: want its urn:uuid value kept", ident)
	}
	if subj := fmt.Sprint(doc["subject"]); !strings.Contains(subj, "Patient/") {
		t.Errorf("DocumentReference subject %s: want Patient/id", subj)
	}
	obs := s.read(t, "Observation", ids["Observation"][0])
	for _, k := range []string{"subject", "encounter"} {
		if v := fmt.Sprint(obs[k]); strings.Contains(v, "urn:uuid:") {
			t.Errorf("Observation %s %s: a fullUrl left as it was", k, v)
		}
	}
}

// TestBundlesOnNDJSONLines: an NDJSON file of transaction Bundles, one a
// line (blazectl's input), loads by id, a reference to another line's
// fullUrl included, and a second load changes nothing; verify agrees.
func TestBundlesOnNDJSONLines(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	line := func(entries ...string) string {
		return `{"resourceType":"Bundle","type":"transaction","entry":[` + strings.Join(entries, ",") + `]}` + "\n"
	}
	pat := fmt.Sprintf(`{"fullUrl":"urn:uuid:%s-p","resource":{"resourceType":"Patient","id":"%s-p"},"request":{"method":"POST","url":"Patient"}}`, p, p)
	obs := fmt.Sprintf(`{"fullUrl":"urn:uuid:%s-o","resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:%s-p"}},"request":{"method":"POST","url":"Observation"}}`, p, p)
	dir := writeTree(t, map[string]string{"bundles.ndjson": line(obs) + line(pat)})
	r, sum := uploadOK(t, bed.FHIRBaseURL, dir)
	if sum.Failed != 0 || sum.Created != 2 || !strings.Contains(r.stdout, "Bundles: 1 JSON file, 2 entries read: 2 written as PUT Type/id; 1 of them with the id of their fullUrl") {
		t.Errorf("upload: %d created, %d failed; want 2 created\n%s", sum.Created, sum.Failed, r.stdout)
	}
	if got := fmt.Sprint(s.read(t, "Observation", p+"-o")["subject"]); got != "map[reference:Patient/"+p+"-p]" {
		t.Errorf("Observation subject %s, want Patient/%s-p", got, p)
	}
	if _, sum = uploadOK(t, bed.FHIRBaseURL, dir); sum.Unchanged != 2 || sum.Created+sum.Updated != 0 {
		t.Errorf("second load: %d created, %d updated, %d unchanged; want 2 unchanged", sum.Created, sum.Updated, sum.Unchanged)
	}
	if code, rep, vr := runVerify(t, fhirSettings(bed.FHIRBaseURL), "-i", dir); code != cli.ExitOK || !rep.Complete {
		t.Errorf("verify: exit %d, complete %v\n%s\n%s", code, rep.Complete, vr.stdout, vr.stderr)
	}
}
