package bundle

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/source"
)

// FuzzExpand reads any bytes as a Bundle file: no panic, and every line
// of the spool is a resource or a refusal named by the file and an entry
// number from 1.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"a"}},{"resource":{"resourceType":"Observation","subject":{"reference":"urn:uuid:a"}},"request":{"method":"PUT","url":"Observation/o"}}]}`,
		`{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},{"request":{"method":"DELETE"}}`,
		`{"resourceType":"Bundle","type":"batch-response","entry":[]}`,
		`{"resourceType":"Patient","id":"p","x":{"reference":"urn:uuid:a"}}`,
		`{"resourceType":"Bundle","entry":null}`,
		"\xef\xbb\xbf[1]",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		name := "in.json"
		file := source.File{Name: name, Size: int64(len(data)), Version: "1",
			Open: func(context.Context) (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }}
		res, err := Expand(context.Background(), []source.File{file}, Options{TempDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		for _, sf := range res.Files {
			if sf.Name == name {
				continue // refused whole
			}
			lines, err := sf.OpenLines(context.Background(), 0)
			if err != nil {
				t.Fatal(err)
			}
			for {
				l, err := lines.Next()
				if err == io.EOF {
					break
				}
				var le *source.LineError
				switch {
				case errors.As(err, &le):
					if le.File != name || le.Num < 1 {
						t.Errorf("refusal named %s entry %d", le.File, le.Num)
					}
				case err != nil:
					t.Fatal(err)
				case l.File != name || l.Num < 1:
					t.Errorf("resource named %s entry %d", l.File, l.Num)
				}
			}
			lines.Close()
		}
		if _, err := os.Stat(filepath.Join(res.dir)); res.dir != "" && err != nil {
			t.Errorf("spool: %v", err)
		}
	})
}
