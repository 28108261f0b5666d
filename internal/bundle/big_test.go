package bundle

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
	"github.com/minio-to-fhir/minio-to-fhir/tools/heapwatch"
)

// bigBundle is a transaction Bundle of about size bytes, made as it is
// read: a Patient, then Observations that reference it by its fullUrl.
type bigBundle struct {
	size, n int64
	pad     string
	buf     []byte
	done    bool
}

func newBigBundle(size int64) *bigBundle {
	return &bigBundle{size: size, pad: strings.Repeat("x", 800),
		buf: []byte(`{"resourceType":"Bundle","type":"transaction","entry":[` +
			`{"fullUrl":"urn:uuid:big-patient","resource":{"resourceType":"Patient","id":"big-patient"},"request":{"method":"POST","url":"Patient"}}`)}
}

func (b *bigBundle) Read(p []byte) (int, error) {
	for len(b.buf) == 0 {
		if b.done {
			return 0, io.EOF
		}
		if b.n >= b.size {
			b.buf, b.done = []byte("]}\n"), true
			break
		}
		e := fmt.Sprintf(`,{"fullUrl":"urn:uuid:big-%d","resource":{"resourceType":"Observation","id":"big-%d","subject":{"reference":"urn:uuid:big-patient"},"valueString":"%s"},"request":{"method":"POST","url":"Observation"}}`, b.n, b.n, b.pad)
		b.n += int64(len(e))
		b.buf = []byte(e)
	}
	n := copy(p, b.buf)
	b.buf = b.buf[n:]
	return n, nil
}

func (b *bigBundle) Close() error { return nil }

// bigFile is a Bundle file of about size bytes that is never on disk.
func bigFile(size int64) source.File {
	return source.File{Name: "big.json", Size: size, Version: "1",
		Open: func(context.Context) (io.ReadCloser, error) { return newBigBundle(size), nil }}
}

// TestExpandBoundedMemory streams a Bundle of 16 MiB: the heap stays far
// below its size (the entries are read one at a time; what grows is the
// fullUrl map, about 30 bytes an entry). BenchmarkExpand1GiB does the
// same with 1 GiB.
func TestExpandBoundedMemory(t *testing.T) {
	const size = 16 << 20
	var res *Result
	var err error
	peak := heapwatch.Peak(func() {
		res, err = Expand(context.Background(), []source.File{bigFile(size)}, Options{TempDir: t.TempDir()})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if res.Stats.Resources < 15000 || res.Stats.Refused != 0 || res.Stats.Rewritten != res.Stats.Resources-1 {
		t.Errorf("stats %+v: want over 15,000 resources, none refused, one reference rewritten in each Observation", res.Stats)
	}
	if peak > size/2 {
		t.Errorf("live heap peaked at %.1f MiB for a Bundle of %d MiB; want at most half of it", float64(peak)/(1<<20), size>>20)
	}
	t.Logf("%d entries, live heap at most %.1f MiB", res.Stats.Entries, float64(peak)/(1<<20))
}

// TestURLsMemory measures the fullUrl map: what it costs an entry.
func TestURLsMemory(t *testing.T) {
	const n = 200000
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	u := newURLs()
	for i := range n {
		id := fmt.Sprintf("0b6e6254-1d8b-4bd8-83e1-%012d", i)
		u.add(0, "urn:uuid:"+id, "Observation", id)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	per := float64(after.HeapInuse-before.HeapInuse) / n
	if u.len() != n || per > 48 {
		t.Errorf("%d fullUrls, %.1f bytes each; want %d, at most 48", u.len(), per, n)
	}
	t.Logf("%.1f bytes a fullUrl", per)
	runtime.KeepAlive(u)
}

// BenchmarkExpand1GiB streams a Bundle of 1 GiB (made as it is read, the
// spool written to the temporary folder) and reports the heap's peak.
func BenchmarkExpand1GiB(b *testing.B) {
	for range b.N {
		var res *Result
		var err error
		peak := heapwatch.Peak(func() {
			res, err = Expand(context.Background(), []source.File{bigFile(1 << 30)}, Options{TempDir: b.TempDir()})
		})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(res.Stats.Entries), "entries")
		res.Close()
	}
}
