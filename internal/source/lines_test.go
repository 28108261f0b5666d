package source

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// read returns the lines of f as "file:num data" and its line errors as
// "file:num !error".
func read(t *testing.T, f File, maxLine int) []string {
	t.Helper()
	lines, err := f.OpenLines(context.Background(), maxLine)
	if err != nil {
		t.Fatal(err)
	}
	defer lines.Close()
	var out []string
	for {
		l, err := lines.Next()
		if err == io.EOF {
			return out
		}
		var le *LineError
		switch {
		case errors.As(err, &le):
			out = append(out, le.File+":"+itoa(le.Num)+" !"+le.Error()+" "+string(le.Data))
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, l.File+":"+itoa(l.Num)+" "+string(l.Data))
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestOpenLines(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("Patient.ndjson", `{"resourceType":"Patient","id":"a"}`+"\n\n"+strings.Repeat("x", 100)+"\n"+`{"resourceType":"Patient","id":"b"}`+"\n")
	files, err := Dir{Path: dir}.List(context.Background())
	if err != nil || len(files) != 1 {
		t.Fatalf("List: %v, %v", files, err)
	}
	want := []string{
		`Patient.ndjson:1 {"resourceType":"Patient","id":"a"}`,
		"Patient.ndjson:3 !line 3 is 101 bytes, longer than the limit of 64 ",
		`Patient.ndjson:4 {"resourceType":"Patient","id":"b"}`,
	}
	if diff := cmp.Diff(want, read(t, files[0], 64)); diff != "" {
		t.Errorf("plain file (-want +got):\n%s", diff)
	}

	log := write("failures.log", strings.Join([]string{
		`{"file":"Patient.ndjson","line":7,"resourceType":"Patient","error":"e","resource":{"resourceType":"Patient","id":"p"}}`,
		`{"file":"Observation.ndjson","line":2,"resourceType":"Observation","error":"e","raw":"{bad"}`,
		`{"file":"Patient.ndjson","line":9,"resourceType":"Patient","error":"too long"}`,
		`{"resourceType":"Patient","id":"q"}`,
	}, "\n")+"\n")
	if !IsFailureLog(log) {
		t.Fatal("IsFailureLog: false")
	}
	files, err = FailureLog{Path: log}.List(context.Background())
	if err != nil || len(files) != 2 {
		t.Fatalf("List: %v, %v", files, err)
	}
	got := map[string][]string{}
	for _, f := range files {
		got[f.KnownType] = read(t, f, 1024)
	}
	wantLog := map[string][]string{
		"Observation": {"Observation.ndjson:2 {bad"},
		"Patient": {
			`Patient.ndjson:7 {"resourceType":"Patient","id":"p"}`,
			"Patient.ndjson:9 !" + ErrNotKept.Error() + " ",
			`failures.log [Patient]:3 !` + ErrNotRecord.Error() + ` {"resourceType":"Patient","id":"q"}`,
		},
	}
	if diff := cmp.Diff(wantLog, got); diff != "" {
		t.Errorf("failure log (-want +got):\n%s", diff)
	}
}
