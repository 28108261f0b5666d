//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// knowledgeFiles is a small set of knowledge resources whose canonical
// references go against the order of the files and lines: without them
// as dependencies, HAPI (referential integrity on) refuses the resources
// written before their targets (HAPI-1094). Ids start with p.
func knowledgeFiles(p string) map[string]string {
	url := func(id string) string { return "http://example.org/fhir/Library/" + p + "-" + id }
	lib := func(id string, dependsOn ...string) string {
		var ra []string
		for _, d := range dependsOn {
			ra = append(ra, fmt.Sprintf(`{"type":"depends-on","resource":%q}`, d))
		}
		return fmt.Sprintf(`{"resourceType":"Library","id":"%s-%s","url":%q,"version":"1.0","status":"active",`+
			`"type":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/library-type","code":"logic-library"}]},"relatedArtifact":[%s]}`+"\n",
			p, id, url(id), strings.Join(ra, ","))
	}
	return map[string]string{
		// l1 -> l2 (relative) -> l3 (its url, with a version) -> l4 (its
		// url). (HAPI 8.8 takes a relative canonical with |version for an
		// id with the version in it, and refuses it in any order.)
		"Library.ndjson": lib("l1", "Library/"+p+"-l2") + lib("l2", url("l3")+"|1.0") + lib("l3", url("l4")) + lib("l4"),
		// ActivityDefinition sorts before Library: its library must wait.
		"ActivityDefinition.ndjson": fmt.Sprintf(`{"resourceType":"ActivityDefinition","id":"%s-ad","status":"active","library":["Library/%s-l1"]}`+"\n", p, p),
		"Measure.ndjson":            fmt.Sprintf(`{"resourceType":"Measure","id":"%s-m","status":"active","library":["Library/%s-l2"]}`+"\n", p, p),
		"PlanDefinition.ndjson": fmt.Sprintf(`{"resourceType":"PlanDefinition","id":"%s-pd","status":"active","library":["Library/%s-l3"],`+
			`"action":[{"title":"a","definitionCanonical":"ActivityDefinition/%s-ad"}]}`+"\n", p, p, p),
	}
}

// TestUploadCanonicalReferences: canonical references (relative, and by
// the url of a resource in the data, with or without |version) order the
// upload like references, so every resource lands.
func TestUploadCanonicalReferences(t *testing.T) {
	bed := testbed.Default(t)
	s := server{base: bed.FHIRBaseURL}
	p := randomID(t)
	r, sum := uploadOK(t, bed.FHIRBaseURL, writeTree(t, knowledgeFiles(p)), "-s", "10", "-c", "2")
	if !strings.Contains(r.stdout, "2 canonical by the url of a resource in the data") {
		t.Errorf("stdout does not count the 2 canonical references by url:\n%s", r.stdout)
	}
	if sum.Read != 7 || sum.Created != 7 || sum.Failed != 0 {
		t.Errorf("read %d created %d failed %d; want 7, 7, 0", sum.Read, sum.Created, sum.Failed)
	}
	for typ, ids := range map[string][]string{
		"Library": {p + "-l1", p + "-l2", p + "-l3", p + "-l4"}, "ActivityDefinition": {p + "-ad"},
		"Measure": {p + "-m"}, "PlanDefinition": {p + "-pd"},
	} {
		if got := s.versions(t, typ, ids); len(got) != len(ids) {
			t.Errorf("%s: %d of %d on the server", typ, len(got), len(ids))
		}
	}
}
