package ledger

import (
	"os"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func names(m Match) []string {
	var out []string
	for n := range m.Unchanged {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestLedger records loads and matches reruns against them, through a
// ledger written and read back.
func TestLedger(t *testing.T) {
	dir := t.TempDir()
	a := File{Name: "a.ndjson", Size: 10, Version: "t1", Sample: "Patient/1"}
	b := File{Name: "b.ndjson", Size: 20, Version: "t1", Sample: "Encounter/1"}
	c := File{Name: "c.ndjson", Size: 30, Version: "t1"}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

	l, err := Open(dir, "http://127.0.0.1:1/fhir")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(l.Match([]File{a, b})); len(got) != 0 {
		t.Fatalf("an empty ledger matched %v", got)
	}
	if err := l.Record(Load{At: t0, Files: []File{b, a}, Landed: map[string]int{"Patient": 1}}); err != nil {
		t.Fatal(err)
	}
	// Read back, as the next run does.
	if l, err = Open(dir, "http://127.0.0.1:1/fhir"); err != nil {
		t.Fatal(err)
	}
	changedB := b
	changedB.Size = 21
	tests := []struct {
		name  string
		files []File
		want  []string
	}{
		{"all unchanged", []File{a, b}, []string{"a.ndjson", "b.ndjson"}},
		{"one changed", []File{a, changedB}, []string{"a.ndjson"}},
		{"one added", []File{a, b, c}, []string{"a.ndjson", "b.ndjson"}},
		{"another version", []File{{Name: "a.ndjson", Size: 10, Version: "t2"}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := l.Match(tc.files)
			if diff := cmp.Diff(tc.want, names(m)); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
			if len(tc.want) > 0 && !m.Since().Equal(t0) {
				t.Errorf("since %v, want %v", m.Since(), t0)
			}
		})
	}
	if got := l.Match([]File{a}).Unchanged["a.ndjson"].Sample; got != "Patient/1" {
		t.Errorf("sample %q, want Patient/1", got)
	}

	// A second load of the changed b and the new c: a stays with the
	// first load, b and c go with the second.
	t1 := t0.Add(time.Hour)
	if err := l.Record(Load{At: t1, Files: []File{changedB, c}}); err != nil {
		t.Fatal(err)
	}
	if l, err = Open(dir, "http://127.0.0.1:1/fhir"); err != nil {
		t.Fatal(err)
	}
	if len(l.Loads) != 2 || len(l.Loads[0].Files) != 1 || l.Loads[0].Files[0].Name != "a.ndjson" {
		t.Fatalf("loads after the second: %+v", l.Loads)
	}
	m := l.Match([]File{a, changedB, c})
	if diff := cmp.Diff([]string{"a.ndjson", "b.ndjson", "c.ndjson"}, names(m)); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
	if len(m.Loads) != 2 || !m.Since().Equal(t1) {
		t.Errorf("since %v from %d loads, want %v from 2", m.Since(), len(m.Loads), t1)
	}

	// Another server has a ledger of its own.
	other, err := Open(dir, "http://127.0.0.1:2/fhir")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(other.Match([]File{a})); len(got) != 0 {
		t.Errorf("another server matched %v", got)
	}
}

// TestLedgerDamaged: a damaged ledger is an error, never an empty one.
func TestLedgerDamaged(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(l.Path(), []byte(`{"server":"s","loads":[{`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, "s"); err == nil {
		t.Fatal("a damaged ledger opened without an error")
	}
}

// TestLedgerSuperseded: a file some of whose resources a later file
// superseded counts as unchanged only for the very input of its load;
// the others as before. A load whose files all move to a later one
// leaves its counts to it.
func TestLedgerSuperseded(t *testing.T) {
	dir := t.TempDir()
	a := File{Name: "a.ndjson", Size: 10, Version: "t1", Sample: "Patient/1", Superseded: true}
	b := File{Name: "b.ndjson", Size: 20, Version: "t1", Sample: "Patient/2"}
	c := File{Name: "c.ndjson", Size: 30, Version: "t1", Sample: "Patient/3"}
	input := []File{a, b, c}
	if Key([]File{c, a, b}) != Key(input) {
		t.Fatal("Key depends on the order of the files")
	}
	changedB := b
	changedB.Version = "t2"
	if Key([]File{a, changedB, c}) == Key(input) || Key([]File{a, c}) == Key(input) {
		t.Fatal("Key does not change with a file's version or with a file gone")
	}

	l, err := Open(dir, "s")
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	if err := l.Record(Load{At: t0, Files: input, Landed: map[string]int{"Patient": 30}, Input: Key(input)}); err != nil {
		t.Fatal(err)
	}
	if l, err = Open(dir, "s"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		files []File
		want  []string
	}{
		{"the same input", []File{c, b, a}, []string{"a.ndjson", "b.ndjson", "c.ndjson"}},
		{"another changed", []File{a, changedB, c}, []string{"c.ndjson"}},
		{"another gone", []File{a, c}, []string{"c.ndjson"}},
		{"one added", []File{a, b, c, {Name: "d.ndjson", Size: 1, Version: "t1"}}, []string{"b.ndjson", "c.ndjson"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, names(l.Match(tc.files))); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}

	// A second load records every file again (a was sent, b and c
	// recorded as they were): the first load's counts stay.
	second := []File{a, b, c}
	if err := l.Record(Load{At: t0.Add(time.Hour), Files: second, Landed: map[string]int{"Patient": 10, "Encounter": 5}, Input: Key(second)}); err != nil {
		t.Fatal(err)
	}
	if len(l.Loads) != 1 {
		t.Fatalf("%d loads after the second, want 1", len(l.Loads))
	}
	if diff := cmp.Diff(map[string]int{"Patient": 30, "Encounter": 5}, l.Loads[0].Landed); diff != "" {
		t.Errorf("counts (-want +got)\n%s", diff)
	}
}
