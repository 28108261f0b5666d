package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
	"github.com/minio-to-fhir/minio-to-fhir/internal/progress"
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

// onServer is an existing that has the ids it holds.
type onServer map[string]bool

func (o onServer) Existing(_ context.Context, typ string, ids []string) (map[string]bool, error) {
	found := map[string]bool{}
	for _, id := range ids {
		if o[typ+"/"+id] {
			found[id] = true
		}
	}
	return found, nil
}

func TestReportDangling(t *testing.T) {
	d := func(line int, from, to string) plan.Dangling {
		return plan.Dangling{File: "Observation.ndjson", Line: line, From: from, To: to}
	}
	many := plan.Stats{}
	for i := range progress.MaxWarnings + 3 {
		to := fmt.Sprintf("Patient/p%d", i)
		many.Dangling = append(many.Dangling, d(i+1, fmt.Sprintf("Observation/o%d", i), to))
		many.Missing = append(many.Missing, to)
	}
	many.DanglingTotal = len(many.Dangling)
	tests := []struct {
		name           string
		st             plan.Stats
		server         onServer
		wantOut        string
		wantWarn       []string // lines of the warnings, in order
		wantWarnsCount int      // when wantWarn is nil
	}{
		{"none", plan.Stats{}, nil, "", nil, 0},
		{
			"one warning per missing resource",
			plan.Stats{DanglingTotal: 5, Missing: []string{"Patient/a", "Patient/b", "Encounter/e"}, Dangling: []plan.Dangling{
				d(1, "Observation/o1", "Patient/a"), d(2, "Observation/o2", "Patient/a"), d(3, "Observation/o3", "Encounter/e"),
				d(4, "Observation/o4", "Patient/a"), d(5, "Observation/o5", "Patient/b"),
			}},
			onServer{"Patient/b": true},
			"Missing references: 4 point at 2 resources neither in the data nor on the server; the resources holding them will fail\n\n",
			[]string{
				"warning: Observation.ndjson: line 1: Observation/o1 refers to Patient/a, which is neither in the data nor on the server (and 2 more references to it)",
				"warning: Observation.ndjson: line 3: Observation/o3 refers to Encounter/e, which is neither in the data nor on the server",
			},
			0,
		},
		{
			"all on the server, some not checked",
			plan.Stats{DanglingTotal: 7, Missing: []string{"Patient/a"}, Dangling: []plan.Dangling{d(1, "Observation/o1", "Patient/a")}},
			onServer{"Patient/a": true},
			"Not checked: 6 further references to resources not in the data\n\n",
			nil, 0,
		},
		{
			"more missing resources than warnings",
			many, nil,
			fmt.Sprintf("Missing references: %d point at %d resources neither in the data nor on the server; the resources holding them will fail\n\n", progress.MaxWarnings+3, progress.MaxWarnings+3),
			nil, progress.MaxWarnings + 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, warn strings.Builder
			if err := reportDangling(context.Background(), &out, &warn, tt.server, tt.st); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantOut, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			lines := strings.Split(strings.TrimSuffix(warn.String(), "\n"), "\n")
			if warn.Len() == 0 {
				lines = nil
			}
			if tt.wantWarn != nil || tt.wantWarnsCount == 0 {
				if diff := cmp.Diff(tt.wantWarn, lines); diff != "" {
					t.Errorf("warnings (-want +got):\n%s", diff)
				}
				return
			}
			if len(lines) != tt.wantWarnsCount {
				t.Fatalf("%d warning lines, want %d:\n%s", len(lines), tt.wantWarnsCount, warn.String())
			}
			if got, want := lines[len(lines)-1], "warning: 3 more missing resources are not shown"; got != want {
				t.Errorf("last warning %q, want %q", got, want)
			}
		})
	}
}
