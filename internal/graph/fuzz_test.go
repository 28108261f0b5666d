package graph

import "testing"

// FuzzPlan checks Plan on graphs read from bytes (node count, then pairs
// of nodes) against the brute-force checks of TestPlanRandom.
func FuzzPlan(f *testing.F) {
	f.Add([]byte{4, 0, 1, 1, 2, 2, 3})
	f.Add([]byte{5, 0, 1, 1, 2, 2, 0, 2, 3, 4, 0, 3, 3})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		n := 1 + int(data[0])%48
		var edges []edge
		for i := 1; i+1 < len(data) && len(edges) < 200; i += 2 {
			edges = append(edges, edge{uint32(int(data[i]) % n), uint32(int(data[i+1]) % n)})
		}
		checkPlan(t, 0, n, edges)
	})
}
