package bucket

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalPath(t *testing.T) {
	tests := []struct {
		name string
		rel  string
		want string // "" means refused
	}{
		{"plain", "Patient.000.ndjson", "Patient.000.ndjson"},
		{"nested", "a/b/Observation.ndjson.gz", filepath.Join("a", "b", "Observation.ndjson.gz")},
		{"dots inside a name", "a/.../x..ndjson", filepath.Join("a", "...", "x..ndjson")},
		{"space", "a/ x.ndjson", filepath.Join("a", " x.ndjson")},
		{"empty", "", ""},
		{"parent", "../x.ndjson", ""},
		{"deep parent", "../../etc/x.ndjson", ""},
		{"parent after cleaning", "a/../../x.ndjson", ""},
		{"parent inside", "a/../x.ndjson", ""},
		{"trailing parent", "a/..", ""},
		{"dot", "./x.ndjson", ""},
		{"absolute", "/etc/x.ndjson", ""},
		{"double slash", "a//x.ndjson", ""},
		{"trailing slash", "a/", ""},
		{"nul", "a\x00.ndjson", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := localPath(tt.rel)
			if tt.want == "" {
				if !errors.Is(err, ErrUnsafePath) {
					t.Errorf("localPath(%q) = %q, %v; want ErrUnsafePath", tt.rel, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("localPath(%q) = %q, %v; want %q, nil", tt.rel, got, err, tt.want)
			}
		})
	}
}

func TestCheckFolders(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "real", "deep"))
	mustSymlink(t, outside, filepath.Join(dir, "out"))
	mustSymlink(t, filepath.Join(dir, "real"), filepath.Join(dir, "in"))
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = root.Close() }()
	tests := []struct {
		name   string
		p      string
		ok     bool
		unsafe bool
	}{
		{"top level", "x.ndjson", true, false},
		{"existing folders", filepath.Join("real", "deep", "x.ndjson"), true, false},
		{"new folders", filepath.Join("real", "new", "more", "x.ndjson"), true, false},
		{"link out", filepath.Join("out", "x.ndjson"), false, true},
		{"link in", filepath.Join("in", "x.ndjson"), false, true},
		{"file in the way", filepath.Join("file", "x.ndjson"), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkFolders(root, tt.p)
			if got := err == nil; got != tt.ok {
				t.Fatalf("checkFolders(%q) = %v, want ok=%v", tt.p, err, tt.ok)
			}
			if got := errors.Is(err, ErrUnsafePath); got != tt.unsafe {
				t.Errorf("errors.Is(%v, ErrUnsafePath) = %v, want %v", err, got, tt.unsafe)
			}
		})
	}
}

func mustMkdir(t *testing.T, p string) {
	t.Helper()
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
