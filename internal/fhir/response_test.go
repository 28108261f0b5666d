package fhir

import (
	"bytes"
	"errors"
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

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(batchResponse(`{"status":"201 Created"}`, notFound)), 2)
	f.Add([]byte(batchResponse(`{"status":"200 OK","outcome":`+hapiOutcome("information", "SUCCESSFUL_UPDATE_NO_CHANGE", "x")+`}`)), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{"response":{"status":7,"outcome":[]}}]}`), 1)
	f.Add([]byte(`{"resourceType":"Bundle","entry":[{}]}`), -1)
	f.Add([]byte(`<html>`), 0)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		got, err := ParseResponse(bytes.NewReader(body), n)
		if err != nil {
			if !retry.Temporary(err) {
				t.Fatalf("error %v is not retryable", err)
			}
			return
		}
		if len(got) != n {
			t.Fatalf("got %d results, want %d", len(got), n)
		}
		for _, r := range got {
			_ = r.Result.String()
			if r.Result == Failed && r.Outcome == "" && r.Status != 0 {
				t.Fatalf("failed entry %+v says nothing", r)
			}
		}
	})
}
