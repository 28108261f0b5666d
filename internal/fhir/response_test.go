package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/minio-to-fhir/minio-to-fhir/internal/retry"
)

// hapiOutcome is an entry outcome as HAPI writes it, with a storage
// response code.
func hapiOutcome(severity, code, diagnostics string) string {
	return `{"resourceType":"OperationOutcome","issue":[{"severity":"` + severity + `","code":"informational",` +
		`"details":{"coding":[{"system":"https://hapifhir.io/fhir/CodeSystem/hapi-fhir-storage-response-code",` +
		`"code":"` + code + `","display":"x"}]},"diagnostics":"` + diagnostics + `"}]}`
}

// batchResponse wraps entry responses in a batch-response Bundle.
func batchResponse(responses ...string) string {
	var entries []string
	for _, r := range responses {
		entries = append(entries, `{"response":`+r+`}`)
	}
	return `{"resourceType":"Bundle","id":"b1","type":"batch-response","link":[{"relation":"self","url":"http://x/fhir"}],"entry":[` +
		strings.Join(entries, ",") + `]}`
}

const notFound = `{"status":"400 Bad Request","outcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"HAPI-1094: Resource Patient/x not found"}]}}`

func TestParseResponse(t *testing.T) {
	mixed := batchResponse(
		`{"status":"201 Created","location":"Patient/a/_history/1","etag":"1","outcome":`+hapiOutcome("information", "SUCCESSFUL_UPDATE_AS_CREATE", "created")+`}`,
		`{"status":"200 OK","location":"Patient/b/_history/2","outcome":`+hapiOutcome("information", "SUCCESSFUL_UPDATE", "updated")+`}`,
		`{"status":"200 OK","location":"Patient/c/_history/1","outcome":`+hapiOutcome("information", "SUCCESSFUL_UPDATE_NO_CHANGE", "no changes")+`}`,
		notFound,
	)
	tests := []struct {
		name      string
		body      string
		n         int
		want      []EntryResult
		wantBad   bool // errors.Is(err, ErrBadResponse)
		wantNetEr bool // *NetError
	}{
		{
			name: "mixed statuses",
			body: mixed,
			n:    4,
			want: []EntryResult{
				{Result: Created, Status: 201},
				{Result: Updated, Status: 200},
				{Result: Unchanged, Status: 200},
				{Result: Failed, Status: 400, Outcome: "HAPI-1094: Resource Patient/x not found"},
			},
		},
		{
			name: "bare codes and no outcomes",
			body: batchResponse(`{"status":"201"}`, `{"status":"200"}`, `{"status":"204 No Content"}`),
			n:    3,
			want: []EntryResult{{Result: Created, Status: 201}, {Result: Updated, Status: 200}, {Result: Updated, Status: 204}},
		},
		{
			name: "failure without an outcome keeps the status text",
			body: batchResponse(`{"status":"412 Precondition Failed"}`, `{"status":"  "}`),
			n:    2,
			want: []EntryResult{{Result: Failed, Status: 412, Outcome: "412 Precondition Failed"}, {Result: Failed, Status: 0, Outcome: ""}},
		},
		{
			name: "transaction-response",
			body: `{"resourceType":"Bundle","type":"transaction-response","entry":[{"response":{"status":"201 Created"}}]}`,
			n:    1,
			want: []EntryResult{{Result: Created, Status: 201}},
		},
		{name: "fewer entries than sent", body: mixed, n: 5, wantBad: true},
		{name: "more entries than sent", body: mixed, n: 3, wantBad: true},
		{name: "no entries", body: `{"resourceType":"Bundle","type":"batch-response"}`, n: 1, wantBad: true},
		{name: "entry without response", body: `{"resourceType":"Bundle","entry":[{"resource":{}}]}`, n: 1, wantBad: true},
		{
			name:    "not a Bundle",
			body:    `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"exception","diagnostics":"boom"}]}`,
			n:       1,
			wantBad: true,
		},
		{name: "truncated", body: mixed[:len(mixed)/2], n: 4, wantNetEr: true},
		{name: "empty", body: "", n: 1, wantNetEr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseResponse(strings.NewReader(tt.body), tt.n)
			var ne *NetError
			switch {
			case tt.wantBad:
				if !errors.Is(err, ErrBadResponse) {
					t.Fatalf("got %v, want an error wrapping %v", err, ErrBadResponse)
				}
			case tt.wantNetEr:
				if !errors.As(err, &ne) {
					t.Fatalf("got %T %v, want a *NetError", err, err)
				}
			case err != nil:
				t.Fatalf("got %v, want no error", err)
			}
			if err != nil {
				if !retry.Temporary(err) {
					t.Errorf("retry.Temporary(%v) = false, want true", err)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEntryResult(t *testing.T) {
	tests := []struct {
		name    string
		status  string
		outcome string
		want    EntryResult
	}{
		{"created", "201 Created", "", EntryResult{Result: Created, Status: 201}},
		{"updated", "200 OK", hapiOutcome("information", "SUCCESSFUL_UPDATE", "ok"), EntryResult{Result: Updated, Status: 200}},
		{"unchanged", "200 OK", hapiOutcome("information", "SUCCESSFUL_UPDATE_NO_CHANGE", "same"), EntryResult{Result: Unchanged, Status: 200}},
		{"no-change code on a 201 is still created", "201 Created", hapiOutcome("information", "SUCCESSFUL_UPDATE_NO_CHANGE", "x"), EntryResult{Result: Created, Status: 201}},
		{"garbled outcome", "200 OK", `{"issue":"no"}`, EntryResult{Result: Updated, Status: 200}},
		{"failed with diagnostics", "422 Unprocessable Entity",
			`{"resourceType":"OperationOutcome","issue":[{"severity":"warning","diagnostics":"w"},{"severity":"error","diagnostics":"e1"},{"severity":"fatal","details":{"text":"e2"}}]}`,
			EntryResult{Result: Failed, Status: 422, Outcome: "e1; e2"}},
		{"failed with a bad outcome", "409 Conflict", `[1]`, EntryResult{Result: Failed, Status: 409, Outcome: "409 Conflict"}},
		{"not a number", "OK", "", EntryResult{Result: Failed, Status: 0, Outcome: "OK"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var raw []byte
			if tt.outcome != "" {
				raw = []byte(tt.outcome)
			}
			got := entryResult(tt.status, raw)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("entryResult(%q) (-want +got):\n%s", tt.status, diff)
			}
		})
	}
}

func TestResultString(t *testing.T) {
	want := map[Result]string{Created: "created", Updated: "updated", Unchanged: "unchanged", Failed: "failed"}
	for r, w := range want {
		if got := r.String(); got != w {
			t.Errorf("Result(%d).String() = %q, want %q", int(r), got, w)
		}
	}
}

// FuzzParseResponse: ParseResponse never panics, its errors are
// retryable, and on a valid JSON answer it agrees with a reference read
// of the same bytes (refResponse: encoding/json into maps, no code of
// this package): the same error-or-not, and entry by entry the same
// status code and kind of result.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(batchResponse(`{"status":"201 Created"}`, notFound)), 2)
	f.Add([]byte(batchResponse(`{"status":"200 OK","outcome":`+hapiOutcome("information", "SUCCESSFUL_UPDATE_NO_CHANGE", "x")+`}`)), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":7,"outcome":[]}}]}`), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{}]}`), -1)
	f.Add([]byte(`{"resourceType":"Bundle","type":"batch-response","entry":[{"response":{"status":" 204\tx"}},{"response":{"status":"abc"}},{"response":{"status":"200 OK","outcome":{"issue":[{"diagnostics":"SUCCESSFUL_UPDATE_NO_CHANGE"}]}}}]}`), 3)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":"201 Created"}},{"response":null}]}`), 2)
	f.Add([]byte(`{"resourceType":"Bundle","entry":null}`), 0)
	f.Add([]byte(`<html>`), 0)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		got, err := ParseResponse(bytes.NewReader(body), n)
		if err != nil && !retry.Temporary(err) {
			t.Fatalf("error %v is not retryable", err)
		}
		if err == nil {
			if len(got) != n {
				t.Fatalf("got %d results, want %d", len(got), n)
			}
			for _, r := range got {
				_ = r.Result.String()
				if r.Result == Failed && r.Outcome == "" && r.Status != 0 {
					t.Fatalf("failed entry %+v says nothing", r)
				}
			}
		}
		want, ok := refResponse(body, n)
		if !ok {
			return // not JSON, or keys that differ from ours only in case
		}
		if (err == nil) != (want != nil) {
			t.Fatalf("ParseResponse(%q, %d): error %v; the reference read says results %v", body, n, err, want)
		}
		for i, w := range want {
			if got[i].Status != w.Status || got[i].Result != w.Result {
				t.Fatalf("ParseResponse(%q, %d): entry %d is %d %v, the reference read says %d %v", body, n, i, got[i].Status, got[i].Result, w.Status, w.Result)
			}
		}
	})
}

// refResponse reads a batch-response as the FHIR specification and HAPI's
// answers define it, with encoding/json into maps: a Bundle with n
// entries, each with a response whose status starts with the HTTP code;
// 201 is created, 200 with HAPI's no-change code in the outcome is
// unchanged, other 2xx are updated, anything else failed. It returns nil
// for an answer that must be refused, and ok false when it cannot judge:
// the body is not valid JSON, or holds a key that equals one of the keys
// read only when case is ignored (which encoding/json's struct decoding
// would take).
func refResponse(body []byte, n int) ([]EntryResult, bool) {
	var v any
	if !json.Valid(body) || json.Unmarshal(body, &v) != nil || caseVariant(v) {
		return nil, false
	}
	top, ok := v.(map[string]any)
	if !ok {
		return nil, true // not an object
	}
	if rt, ok := top["resourceType"].(string); !ok || rt != "Bundle" {
		return nil, true
	}
	if typ, ok := top["type"]; ok && typ != nil {
		if _, isString := typ.(string); !isString {
			return nil, true
		}
	}
	var entries []any
	switch e := top["entry"].(type) {
	case nil:
	case []any:
		entries = e
	default:
		return nil, true
	}
	if len(entries) != n {
		return nil, true
	}
	out := make([]EntryResult, 0, n)
	for _, e := range entries {
		entry, ok := e.(map[string]any)
		if !ok && e != nil {
			return nil, true
		}
		resp, ok := entry["response"].(map[string]any)
		if !ok {
			return nil, true
		}
		status := ""
		switch st := resp["status"].(type) {
		case nil:
		case string:
			status = st
		default:
			return nil, true
		}
		code := 0
		if f := strings.Fields(status); len(f) > 0 {
			code, _ = strconv.Atoi(f[0])
		}
		outcome, _ := json.Marshal(resp["outcome"])
		r := EntryResult{Status: code}
		switch {
		case code == 201:
			r.Result = Created
		case code == 200 && resp["outcome"] != nil && strings.Contains(string(outcome), "SUCCESSFUL_UPDATE_NO_CHANGE"):
			r.Result = Unchanged
		case code >= 200 && code < 300:
			r.Result = Updated
		default:
			r.Result = Failed
		}
		out = append(out, r)
	}
	return out, true
}

// caseVariant reports whether any object key in v equals one of the keys
// refResponse reads when case is ignored, but not exactly.
func caseVariant(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			for _, name := range []string{"resourceType", "type", "entry", "response", "status", "outcome"} {
				if k != name && strings.EqualFold(k, name) {
					return true
				}
			}
			if caseVariant(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if caseVariant(e) {
				return true
			}
		}
	}
	return false
}
