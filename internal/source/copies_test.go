package source

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// TestCopies reads files through copies as an upload does (plan, then
// send): each is fetched once when the first read reaches its end, again
// when it stopped early, and the copies read back the same bytes.
func TestCopies(t *testing.T) {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write([]byte("{\"resourceType\":\"Patient\",\"id\":\"z\"}\n")); err != nil {
		t.Fatal(err)
	}
	zw.Close()
	contents := map[string][]byte{
		"a.ndjson":    []byte("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Patient\",\"id\":\"b\"}\n"),
		"z.ndjson.gz": gz.Bytes(),
	}
	fetches := map[string]int{}
	var files []File
	for _, name := range []string{"a.ndjson", "z.ndjson.gz"} {
		files = append(files, File{Name: name, Size: int64(len(contents[name])), Open: func(context.Context) (io.ReadCloser, error) {
			fetches[name]++
			return io.NopCloser(bytes.NewReader(contents[name])), nil
		}})
	}
	sp, err := NewCopies(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files = sp.Files(files)
	ctx := context.Background()
	for _, f := range files {
		first, second := read(t, f, 0), read(t, f, 0)
		if len(first) == 0 || len(first) != len(second) || first[0] != second[0] {
			t.Errorf("%s: read %q, then %q", f.Name, first, second)
		}
		if fetches[f.Name] != 1 {
			t.Errorf("%s fetched %d times, want 1", f.Name, fetches[f.Name])
		}
	}
	if got, want := sp.Bytes(), int64(len(contents["a.ndjson"])+len(contents["z.ndjson.gz"])); got != want {
		t.Errorf("the copies hold %d bytes, want %d", got, want)
	}

	// A read that stops early keeps no copy.
	early := sp.Files([]File{{Name: "e.ndjson", Open: func(context.Context) (io.ReadCloser, error) {
		fetches["e"]++
		return io.NopCloser(bytes.NewReader(contents["a.ndjson"])), nil
	}}})[0]
	rc, err := early.Open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rc.Read(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if got := read(t, early, 0); len(got) != 2 || fetches["e"] != 2 {
		t.Errorf("after an early stop: read %q with %d fetches, want 2 lines and 2 fetches", got, fetches["e"])
	}
	if err := sp.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sp.dir); !os.IsNotExist(err) {
		t.Errorf("the copies' folder is still there: %v", err)
	}
}
