package bundle

// maxExamples bounds Stats.NotWrittenExamples.
const maxExamples = 5

// Stats are the figures of the Bundle files of an input.
type Stats struct {
	// Files counts the JSON files read: Bundles and single resources.
	Files int `json:"files"`
	// Bundles counts the Bundles whose entries were read one by one.
	Bundles int `json:"bundles"`
	// Entries counts the entries read (a single resource is one).
	Entries int `json:"entries"`
	// Resources counts the entries written as PUT Type/id; IDsFromURL
	// those of them whose resource had no id, given the one of their
	// fullUrl or request.url.
	Resources  int `json:"resources"`
	IDsFromURL int `json:"idsFromUrl"`
	// Refused counts the entries that cannot be written (no resource, no
	// id, an unknown type, the break of a broken file): they are in the
	// failure log.
	Refused int `json:"refused"`
	// NotWritten counts the entries not written, by request method
	// (DELETE, GET, HEAD, PATCH) or "search outcome"; NotWrittenExamples
	// names the first few.
	NotWritten         map[string]int `json:"notWritten,omitempty"`
	NotWrittenExamples []string       `json:"notWrittenExamples,omitempty"`
	// IfNoneExist counts the entries with a conditional create: written
	// by id, they need none.
	IfNoneExist int `json:"ifNoneExist"`
	// FullURLs counts the distinct fullUrls; Rewritten the references to
	// them rewritten as Type/id.
	FullURLs  int `json:"fullUrls"`
	Rewritten int `json:"referencesRewritten"`
	// NotFHIR are the JSON files skipped as not FHIR.
	NotFHIR []NotFHIR `json:"notFhir,omitempty"`
}

// NotFHIR is a JSON file that is neither a resource nor a Bundle.
type NotFHIR struct {
	File string `json:"file"`
	Why  string `json:"why"`
}
