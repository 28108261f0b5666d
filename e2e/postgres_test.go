//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// checkInPostgres checks in PostgreSQL itself that HAPI stored the data
// set of dir: per type the number of live resources with the data set's
// id prefix, one version of each, and for samples the stored JSON equal
// to the input (HAPI stores it without id and meta).
func checkInPostgres(t *testing.T, bed *testbed.Bed, dir string, m synth.Manifest) {
	t.Helper()
	prefix := m.Options.IDPrefix
	want := map[string]int{}
	for typ, ids := range idsByType(t, dir) {
		want[typ] = len(ids)
	}
	if got := bed.ResourceCounts(t, prefix); !reflect.DeepEqual(got, want) {
		t.Errorf("resources in hfj_resource per type:\ngot  %v\nwant %v", got, want)
	}
	versions := bed.Count(t, `select count(*) from hfj_res_ver v join hfj_resource r on r.res_id = v.res_id
where left(r.fhir_id, length(:'prefix')) = :'prefix';`, "prefix="+prefix)
	if versions != m.Resources {
		t.Errorf("%d versions in hfj_res_ver, want %d: one per resource", versions, m.Resources)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for typ, ids := range m.Samples {
		id := ids[0]
		line, err := synth.Lookup(m.Options, typ, id)
		must(t, err)
		var in map[string]any
		must(t, json.Unmarshal(line, &in))
		delete(in, "id")
		delete(in, "meta")
		text, err := bed.SQL(ctx, `select v.res_text_vc from hfj_res_ver v join hfj_resource r on r.res_id = v.res_id
where r.res_type = :'type' and r.fhir_id = :'id' and v.res_encoding = 'JSON';`, "type="+typ, "id="+id)
		must(t, err)
		var stored map[string]any
		if err := json.Unmarshal([]byte(text), &stored); err != nil {
			t.Fatalf("%s/%s: stored text is not one JSON resource (%v): %.200s", typ, id, err, text)
		}
		delete(stored, "meta")
		if !reflect.DeepEqual(stored, in) {
			t.Errorf("%s/%s in PostgreSQL differs from the input:\ngot  %v\nwant %v", typ, id, stored, in)
		}
	}
}

// TestPostgresMIMICShaped loads MIMIC-shaped data into HAPI on PostgreSQL
// (referential integrity on, micro cycles) and counts what landed in
// PostgreSQL itself, as well as through HAPI.
func TestPostgresMIMICShaped(t *testing.T) {
	bed := testbed.Postgres(t)
	if bed.FHIRDB == "" {
		t.Fatalf("the PostgreSQL bed exports no FHIR_DB")
	}
	dir, m, _ := loadMIMICShaped(t, bed.FHIRBaseURL, 10)
	checkInPostgres(t, bed, dir, m)
	checkAllLanded(t, server{base: bed.FHIRBaseURL}, dir, m)
}

// TestTwoNodesShareData: both HAPI nodes of the two-node bed answer, and
// they share one database: what one writes, the other reads, and its
// referential integrity check finds what the other wrote.
func TestTwoNodesShareData(t *testing.T) {
	bed := testbed.TwoNodes(t)
	if len(bed.Nodes) != 2 || bed.Nodes[0] == bed.Nodes[1] || bed.FHIRBaseURL != strings.Join(bed.Nodes, ",") {
		t.Fatalf("want two distinct nodes, got FHIR_BASE_URL %q", bed.FHIRBaseURL)
	}
	a, b := server{base: bed.Nodes[0]}, server{base: bed.Nodes[1]}
	for _, s := range []server{a, b} {
		code, body := s.do(t, "GET", "metadata", nil, nil)
		if code != 200 || !strings.Contains(string(body), `"CapabilityStatement"`) {
			t.Fatalf("%s/metadata: HTTP %d: %.200s", s.base, code, body)
		}
	}

	id := randomID(t)
	pat := fmt.Sprintf(`{"resourceType":"Patient","id":"%s-p","name":[{"family":"Node%s"}]}`, id, id)
	if code, body := a.do(t, "PUT", "Patient/"+id+"-p", []byte(pat), nil); code != 201 {
		t.Fatalf("PUT Patient on node 1: HTTP %d: %s", code, body)
	}
	if got := b.read(t, "Patient", id+"-p"); fmt.Sprint(got["name"]) != "[map[family:Node"+id+"]]" {
		t.Errorf("node 2 reads the Patient node 1 wrote as %v", got)
	}
	obs := fmt.Sprintf(`{"resourceType":"Observation","id":"%s-o","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/%s-p"}}`, id, id)
	if code, body := b.do(t, "PUT", "Observation/"+id+"-o", []byte(obs), nil); code != 201 {
		t.Fatalf("PUT on node 2 of an Observation of node 1's Patient: HTTP %d: %s", code, body)
	}
	if got := a.read(t, "Observation", id+"-o"); fmt.Sprint(got["subject"]) != "map[reference:Patient/"+id+"-p]" {
		t.Errorf("node 1 reads the Observation node 2 wrote as %v", got)
	}

	// The tool loads through node 2; node 1 and PostgreSQL hold every resource.
	dir, m, _ := loadMIMICShaped(t, bed.Nodes[1], 3)
	checkAllLanded(t, a, dir, m)
	checkInPostgres(t, bed, dir, m)
}
