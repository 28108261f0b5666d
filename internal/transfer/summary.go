package transfer

import (
	"sort"
	"time"

	"github.com/minio-to-fhir/minio-to-fhir/internal/limit"
	"github.com/minio-to-fhir/minio-to-fhir/internal/plan"
)

// Counts are the outcomes of a set of resources.
type Counts struct {
	Read      int `json:"read"`      // lines read from the input
	Created   int `json:"created"`   // 201
	Updated   int `json:"updated"`   // 200, content changed
	Unchanged int `json:"unchanged"` // 200, same content already stored
	Failed    int `json:"failed"`    // in the failure log
	// DuplicatesSkipped counts the lines not sent because a later line
	// of the input holds the same Type/id (plan.Analysis.Written).
	DuplicatesSkipped int `json:"duplicatesSkipped"`
}

// Landed is the number of resources now on the server.
func (c Counts) Landed() int { return c.Created + c.Updated + c.Unchanged }

func (c *Counts) add(o Counts) {
	c.Read += o.Read
	c.Created += o.Created
	c.Updated += o.Updated
	c.Unchanged += o.Unchanged
	c.Failed += o.Failed
	c.DuplicatesSkipped += o.DuplicatesSkipped
}

// FileProblem is an input file that could not be read, whole or in part.
type FileProblem struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"` // the line reading stopped at, 0 for the whole file
	Err  string `json:"error"`
}

// Summary is the account of an upload.
type Summary struct {
	Files        int               `json:"files"`
	Counts                         // all resources
	ByType       map[string]Counts `json:"byType"`
	Batches      int               `json:"batches"`
	Retries      int               `json:"retries"`
	FileProblems []FileProblem     `json:"fileProblems,omitempty"`
	FailureLog   string            `json:"failureLog,omitempty"` // set when it holds records
	Duration     time.Duration     `json:"-"`
	Seconds      float64           `json:"seconds"`
	Interrupted  bool              `json:"interrupted"`
	// Resumed says an earlier run's checkpoint was resumed; Skipped counts
	// the resources it had confirmed, which this run did not send again.
	Resumed bool `json:"resumed"`
	Skipped int  `json:"skipped"`
	// Concurrency says how many Bundles were in flight: fixed, or the
	// range the limit adapted in and where it settled.
	Concurrency limit.Stats `json:"concurrency"`
	// TransactionFirst says whether batches were sent with HAPI's
	// X-Transaction-Semantics header, and why; the caller fills it.
	TransactionFirst TxFirst `json:"transactionFirst"`
	// Duplicates is what the plan found of ids that occur more than once
	// (nil when it did not read the data or found none).
	Duplicates *plan.Duplicates `json:"duplicates,omitempty"`
}

// TxFirst says whether Bundles were tried as transactions first.
type TxFirst struct {
	On   bool   `json:"on"`
	Mode string `json:"mode"`             // auto, on or off: what was asked
	Why  string `json:"reason,omitempty"` // e.g. "HAPI FHIR Server 8.8.0"
}

// Types returns the types of ByType, sorted.
func (s *Summary) Types() []string {
	out := make([]string, 0, len(s.ByType))
	for t := range s.ByType {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (s *Summary) addType(typ string, c Counts) {
	if s.ByType == nil {
		s.ByType = map[string]Counts{}
	}
	tc := s.ByType[typ]
	tc.add(c)
	s.ByType[typ] = tc
	s.Counts.add(c)
}
