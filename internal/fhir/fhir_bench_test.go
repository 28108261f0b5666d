package fhir

import (
	"bytes"
	"strconv"
	"testing"
)

// benchResource is a MIMIC-IV-on-FHIR-shaped resource as fhirgen writes it.
const benchResource = `{"resourceType":"Observation","id":"chart-231-1","status":"final","code":{"coding":[{"system":"http://mimic.mit.edu/fhir/mimic/CodeSystem/mimic-chartevents-d-items","code":"224639","display":"Daily Weight"}]},"subject":{"reference":"Patient/pat-231"},"encounter":{"reference":"Encounter/icu-231-0"},"effectiveDateTime":"2149-06-23T02:07:52-04:00","valueQuantity":{"value":114.46,"unit":"kg"}}`

const benchBatch = 100 // resources per Bundle: upload's default

// BenchmarkBuilder builds a Bundle of 100 resources per op: with a new
// Builder each time (as transfer does per batch) and with one reused.
func BenchmarkBuilder(b *testing.B) {
	res := []byte(benchResource)
	ids := make([]string, benchBatch)
	for i := range ids {
		ids[i] = "chart-231-" + strconv.Itoa(i)
	}
	build := func(bl *Builder) []byte {
		for _, id := range ids {
			bl.Add("Observation", id, res)
		}
		return bl.Bytes()
	}
	b.Run("New", func(b *testing.B) {
		b.SetBytes(int64(len(res) * benchBatch))
		b.ReportAllocs()
		for b.Loop() {
			build(NewBuilder(Batch))
		}
	})
	b.Run("Reset", func(b *testing.B) {
		bl := NewBuilder(Batch)
		b.SetBytes(int64(len(res) * benchBatch))
		b.ReportAllocs()
		for b.Loop() {
			bl.Reset()
			build(bl)
		}
	})
}

// benchResponse is a batch-response as HAPI FHIR 8 writes it: each entry
// created, with its location, etag and OperationOutcome; or each
// unchanged (a second load of the same data).
func benchResponse(n int, code, status string) []byte {
	var entries []string
	for i := range n {
		loc := "Observation/chart-231-" + strconv.Itoa(i) + "/_history/1"
		entries = append(entries, `{"status":"`+status+`","location":"`+loc+`","etag":"1","lastModified":"2026-11-26T12:37:45.037+00:00","outcome":`+
			hapiOutcome("information", code, `Successfully created resource \"`+loc+`\" using update as create (ie. create with client assigned ID). Took 7ms.`)+`}`)
	}
	return []byte(batchResponse(entries...))
}

// BenchmarkParseResponse reads the answer to a Bundle of 100 entries.
func BenchmarkParseResponse(b *testing.B) {
	cases := []struct{ name, code, status string }{
		{"Created", "SUCCESSFUL_UPDATE_AS_CREATE", "201 Created"},
		{"Unchanged", "SUCCESSFUL_UPDATE_NO_CHANGE", "200 OK"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			body := benchResponse(benchBatch, c.code, c.status)
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				res, err := ParseResponse(bytes.NewReader(body), benchBatch)
				if err != nil || len(res) != benchBatch {
					b.Fatalf("got %d results, %v", len(res), err)
				}
			}
		})
	}
}
