package bundle

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhirtype"
	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
	"github.com/minio-to-fhir/minio-to-fhir/internal/refs"
	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// Options tune Expand.
type Options struct {
	// TempDir holds the spool, as large as the Bundles' resources in
	// compact JSON; "" is the system's temporary folder.
	TempDir string
}

// Result is an input with its Bundle files replaced by spool files.
type Result struct {
	// Files are the NDJSON files as they were, the Bundle files that
	// cannot be read (with Err set: refused), and one spool file per
	// resource type of the Bundles.
	Files []source.File
	Stats Stats
	// Read names each Bundle file read (and each NDJSON file of Bundles)
	// with the first resource written from it, as Type/id ("" when it
	// gave none): what a record of a finished load keeps of it.
	Read map[string]string
	dir  string
}

// Close removes the spool.
func (r *Result) Close() error {
	if r == nil || r.dir == "" {
		return nil
	}
	return os.RemoveAll(r.dir)
}

// SpoolName is the name of the spool file of a type, as the plan and the
// progress lines show it.
func SpoolName(typ string) string { return "Bundle entries [" + typ + "]" }

// refusedType is the type under which a refusal with no known type
// (an unknown resourceType, a broken file) is planned: it is not sent,
// and needs only a step to be counted in (as a replayed failure log does).
const refusedType = "Basic"

// Expand reads the Bundle files among files (origin.IsBundleFile) and
// returns the input with them replaced by spool files. Without any, it
// returns files as they are. Close the Result to remove the spool.
func Expand(ctx context.Context, files []source.File, opts Options) (*Result, error) {
	res := &Result{Stats: Stats{NotWritten: map[string]int{}}}
	var bundles []source.File
	for _, f := range files {
		if f.Err == nil && f.KnownType == "" && (origin.IsBundleFile(f.Name) || bundleLines(ctx, f)) {
			bundles = append(bundles, f)
		} else {
			res.Files = append(res.Files, f)
		}
	}
	if len(bundles) == 0 {
		res.Files = files
		return res, nil
	}
	dir, err := os.MkdirTemp(opts.TempDir, "minio-to-fhir-bundles-")
	if err != nil {
		return nil, fmt.Errorf("spool for Bundle entries: %w", err)
	}
	res.dir = dir
	res.Read = make(map[string]string, len(bundles))
	for _, f := range bundles {
		res.Read[f.Name] = ""
	}
	x := &expander{res: res, st: &res.Stats, urls: newURLs(), dir: dir, out: map[string]*spoolOut{}}
	if err := x.run(ctx, bundles); err != nil {
		res.Close()
		return nil, err
	}
	return res, nil
}

// expander is the state of one Expand.
type expander struct {
	res  *Result
	st   *Stats
	urls *urls
	dir  string
	out  map[string]*spoolOut
	buf  bytes.Buffer
	line []byte
}

// spoolOut is the spool file of one type.
type spoolOut struct {
	path string
	f    *os.File
	w    *bufio.Writer
	size int64
}

// fileInfo is what the index pass found out about a file.
type fileInfo struct {
	unpack bool  // a Bundle whose entries are written; else one resource
	err    error // refused whole
	skip   bool  // not FHIR: warned and left out
}

func (x *expander) run(ctx context.Context, bundles []source.File) error {
	var infos []fileInfo
	k := 0
	err := x.each(ctx, bundles, func(f source.File, _ error) error {
		info, err := x.index(ctx, k, f)
		infos = append(infos, info)
		k++
		return err
	})
	if err != nil {
		return err
	}
	x.st.FullURLs = x.urls.len()
	for _, f := range bundles {
		if !origin.IsBundleFile(f.Name) {
			x.st.Files++ // an NDJSON file of Bundles
		}
	}
	k = 0
	err = x.each(ctx, bundles, func(f source.File, lineErr error) error {
		info := infos[k]
		k++
		line := !origin.IsBundleFile(f.Name) // a Bundle on a line of an NDJSON file
		switch {
		case lineErr != nil:
			return x.write(refusedType, f.Name, 1, lineErr.Error(), nil)
		case info.skip && line:
			return x.write(refusedType, f.Name, 1, "not a FHIR resource or Bundle", nil)
		case info.skip:
			return nil
		case info.err != nil && line:
			return x.write(refusedType, f.Name, 1, info.err.Error(), nil)
		case info.err != nil:
			f.Err = info.err
			x.res.Files = append(x.res.Files, f)
			return nil
		}
		if !line {
			x.st.Files++
		}
		return x.spool(ctx, k-1, f, info)
	})
	if err != nil {
		return err
	}
	return x.finish(bundles)
}

