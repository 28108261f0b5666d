package graph

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

// heapMB returns the live heap in MB after a collection.
func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func BenchmarkKey(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Key("Observation", "0a1b2c3d-4e5f-5a6b-8c7d-9e0f1a2b3c4d")
	}
}

// planGraph returns a graph of n nodes shaped like a MIMIC load: pairs of
// Encounters (ED partOf hospital stay) and microbiology triples (test,
// organism, susceptibility: 4 edges, one cycle), m edges in all, on
// random nodes.
func planGraph(n, m int) *Graph {
	r := rand.New(rand.NewPCG(7, 8))
	g := New(n)
	g.Grow(m)
	node := func() uint32 { return uint32(r.IntN(n)) }
	for len(g.src) < m {
		if r.IntN(5) == 0 {
			g.AddEdge(node(), node())
			continue
		}
		t, o, s := node(), node(), node()
		g.AddEdge(t, o)
		g.AddEdge(o, t)
		g.AddEdge(o, s)
		g.AddEdge(s, o)
	}
	return g
}

// BenchmarkPlan plans 10M nodes with 2M edges; MB-heap is the live heap
// with the Graph and the Result held.
func BenchmarkPlan(b *testing.B) {
	const n, m = 10_000_000, 2_000_000
	g := planGraph(n, m)
	b.ReportAllocs()
	var r Result
	for b.Loop() {
		r = g.Plan()
	}
	b.StopTimer()
	b.ReportMetric(heapMB(), "MB-heap")
	b.ReportMetric(float64(r.Stats().Cycles), "cycles")
	b.ReportMetric(float64(r.Stats().Levels), "levels")
	runtime.KeepAlive(g)
}

// BenchmarkTypeOrder orders the types of a MIMIC load.
func BenchmarkTypeOrder(b *testing.B) {
	present := []string{"Organization", "Location", "Patient", "Encounter", "Condition", "Procedure",
		"Medication", "MedicationRequest", "MedicationDispense", "MedicationAdministration",
		"MedicationStatement", "Observation", "Specimen"}
	edges := map[[2]string]int{
		{"Location", "Organization"}: 1, {"Patient", "Organization"}: 1, {"Location", "Location"}: 1,
		{"Encounter", "Location"}: 1, {"Encounter", "Encounter"}: 1, {"Encounter", "Patient"}: 1,
		{"Medication", "Medication"}: 1, {"MedicationRequest", "Medication"}: 1,
		{"MedicationDispense", "MedicationRequest"}: 1, {"MedicationAdministration", "MedicationRequest"}: 1,
		{"Observation", "Specimen"}: 1, {"Observation", "Observation"}: 1, {"Observation", "Procedure"}: 1,
		{"Procedure", "Encounter"}: 1, {"Condition", "Encounter"}: 1, {"Specimen", "Patient"}: 1,
	}
	b.ReportAllocs()
	for b.Loop() {
		TypeOrder(present, edges, nil)
	}
}
