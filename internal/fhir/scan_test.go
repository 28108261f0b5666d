package fhir

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// FuzzScanResponse: whenever the quick scan accepts a valid JSON answer, a
// full decode agrees with it entry by entry. (On text that is not JSON the
// scan may be lenient in the parts it skips; the parts it reads it reads
// strictly.)
func FuzzScanResponse(f *testing.F) {
	f.Add([]byte(`{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201 Created"}},{"response":{"status":"400 Bad Request","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","diagnostics":"HAPI-1094: x"}]}}}]}`), 2)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":"200 OK","outcome":{"issue":[{"details":{"coding":[{"code":"SUCCESSFUL_UPDATE_NO_CHANGE"}]}}]}}}]}`), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[]}`), 0)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"outcome":{"issue":[{"diagnostics":"a \"}\" \\\\ ]{ [\\\"x"}]},"status":"500 x"}}]}`), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":"","Status":"0","st\u0061tus":"400\tx"}}]}`), 1)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		quick, ok := scanResponse(body, n)
		if !ok || !json.Valid(body) {
			return
		}
		full, err := decodeResponse(body, n)
		if err != nil {
			t.Fatalf("the scan accepted what a decode refuses: %v", err)
		}
		if diff := cmp.Diff(full, quick, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("scan and decode differ (-decode +scan):\n%s", diff)
		}
	})
}

func TestScanResponse(t *testing.T) {
	tests := []struct {
		name string
		body string
		n    int
		ok   bool
	}{
		{"batch", `{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":"201 Created"}}]}`, 1, true},
		{"spaces", " { \"resourceType\" : \"Bundle\" , \"entry\" : [ { \"response\" : { \"status\" : \"200 OK\" } } ] } \n", 1, true},
		{"truncated", `{"resourceType":"Bundle","entry":[{"response":{"status":"201 Created"}}`, 1, false},
		{"count", `{"resourceType":"Bundle","entry":[{"response":{"status":"201 Created"}}]}`, 2, false},
		{"not a bundle", `{"resourceType":"OperationOutcome","entry":[]}`, 0, false},
		{"no status", `{"resourceType":"Bundle","entry":[{"response":{}}]}`, 1, false},
		{"trailing junk", `{"resourceType":"Bundle","entry":[]}x`, 0, false},
		{"escapes in an outcome", `{"resourceType":"Bundle","entry":[{"response":{"outcome":{"issue":[{"diagnostics":"a \"}\" \\\\ ]{ [\\\"x"}]},"status":"201 Created"}}]}`, 1, true},
		// Left to encoding/json, which unescapes and folds case in keys.
		{"key in other case", `{"resourceType":"Bundle","entry":[{"response":{"status":"","STATUS":"0"}}]}`, 1, false},
		{"key with long s", `{"resourceType":"Bundle","entry":[{"response":{"status":"","ſtatus":"0"}}]}`, 1, false},
		{"escaped key", `{"resourceType":"Bundle","entry":[{"response":{"st\u0061tus":"201 Created"}}]}`, 1, false},
		{"escaped status", `{"resourceType":"Bundle","entry":[{"response":{"status":"400\nBad"}}]}`, 1, false},
		{"status not ASCII", "{\"resourceType\":\"Bundle\",\"entry\":[{\"response\":{\"status\":\"400 \xff\"}}]}", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, ok := scanResponse([]byte(tc.body), tc.n); ok != tc.ok {
				t.Errorf("got ok %v, want %v", ok, tc.ok)
			}
		})
	}
}