// each calls fn with each Bundle to read, in input order: a Bundle file
// as it is, and each line of an NDJSON file of Bundles as a File of its
// own, named origin.BundleLine (lineErr set for a line that cannot be
// read).
func (x *expander) each(ctx context.Context, bundles []source.File, fn func(f source.File, lineErr error) error) error {
	for _, f := range bundles {
		if origin.IsBundleFile(f.Name) {
			if err := fn(f, nil); err != nil {
				return err
			}
			continue
		}
		if err := eachLine(ctx, f, fn); err != nil {
			return err
		}
	}
	return nil
}

// storedWhole says which Bundle types are resources to store, not
// entries to unpack: a document or a message is one thing.
func storedWhole(bundleType string) bool { return bundleType == "document" || bundleType == "message" }

// index is the first pass over a file: what it is, and the fullUrl of
// each entry that will be written.
func (x *expander) index(ctx context.Context, bundle int, f source.File) (fileInfo, error) {
	rc, err := source.OpenNDJSON(ctx, f)
	if err != nil {
		return fileInfo{err: err}, nil
	}
	defer rc.Close()
	var t top
	err = walk(ctx, rc, &t, func(_ int, raw json.RawMessage) error {
		if e, d := decide(raw); d.act == write {
			x.urls.add(bundle, e.FullURL, d.typ, d.id)
		}
		return nil
	})
	if ctx.Err() != nil {
		return fileInfo{}, ctx.Err()
	}
	var we *walkError
	switch {
	case errors.As(err, &we):
		return fileInfo{unpack: true}, nil // spool refuses what follows the break
	case errors.Is(err, errNotObject):
		x.skipped(f, "JSON, but not a FHIR resource or Bundle (not an object)")
		return fileInfo{skip: true}, nil
	case err != nil:
		return fileInfo{err: fmt.Errorf("not valid JSON: %w", err)}, nil
	case t.resourceType == "":
		x.skipped(f, "JSON, but not a FHIR resource or Bundle (no resourceType)")
		return fileInfo{skip: true}, nil
	case !fhirtype.Known(t.resourceType):
		x.skipped(f, fmt.Sprintf("JSON, but not a FHIR resource or Bundle (resourceType %q is not a FHIR R4 type)", t.resourceType))
		return fileInfo{skip: true}, nil
	case t.resourceType != "Bundle" && !t.has("id"):
		// Such as a bulk export's parameters.json (the Parameters of its
		// $import request): no data to load by id, and no failure either.
		x.skipped(f, fmt.Sprintf("a %s resource with no id, so nothing to write it under", t.resourceType))
		return fileInfo{skip: true}, nil
	case t.resourceType != "Bundle":
		return fileInfo{}, nil
	case len(t.bundleType) > len("-response") && t.bundleType[len(t.bundleType)-len("-response"):] == "-response":
		return fileInfo{err: fmt.Errorf("a %s Bundle is a server's answer to a request, not data to load: give the Bundle that was sent", t.bundleType)}, nil
	}
	return fileInfo{unpack: !storedWhole(t.bundleType)}, nil
}

func (x *expander) skipped(f source.File, why string) {
	x.st.NotFHIR = append(x.st.NotFHIR, NotFHIR{File: f.Name, Why: why})
}

// spool is the second pass over a file: its entries to the spool files.
func (x *expander) spool(ctx context.Context, bundle int, f source.File, info fileInfo) error {
	rc, err := source.OpenNDJSON(ctx, f)
	if err != nil {
		return x.write(refusedType, f.Name, 1, "cannot read the file again: "+err.Error(), nil)
	}
	defer rc.Close()
	t := top{keepAll: !info.unpack} // a document whose type comes after its entries too
	var werr error
	lookup := func(ref string) (string, bool) { return x.urls.lookup(bundle, ref) }
	err = walk(ctx, rc, &t, func(n int, raw json.RawMessage) error {
		if !info.unpack {
			return nil
		}
		werr = x.entry(f.Name, n, raw, lookup)
		return werr
	})
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case werr != nil:
		return werr
	}
	if info.unpack {
		x.st.Bundles++
		var we *walkError
		switch {
		case errors.As(err, &we):
			msg := fmt.Sprintf("the file is cut short or broken after entry %d: %v; the entries before it are read", we.afterEntry, we.err)
			return x.write(refusedType, f.Name, we.afterEntry+1, msg, nil)
		case err != nil: // it changed since the first pass
			return x.write(refusedType, f.Name, t.entries+1, fmt.Sprintf("cannot read the file again: %v", err), nil)
		}
		return nil
	}
	// One resource (or a document or message Bundle, stored as it is).
	obj, oerr := t.object()
	if oerr != nil || err != nil {
		return x.write(refusedType, f.Name, 1, fmt.Sprintf("cannot read the resource again: %v", errors.Join(err, oerr)), nil)
	}
	x.st.Entries++
	return x.put(f.Name, 1, obj, decideResource(entry{}, obj), lookup)
}

