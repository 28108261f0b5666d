package cli

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// fhirFake answers /metadata and batch Bundles: every entry is created,
// except ids starting with "bad", which fail with an OperationOutcome. It
// records each Bundle, and can demand Basic credentials or hold Bundles
// until released.
type fhirFake struct {
	user, password string // demanded when set

	mu       sync.Mutex
	requests []string      // one line per Bundle: "entries=N user=U"
	entries  []string      // one line per entry received: "METHOD URL resource"
	arrived  chan struct{} // a token per Bundle received
	hold     chan struct{} // when set, Bundles wait until it is closed
}

func newFHIRFake() *fhirFake { return &fhirFake{arrived: make(chan struct{}, 1024)} }

func (f *fhirFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/fhir+json")
	user, pass, _ := r.BasicAuth()
	if f.user != "" && (user != f.user || pass != f.password) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login","diagnostics":"HAPI-0644: bad credentials"}]}`)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/metadata") {
		fmt.Fprint(w, `{"resourceType":"CapabilityStatement","fhirVersion":"4.0.1","software":{"name":"Fake FHIR","version":"1.0"}}`)
		return
	}
	var b struct {
		Type  string `json:"type"`
		Entry []struct {
			Resource json.RawMessage              `json:"resource"`
			Request  struct{ Method, URL string } `json:"request"`
		} `json:"entry"`
	}
	if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, fmt.Sprintf("entries=%d user=%s", len(b.Entry), user))
	for _, e := range b.Entry {
		f.entries = append(f.entries, fmt.Sprintf("%s %s %s", e.Request.Method, e.Request.URL, e.Resource))
	}
	hold := f.hold
	f.mu.Unlock()
	f.arrived <- struct{}{}
	if hold != nil {
		<-hold
	}
	var entries []string
	for _, e := range b.Entry {
		_, id, _ := strings.Cut(e.Request.URL, "/")
		if strings.HasPrefix(id, "bad") {
			entries = append(entries, `{"response":{"status":"400 Bad Request","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"HAPI-1094: Resource Patient/nobody not found"}]}}}`)
			continue
		}
		entries = append(entries, `{"response":{"status":"201 Created"}}`)
	}
	fmt.Fprintf(w, `{"resourceType":"Bundle","type":"%s-response","entry":[%s]}`, b.Type, strings.Join(entries, ","))
}

// s3Fake serves the files under a folder as the objects of one bucket:
// enough of ListObjectsV2 and GetObject for list and download. An object
// whose key holds "corrupt" is listed with the MD5 of other bytes, as if
// it changed on the way.
type s3Fake struct {
	bucket, dir string
	modTime     time.Time
}

type s3Contents struct {
	Key          string
	LastModified string
	ETag         string
	Size         int64
	StorageClass string
}

func (s *s3Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/xml")
	name, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if name != s.bucket {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>%s</BucketName><RequestId>1</RequestId></Error>`, name)
		return
	}
	q := r.URL.Query()
	switch {
	case q.Has("location"):
		fmt.Fprint(w, `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`)
	case key == "":
		s.list(w, q.Get("prefix"))
	default:
		data, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(key)))
		if err != nil {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprintf(w, `<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>%s</Key><RequestId>1</RequestId></Error>`, key)
			return
		}
		sum := md5.Sum(data)
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("Last-Modified", s.modTime.Format(http.TimeFormat))
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}
}

func (s *s3Fake) list(w http.ResponseWriter, prefix string) {
	var objs []s3Contents
	err := filepath.WalkDir(s.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(s.dir, p)
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		sum := md5.Sum(data)
		if strings.Contains(key, "corrupt") {
			sum = md5.Sum(append(data, '!'))
		}
		objs = append(objs, s3Contents{Key: key, LastModified: s.modTime.Format("2006-01-02T15:04:05.000Z"),
			ETag: `"` + hex.EncodeToString(sum[:]) + `"`, Size: int64(len(data)), StorageClass: "STANDARD"})
		return nil
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	out, _ := xml.Marshal(struct {
		XMLName     xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name        string
		Prefix      string
		KeyCount    int
		MaxKeys     int
		IsTruncated bool
		Contents    []s3Contents
	}{Name: s.bucket, Prefix: prefix, KeyCount: len(objs), MaxKeys: 1000, Contents: objs})
	w.Write(out)
}
