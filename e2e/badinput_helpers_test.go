//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
	"github.com/minio-to-fhir/minio-to-fhir/tools/testbed"
)

// corpus is a copy of testdata/badinput with this run's ids.
type corpus struct {
	dir string
	id  string // replaces @ID@: the prefix of every id
	num string // replaces @NUM@: a purely numeric id
	// gzLines are the lines of the truncated .gz that a reader gets
	// before the gzip stream breaks off.
	gzLines int
}

// copyCorpus copies testdata/badinput into dir with unique ids, and makes
// what cannot be committed: the truncated .gz from its .txt source, a
// folder named x.ndjson, a symbolic link loop, a folder link loop.
func copyCorpus(t *testing.T, dir string) *corpus {
	t.Helper()
	root, err := testbed.RepoRoot()
	must(t, err)
	src := filepath.Join(root, "testdata", "badinput")
	c := &corpus{dir: dir, id: randomID(t), num: fmt.Sprint(100000000 + rand.IntN(800000000))}
	entries, err := os.ReadDir(src)
	must(t, err)
	must(t, os.MkdirAll(dir, 0o755))
	for _, e := range entries {
		name := e.Name()
		if name == "README.md" || strings.HasPrefix(name, ".") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, name))
		must(t, err)
		data = bytes.ReplaceAll(data, []byte("@ID@"), []byte(c.id))
		data = bytes.ReplaceAll(data, []byte("@NUM@"), []byte(c.num))
		if strings.HasSuffix(name, ".gz.txt") {
			name = strings.TrimSuffix(name, ".txt")
			data, c.gzLines = truncatedGzip(t, data)
		}
		must(t, os.WriteFile(filepath.Join(dir, name), data, 0o644))
	}
	must(t, os.Mkdir(filepath.Join(dir, "x.ndjson"), 0o755))
	must(t, os.Symlink("loop.ndjson", filepath.Join(dir, "loop.ndjson")))
	must(t, os.Mkdir(filepath.Join(dir, "sub"), 0o755))
	must(t, os.Symlink("..", filepath.Join(dir, "sub", "up")))
	return c
}

// truncatedGzip gzips data and cuts the stream at two thirds; it returns
// the cut stream and how many whole lines a reader gets from it.
func truncatedGzip(t *testing.T, data []byte) ([]byte, int) {
	t.Helper()
	var z bytes.Buffer
	zw, err := gzip.NewWriterLevel(&z, gzip.BestSpeed)
	must(t, err)
	// Small flushed pieces, so that the cut stream still gives lines.
	for len(data) > 0 {
		n := min(1024, len(data))
		_, err := zw.Write(data[:n])
		must(t, err)
		must(t, zw.Flush())
		data = data[n:]
	}
	must(t, zw.Close())
	cut := z.Bytes()[:z.Len()*2/3]
	zr, err := gzip.NewReader(bytes.NewReader(cut))
	must(t, err)
	got, err := io.ReadAll(zr)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("the cut gzip stream reads with %v, want unexpected EOF", err)
	}
	return cut, bytes.Count(got, []byte("\n"))
}

// readFailures reads the failure log: "file:line" -> record.
func readFailures(t *testing.T, path string) map[string]transfer.Failure {
	t.Helper()
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	out := map[string]transfer.Failure{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 512<<20)
	for sc.Scan() {
		var rec transfer.Failure
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("failure log line is not JSON: %v: %.200s", err, sc.Bytes())
		}
		out[fmt.Sprintf("%s:%d", rec.File, rec.Line)] = rec
	}
	must(t, sc.Err())
	return out
}

// stderrLine returns the first line of stderr that holds every part, or "".
func stderrLine(stderr string, parts ...string) string {
	for _, line := range strings.Split(stderr, "\n") {
		ok := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				ok = false
				break
			}
		}
		if ok {
			return line
		}
	}
	return ""
}