// entry spools one Bundle entry.
func (x *expander) entry(file string, n int, raw json.RawMessage, lookup func(string) (string, bool)) error {
	x.st.Entries++
	e, d := decide(raw)
	if e.Request.IfNoneExist != "" {
		x.st.IfNoneExist++
	}
	switch d.act {
	case skip:
		x.st.NotWritten[d.reason]++
		if len(x.st.NotWrittenExamples) < maxExamples {
			what := d.reason
			if e.Request.URL != "" {
				what += " " + e.Request.URL
			}
			x.st.NotWrittenExamples = append(x.st.NotWrittenExamples, origin.At(file, n)+" ("+what+")")
		}
		return nil
	case refuse:
		data := e.Resource
		if len(data) == 0 {
			data = raw
		}
		return x.write(typeOr(d.typ), file, n, d.reason, x.compact(data))
	}
	return x.put(file, n, e.Resource, d, lookup)
}

// put spools a resource decided to be written, or refused.
func (x *expander) put(file string, n int, res []byte, d decision, lookup func(string) (string, bool)) error {
	if d.act != write {
		return x.write(typeOr(d.typ), file, n, d.reason, x.compact(res))
	}
	out := x.compact(res)
	if !refs.Opaque(d.typ) {
		var k int
		out, k = rewrite(nil, out, lookup)
		x.st.Rewritten += k
	}
	if d.addID {
		out = withID(nil, out, d.id)
		x.st.IDsFromURL++
	}
	x.st.Resources++
	if x.res.Read[file] == "" {
		x.res.Read[file] = d.typ + "/" + d.id
	}
	return x.write(d.typ, file, n, "", out)
}

// compact returns b as compact JSON (in a buffer reused by the next call),
// or as it is when it is not valid JSON.
func (x *expander) compact(b []byte) []byte {
	x.buf.Reset()
	if err := json.Compact(&x.buf, b); err != nil {
		return b
	}
	return x.buf.Bytes()
}

func typeOr(typ string) string {
	if fhirtype.Known(typ) {
		return typ
	}
	return refusedType
}

// write appends one line to the spool of typ.
func (x *expander) write(typ, file string, n int, errMsg string, data []byte) error {
	if errMsg != "" {
		x.st.Refused++
	}
	o := x.out[typ]
	if o == nil {
		o = &spoolOut{path: filepath.Join(x.dir, typ+".ndjson")}
		f, err := os.Create(o.path)
		if err != nil {
			return fmt.Errorf("spool for Bundle entries: %w", err)
		}
		o.f, o.w = f, bufio.NewWriterSize(f, 64<<10)
		x.out[typ] = o
	}
	x.line = source.AppendSpoolLine(x.line[:0], file, n, errMsg, data)
	o.size += int64(len(x.line))
	if _, err := o.w.Write(x.line); err != nil {
		return fmt.Errorf("spool for Bundle entries: %w", err)
	}
	return nil
}

// finish closes the spool files and lists them as inputs.
func (x *expander) finish(bundles []source.File) error {
	h := sha256.New()
	for _, f := range bundles {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", f.Name, f.Size, f.Version)
	}
	version := "bundles-" + hex.EncodeToString(h.Sum(nil))[:16]
	types := make([]string, 0, len(x.out))
	for t, o := range x.out {
		types = append(types, t)
		err := o.w.Flush()
		if cerr := o.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("spool for Bundle entries: %w", err)
		}
	}
	sort.Strings(types)
	for _, t := range types {
		path := x.out[t].path
		x.res.Files = append(x.res.Files, source.SpoolFile(SpoolName(t), x.out[t].size, version+"-"+strconv.FormatInt(x.out[t].size, 10), t,
			func(context.Context) (io.ReadCloser, error) { return os.Open(path) }))
	}
	return nil
}
