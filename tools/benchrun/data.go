package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// dataset is an input folder (or file) the benchmark uploads.
type dataset struct {
	Name      string
	Path      string
	Files     int
	Resources int
	Bytes     int64 // NDJSON bytes, uncompressed
	Disk      int64 // bytes on disk
	Note      string
}

// MB is the NDJSON size in MB (10^6 bytes).
func (d dataset) MB() float64 { return float64(d.Bytes) / 1e6 }

// fhirgen runs the generator and returns the data set it wrote.
func fhirgen(ctx context.Context, bin, dir string, args ...string) (dataset, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"-o", dir, "-force", "-q"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return dataset{}, fmt.Errorf("fhirgen %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return dataset{}, err
	}
	var m struct {
		Files       []json.RawMessage `json:"files"`
		Resources   int               `json:"resources"`
		Bytes       int64             `json:"bytes"`
		NDJSONBytes int64             `json:"ndjsonBytes"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return dataset{}, fmt.Errorf("fhirgen manifest: %w", err)
	}
	return dataset{Path: dir, Files: len(m.Files), Resources: m.Resources, Bytes: m.NDJSONBytes, Disk: m.Bytes}, nil
}

// measureDir counts the files, lines and bytes of an NDJSON folder.
func measureDir(dir string) (dataset, error) {
	d := dataset{Path: dir}
	paths, err := ndjsonFiles(dir)
	if err != nil {
		return d, err
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return d, err
		}
		d.Files++
		d.Disk += st.Size()
		err = eachLine(p, func(line []byte) error {
			d.Resources++
			d.Bytes += int64(len(line)) + 1
			return nil
		})
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

// ndjsonFiles lists the *.ndjson and *.ndjson.gz files of dir (or dir
// itself when it is a file), sorted.
func ndjsonFiles(dir string) ([]string, error) {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return []string{dir}, nil
	}
	var out []string
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && (strings.HasSuffix(p, ".ndjson") || strings.HasSuffix(p, ".ndjson.gz")) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// eachLine calls fn with every non-blank line of an NDJSON file (gzip
// or not); the line is valid during the call only.
func eachLine(path string, fn func(line []byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return fmt.Errorf("%s: a line over 1 MiB", path)
		}
		if l := bytes.TrimSpace(line); len(l) > 0 {
			if ferr := fn(l); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// singleFile writes one NDJSON file of size bytes (the last line may end
// past it) from the lines of the src files: the first round as they are, each further round with the resource ids prefixed "rN-" so
// that every line is a new resource.
func singleFile(dst string, src []string, size int64) (dataset, error) {
	f, err := os.Create(dst)
	if err != nil {
		return dataset{}, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	d := dataset{Path: dst, Files: 1}
	errFull := errors.New("full")
	for round := 0; d.Bytes < size; round++ {
		for _, p := range src {
			err := eachLine(p, func(line []byte) error {
				if round > 0 {
					line = prefixID(line, fmt.Sprintf("r%d-", round))
				}
				bw.Write(line)
				bw.WriteByte('\n')
				d.Resources++
				d.Bytes += int64(len(line)) + 1
				if d.Bytes >= size {
					return errFull
				}
				return nil
			})
			if err == errFull {
				break
			}
			if err != nil {
				f.Close()
				return d, err
			}
		}
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return d, err
	}
	d.Disk = d.Bytes
	return d, f.Close()
}

// prefixID puts p before the resource's id: the first "id" key of a
// generated line is the resource's own (it follows resourceType).
func prefixID(line []byte, p string) []byte {
	const key = `"id":"`
	i := bytes.Index(line, []byte(key))
	if i < 0 || i > 64 {
		return line
	}
	i += len(key)
	out := make([]byte, 0, len(line)+len(p))
	out = append(out, line[:i]...)
	out = append(out, p...)
	return append(out, line[i:]...)
}

// splitFiles writes the lines of the files of src into about n small
// files in dst, each source file's share in proportion to its lines (at
// least one file), keeping the name's stem (so the type still comes from
// the name).
func splitFiles(src, dst string, n int) (dataset, error) {
	d := dataset{Path: dst}
	paths, err := ndjsonFiles(src)
	if err != nil {
		return d, err
	}
	counts := make([]int, len(paths))
	total := 0
	for i, p := range paths {
		if err := eachLine(p, func([]byte) error { counts[i]++; return nil }); err != nil {
			return d, err
		}
		total += counts[i]
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return d, err
	}
	for i, p := range paths {
		parts := max(1, int(float64(counts[i])*float64(n)/float64(max(total, 1))+0.5))
		parts = min(parts, max(counts[i], 1))
		if err := splitFile(p, dst, counts[i], parts, &d); err != nil {
			return d, err
		}
	}
	d.Disk = d.Bytes
	return d, nil
}

// splitFile writes the lines of p into parts files of about equal lines.
func splitFile(p, dst string, lines, parts int, d *dataset) error {
	stem := strings.TrimSuffix(filepath.Base(p), ".ndjson")
	var w *bufio.Writer
	var f *os.File
	closeCur := func() error {
		if w == nil {
			return nil
		}
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		w = nil
		return f.Close()
	}
	line, part := 0, 0
	err := eachLine(p, func(l []byte) error {
		// Line i goes to part i*parts/lines: parts differ by one line at most.
		if want := line * parts / lines; w == nil || want >= part {
			if err := closeCur(); err != nil {
				return err
			}
			part = want + 1
			var err error
			if f, err = os.Create(filepath.Join(dst, fmt.Sprintf("%s_part%05d.ndjson", stem, part))); err != nil {
				return err
			}
			w = bufio.NewWriterSize(f, 64<<10)
			d.Files++
		}
		w.Write(l)
		w.WriteByte('\n')
		line++
		d.Resources++
		d.Bytes += int64(len(l)) + 1
		return nil
	})
	if cerr := closeCur(); err == nil {
		err = cerr
	}
	return err
}

// syntheaCopies writes copies of a Synthea bulk export (one file per
// type) until about size bytes: copy k changes every UUID in the data the
// same way (its first 8 hex digits), so ids stay unique and references
// still point at their copy's resources.
func syntheaCopies(src, dst string, size int64) (dataset, error) {
	d := dataset{Path: dst}
	paths, err := ndjsonFiles(src)
	if err != nil || len(paths) == 0 {
		return d, fmt.Errorf("synthea sample %s: %d files, %v", src, len(paths), err)
	}
	one, err := measureDir(src)
	if err != nil {
		return d, err
	}
	copies := int(max(1, (size+one.Bytes-1)/one.Bytes))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return d, err
	}
	for _, p := range paths {
		// The copies are written plain, whether the sample is compressed or not.
		f, err := os.Create(filepath.Join(dst, strings.TrimSuffix(filepath.Base(p), ".gz")))
		if err != nil {
			return d, err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		for k := range copies {
			err = eachLine(p, func(line []byte) error {
				line = mapUUIDs(line, uint32(k))
				bw.Write(line)
				bw.WriteByte('\n')
				d.Resources++
				d.Bytes += int64(len(line)) + 1
				return nil
			})
			if err != nil {
				break
			}
		}
		if ferr := bw.Flush(); err == nil {
			err = ferr
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return d, err
		}
		d.Files++
	}
	d.Disk = d.Bytes
	d.Note = fmt.Sprintf("%d copies of %s", copies, filepath.Base(src))
	return d, nil
}

// mapUUIDs returns line with the first 8 hex digits of every UUID
// (8-4-4-4-12 lowercase hex) XORed with a value of k; k 0 keeps the line.
func mapUUIDs(line []byte, k uint32) []byte {
	if k == 0 {
		return line
	}
	out := append([]byte(nil), line...)
	x := k * 0x9E3779B1
	for i := 0; i+36 <= len(out); i++ {
		if !isUUID(out[i : i+36]) {
			continue
		}
		var v [4]byte
		if _, err := hex.Decode(v[:], out[i:i+8]); err != nil {
			continue
		}
		v[0] ^= byte(x >> 24)
		v[1] ^= byte(x >> 16)
		v[2] ^= byte(x >> 8)
		v[3] ^= byte(x)
		hex.Encode(out[i:i+8], v[:])
		i += 35
	}
	return out
}

func isUUID(b []byte) bool {
	for i, c := range b {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}
