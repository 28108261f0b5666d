package synth

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

const samplesPerFile = 3

// kindResult is what writing one kind produced.
type kindResult struct {
	files   []File
	lines   int
	samples []string
}

// writeKind writes the lines of kind k (n in all) into its file or parts.
func writeKind(ctx context.Context, dir string, o *Options, k kind, n int) (kindResult, error) {
	fw := &fileWriter{dir: dir, o: o, k: k, parts: o.parts(k)}
	fw.perPart = (n + fw.parts - 1) / fw.parts
	defer fw.abort()
	if err := fw.next(); err != nil {
		return fw.res, err
	}
	g := newRenderer(o)
	key := hashOf(seedKey(o), 0x5f1e, uint64(k))
	if kinds[k].pool {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		shuffle(idx, key)
		for _, i := range idx {
			it := item{a: int32(i)}
			if err := fw.line(g.render(k, nil, it), ref{k: k, a: i}); err != nil {
				return fw.res, err
			}
		}
		return fw.res, fw.finish()
	}

	order := newPerm(o.Patients, key)
	plans := make([]plan, 0, 1024)
	items := make([]item, 0, o.ShuffleWindow+256)
	window := 0
	flush := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		shuffle(items, hashOf(key, uint64(window)))
		window++
		for _, it := range items {
			pl := &plans[it.slot]
			self := ref{k: k, p: pl.p, a: int(it.a), b: int(it.b), c: int(it.c)}
			if err := fw.line(g.render(k, pl, it), self); err != nil {
				return err
			}
		}
		plans, items = plans[:0], items[:0]
		return nil
	}
	for i := range o.Patients {
		pl := planFor(o, order.at(i))
		if pl.count(k) == 0 {
			continue
		}
		plans = append(plans, pl)
		items = pl.appendItems(items, k, int32(len(plans)-1))
		if len(items) >= o.ShuffleWindow {
			if err := flush(); err != nil {
				return fw.res, err
			}
		}
	}
	if err := flush(); err != nil {
		return fw.res, err
	}
	return fw.res, fw.finish()
}

// fileWriter writes the lines of one kind into one file or several parts,
// each as name.partial, counting lines and bytes.
type fileWriter struct {
	dir     string
	o       *Options
	k       kind
	parts   int
	perPart int
	res     kindResult

	f    *os.File
	disk countWriter // counts bytes reaching the file
	buf  *bufio.Writer
	gz   *gzip.Writer
	out  io.Writer // where lines go: buf, or gz over buf
	cur  *File
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// next closes the current part, if any, and opens the next one.
func (fw *fileWriter) next() error {
	if err := fw.closePart(); err != nil {
		return err
	}
	info := kinds[fw.k]
	name := info.file
	part := 0
	if fw.parts > 1 {
		part = len(fw.res.files) + 1
		name += "_part" + strconv.Itoa(part)
	}
	name += ".ndjson"
	gz := fw.o.gzipped(fw.k)
	if gz {
		name += ".gz"
	}
	f, err := os.Create(filepath.Join(fw.dir, name+partialExt))
	if err != nil {
		return err
	}
	fw.res.files = append(fw.res.files, File{Name: name, Source: info.file, ResourceType: info.rtype, Part: part, Gzip: gz})
	fw.cur = &fw.res.files[len(fw.res.files)-1]
	fw.f = f
	fw.disk = countWriter{w: f}
	if fw.buf == nil {
		fw.buf = bufio.NewWriterSize(&fw.disk, 256<<10)
	} else {
		fw.buf.Reset(&fw.disk)
	}
	fw.out = fw.buf
	if gz {
		if fw.gz == nil {
			fw.gz, _ = gzip.NewWriterLevel(fw.buf, gzip.BestSpeed) // the level is valid
		} else {
			fw.gz.Reset(fw.buf)
		}
		fw.out = fw.gz
	}
	return nil
}

// line writes one resource and its newline.
func (fw *fileWriter) line(b []byte, self ref) error {
	if fw.cur.Lines >= fw.perPart && len(fw.res.files) < fw.parts {
		if err := fw.next(); err != nil {
			return err
		}
	}
	b = append(b, '\n') // the renderer's buffer has room or grows; it is reset per line
	if _, err := fw.out.Write(b); err != nil {
		return err
	}
	fw.cur.Lines++
	fw.cur.NDJSONBytes += int64(len(b))
	fw.res.lines++
	if fw.cur.Lines <= samplesPerFile {
		fw.res.samples = append(fw.res.samples, string(appendID(nil, fw.o.IDPrefix, self)))
	}
	return nil
}

// closePart flushes and closes the current part.
func (fw *fileWriter) closePart() error {
	if fw.f == nil {
		return nil
	}
	var err error
	if fw.gz != nil && fw.out == fw.gz {
		err = fw.gz.Close()
	}
	if ferr := fw.buf.Flush(); err == nil {
		err = ferr
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	fw.f = nil
	fw.cur.Bytes = fw.disk.n
	return err
}

// finish closes the last part and creates the parts that got no lines.
func (fw *fileWriter) finish() error {
	for len(fw.res.files) < fw.parts {
		if err := fw.next(); err != nil {
			return err
		}
	}
	return fw.closePart()
}

// abort closes an open part after an error; Generate removes the files.
func (fw *fileWriter) abort() {
	if fw.f != nil {
		_ = fw.f.Close() // the run failed already
		fw.f = nil
	}
}
