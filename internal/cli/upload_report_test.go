package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

func TestPrintStats(t *testing.T) {
	dups := plan.Duplicates{IDs: 169, Differing: 84, Superseded: 185, Examples: []plan.DuplicateExample{
		{Resource: "Organization/abc", At: []string{"Organization.1690000.ndjson:3", "Organization.ndjson:12"}, Occurrences: 2, Differing: true},
		{Resource: "Location/x", At: []string{"a.ndjson:1", "a.ndjson:2", "a.ndjson:3", "b.ndjson:9"}, Occurrences: 6},
	}}
	tests := []struct {
		name string
		st   plan.Stats
		want string
	}{
		{"static, nothing to say", plan.Stats{Order: plan.OrderStatic, Waves: 1}, ""},
		{"data", plan.Stats{Order: plan.OrderData, References: 1200, Edges: 3, Conditional: 2, Canonical: 4, Waves: 2}, "" +
			"References: 1,200 to resources by id (3 between resources of one step), 2 conditional, 4 canonical by the url of a resource in the data\n" +
			"Within steps: 2 waves, for resources that reference others of their step\n"},
		{"duplicates, static", plan.Stats{Order: plan.OrderStatic, Waves: 1, Duplicates: dups}, "" +
			"Duplicate ids: 169 (84 with differing content; the last occurrence is written, 185 earlier skipped)\n" +
			"  e.g. Organization/abc at Organization.1690000.ndjson:3 and Organization.ndjson:12\n" +
			"       Location/x at a.ndjson:1, a.ndjson:2, a.ndjson:3 and b.ndjson:9 (2 more before the last)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			printStats(&b, tt.st)
			if diff := cmp.Diff(tt.want, b.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
		})
	}
}
