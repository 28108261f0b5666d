package plan

// Stats is what a plan read in the data, for people: printed, and used
// for nothing else (Analysis places the resources).
type Stats struct {
	// Order is the order the plan was made for: with OrderStatic the
	// references are not read, and their counts are zero.
	Order string

	Resources int // distinct Type/id keys
	// Duplicates counts the ids that occur more than once; only the last
	// occurrence of each is written (see Written).
	Duplicates Duplicates
	References int // local references (Type/id and absolute URLs of the server)
	// Canonical counts the canonical references by absolute URL that
	// resolve to the url of a resource in the data (in References too;
	// relative canonical Type/id count as plain references).
	Canonical    int
	Conditional  int // conditional references (Type?query): ordered by type only
	Edges        int // references between resources of one type group
	Cycles       int // reference cycles, each sent as one transaction
	CycleNodes   int
	LargestCycle int
	Waves        int // the most waves of any step
	// DanglingTotal counts references to a Type/id that is not in the
	// data; Dangling keeps the first MaxDanglingExamples, and Missing the
	// distinct targets among them, for a check on the server.
	DanglingTotal int
	Dangling      []Dangling
	Missing       []string
	// NumericIDs counts resources whose id is all digits, which HAPI's
	// default client-id strategy refuses; NumericExamples names a few.
	NumericIDs      int
	NumericExamples []string
	// TempBytes is the size of the planner's temporary files, which it
	// keeps until the plan is made.
	TempBytes int64
}

// Dangling is a reference to a resource that is not in the data.
type Dangling struct {
	File string
	Line int
	From string // Type/id of the resource that refers
	To   string // Type/id referred to
}

// MaxDanglingExamples bounds the dangling references a plan keeps.
const MaxDanglingExamples = 1000
