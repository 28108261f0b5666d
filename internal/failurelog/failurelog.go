// Package failurelog defines the records of an upload's failure log, one
// JSON object a line: how they are encoded, and how they are read back
// when the log is replayed. The writer that owns the file lives with the
// checkpoint, in package transfer.
package failurelog

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"unicode/utf8"

	"github.com/minio-to-fhir/minio-to-fhir/internal/origin"
)

// Record is one record of the failure log: a resource that is not on the
// server, why, and the resource itself so that it can be sent again.
//
// A resource of a Bundle (origin.CountsEntries) is named by its entry
// rather than a line: in the log its number is "entry", not "line"; in a
// Record it is Line either way.
type Record struct {
	File         string          `json:"file"`
	Line         int             `json:"line,omitempty"`
	Entry        int             `json:"entry,omitempty"`
	ResourceType string          `json:"resourceType,omitempty"`
	ID           string          `json:"id,omitempty"`
	Status       int             `json:"status,omitempty"` // HTTP status of the entry; 0 if never sent
	Error        string          `json:"error"`
	Resource     json.RawMessage `json:"resource,omitempty"` // the line, when it is a JSON object
	Raw          string          `json:"raw,omitempty"`      // the line, when it is not
	// Batch names the batch in the checkpoint, so that a resumed run
	// can drop the records of batches it sends again.
	Batch string `json:"batch,omitempty"`
}

// Encode returns rec as one line of the log, without its newline. A line
// that is not valid JSON is kept in Raw rather than Resource, and one
// that is not UTF-8 is not kept at all (Error says so): the log stays
// valid NDJSON whatever the input was.
func Encode(rec Record) ([]byte, error) {
	if len(rec.Resource) > 0 && !(utf8.Valid(rec.Resource) && json.Valid(rec.Resource)) {
		rec.Raw, rec.Resource = string(rec.Resource), nil
	}
	if origin.CountsEntries(rec.File) && rec.Entry == 0 {
		rec.Entry, rec.Line = rec.Line, 0
	}
	if !utf8.ValidString(rec.Raw) {
		rec.Raw = ""
		rec.Error += " (the line is not UTF-8 and is not copied here)"
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("failure record of %s: %w", origin.At(rec.File, rec.Line+rec.Entry), err)
	}
	return b, nil
}

// Decode reads one line of a log. ok is false when the line is not a
// record: not JSON, or without its error, file or line.
func Decode(line []byte) (rec Record, ok bool) {
	var r struct {
		Record
		Error *string `json:"error"` // present, even if empty
	}
	if json.Unmarshal(line, &r) != nil {
		return Record{}, false
	}
	if r.Line == 0 {
		r.Line, r.Entry = r.Entry, 0 // an entry of a Bundle file
	}
	if r.Error == nil || r.File == "" || r.Line == 0 {
		return Record{}, false
	}
	r.Record.Error = *r.Error
	return r.Record, true
}

// Data returns the line the record failed for: the resource, or the raw
// text of a line that was not JSON. It is nil for a line too long to have
// been kept.
func (r Record) Data() []byte {
	switch {
	case len(r.Resource) > 0:
		return r.Resource
	case r.Raw != "":
		return []byte(r.Raw)
	}
	return nil
}

// BatchOf returns the batch a record names; ok is false when line is not
// JSON. It reads nothing else, for a quick pass over a large log.
func BatchOf(line []byte) (batch string, ok bool) {
	var rec struct {
		Batch string `json:"batch"`
	}
	if json.Unmarshal(line, &rec) != nil {
		return "", false
	}
	return rec.Batch, true
}

// MaxLine is the longest record a log reader accepts.
const MaxLine = 256 << 20

// IsLog reports whether the file at path is a failure log written by an
// upload: its first non-blank line is a record.
func IsLog(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, MaxLine)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		_, ok := Decode(sc.Bytes())
		return ok
	}
	return false
}
