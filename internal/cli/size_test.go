package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"1000", 1000, true},
		{"4MiB", 4 << 20, true},
		{"4mib", 4 << 20, true},
		{"512 KiB", 512 << 10, true},
		{"8M", 8 << 20, true},
		{"2MB", 2000000, true},
		{"1G", 1 << 30, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-1", 0, false},
		{"1.5MiB", 0, false},
		{"99999999GiB", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseSize(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("parseSize(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// TestUploadLimits: the Bundle limits and waits come from flags or the
// environment, and bad values are usage errors that name the setting.
func TestUploadLimits(t *testing.T) {
	tests := []struct {
		name      string
		flags     []string
		env       map[string]string
		wantCode  int
		wantInErr string
	}{
		{"defaults", nil, nil, ExitFatal, "no NDJSON files"},
		{"flags", []string{"--batch-bytes", "512KiB", "--batch-refs", "50", "--timeout", "1s", "--timeout-max", "2s"}, nil, ExitFatal, "no NDJSON files"},
		{"environment", nil, map[string]string{"BATCH_BYTES": "8MiB", "BATCH_REFS": "200"}, ExitFatal, "no NDJSON files"},
		{"bytes not a size", []string{"--batch-bytes", "lots"}, nil, ExitUsage, "--batch-bytes or BATCH_BYTES"},
		{"bytes too small", nil, map[string]string{"BATCH_BYTES": "100"}, ExitUsage, "--batch-bytes or BATCH_BYTES"},
		{"references zero", []string{"--batch-refs", "0"}, nil, ExitUsage, "--batch-refs or BATCH_REFS"},
		{"references not a number", nil, map[string]string{"BATCH_REFS": "many"}, ExitUsage, "BATCH_REFS"},
		{"max below the floor", []string{"--timeout", "10m", "--timeout-max", "1m"}, nil, ExitUsage, "--timeout-max"},
	}
	srv := fakeFHIR(t)
	defer srv.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append([]string{"upload", "-i", t.TempDir(), "--fhir-url", srv.URL + "/fhir", "--checkpoint-dir", t.TempDir()}, tc.flags...)
			lookup := func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }
			code := RunEnv(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Lookup: lookup})
			if code != tc.wantCode || !strings.Contains(errb.String(), tc.wantInErr) {
				t.Errorf("exit %d, want %d with %q in:\n%s", code, tc.wantCode, tc.wantInErr, errb.String())
			}
		})
	}
}

// TestUploadDefaultsAreTheTransferDefaults checks that an upload with no
// setting takes the Bundle limits of package transfer, and that the help
// states them.
func TestUploadDefaultsAreTheTransferDefaults(t *testing.T) {
	var o uploadOptions
	fs := newFlagSet("upload")
	o.bind(fs)
	if err := fs.Parse([]string{"-i", t.TempDir(), "--fhir-url", "http://127.0.0.1:1/fhir", "--env-file", "/dev/null"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := o.resolve(Env{Lookup: func(string) (string, bool) { return "", false }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		got, want int
		help      string
	}{
		{"batch size", cfg.batchSize, defaults.BatchSize, fmt.Sprintf("[BATCH_SIZE, default %d]", defaults.BatchSize)},
		{"batch bytes", cfg.bytes, defaults.BatchBytes, fmt.Sprintf("[BATCH_BYTES, default %dMiB]", defaults.BatchBytes>>20)},
		{"batch refs", cfg.batchRefs, defaults.BatchRefs, fmt.Sprintf("[BATCH_REFS, default %d]", defaults.BatchRefs)},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s: got %d, want %d", tc.name, tc.got, tc.want)
		}
		if !strings.Contains(uploadUsage, tc.help) {
			t.Errorf("%s: the help does not say %q", tc.name, tc.help)
		}
	}
}
