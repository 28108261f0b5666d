package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/tools/synth"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"no output dir", []string{"-patients", "2"}, "-o DIR is required"},
		{"gzip twice", []string{"-o", dir, "-gzip-some", "-gzip-all"}, "exclude each other"},
		{"patients and resources", []string{"-o", dir, "-patients", "2", "-resources", "100"}, "only one of"},
		{"bad size", []string{"-o", dir, "-size", "lots"}, "-size"},
		{"one part", []string{"-o", dir, "-parts", "1"}, "-parts"},
		{"extra argument", []string{"-o", dir, "more"}, "unexpected argument"},
		{"unknown flag", []string{"-o", dir, "-nope"}, "flag provided but not defined"},
		{"invalid option", []string{"-o", filepath.Join(dir, "x"), "-patients", "0"}, "patients must be at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tc.args...)
			wantCode := exitUsage
			if code != wantCode || !strings.Contains(stderr, tc.want) {
				t.Errorf("got exit %d and stderr %q, want %d and %q", code, stderr, wantCode, tc.want)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, _, stderr := runCLI(t, "-h")
	if code != exitOK || !strings.Contains(stderr, "usage: fhirgen") || !strings.Contains(stderr, "-split-parts") {
		t.Errorf("got exit %d and stderr %q, want 0 and the usage", code, stderr)
	}
}

func TestGenerateAndForce(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCLI(t, "-o", dir, "-patients", "3", "-seed", "9", "-gzip-some", "-split-parts")
	if code != exitOK {
		t.Fatalf("got exit %d, stderr %q", code, stderr)
	}
	if !strings.Contains(stdout, "wrote ") || !strings.Contains(stdout, "of 3 patients") {
		t.Errorf("stdout %q has no summary", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "MimicObservationLabevents_part3.ndjson.gz")); err != nil {
		t.Errorf("no third labevents part: %v", err)
	}

	code, _, stderr = runCLI(t, "-o", dir, "-patients", "3")
	if code != exitFatal || !strings.Contains(stderr, "-force") {
		t.Errorf("second run: got exit %d and stderr %q, want %d and a hint to -force", code, stderr, exitFatal)
	}

	code, stdout, stderr = runCLI(t, "-o", dir, "-patients", "2", "-force", "-json")
	if code != exitOK {
		t.Fatalf("-force: got exit %d, stderr %q", code, stderr)
	}
	var m synth.Manifest
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("-json printed no manifest: %v", err)
	}
	if m.Options.Patients != 2 || len(m.Files) != 30 {
		t.Errorf("got %d patients in %d files, want 2 in 30 (the old parts removed)", m.Options.Patients, len(m.Files))
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 31 {
		t.Errorf("directory holds %d entries, want 30 files and manifest.json", len(entries))
	}
}

func TestResourcesAndSize(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		min, max int
	}{
		{[]string{"-resources", "3000", "-q"}, 13, 17},
		{[]string{"-size", "1.3MB", "-q"}, 13, 17},
	} {
		dir := t.TempDir()
		code, stdout, stderr := runCLI(t, append([]string{"-o", dir}, tc.args...)...)
		if code != exitOK || stdout != "" {
			t.Fatalf("%v: got exit %d, stdout %q, stderr %q; want 0 and silence", tc.args, code, stdout, stderr)
		}
		m, err := synth.ReadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		if p := m.Options.Patients; p < tc.min || p > tc.max {
			t.Errorf("%v: got %d patients, want %d-%d", tc.args, p, tc.min, tc.max)
		}
	}
}

func TestInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if code := run(ctx, []string{"-o", t.TempDir(), "-patients", "5"}, &out, &errb); code != exitInterrupted {
		t.Errorf("got exit %d, want %d; stderr %q", code, exitInterrupted, errb.String())
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"": 0, "1500": 1500, "2k": 2000, "500MB": 500e6, "1GiB": 1 << 30, "1.5G": 1.5e9, "64 KiB": 64 << 10, "10b": 10,
	} {
		got, err := parseSize(in)
		if err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "-1", "0", "MB"} {
		if _, err := parseSize(in); err == nil {
			t.Errorf("parseSize(%q): no error", in)
		}
	}
}
