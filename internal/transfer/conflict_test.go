package transfer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
)

// conflictServer is a FHIR server on which the entries whose id starts
// with "race" lose a race with a concurrent writer the first losses times
// they are sent, with the given status and diagnostics, and land after.
// Every other entry lands at once.
func conflictServer(t *testing.T, losses, status int, diag string) (*fhir.Client, map[string]int) {
	t.Helper()
	var mu sync.Mutex
	sent := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Entry []struct {
				Request struct{ URL string } `json:"request"`
			} `json:"entry"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		outcome, _ := json.Marshal(map[string]any{"resourceType": "OperationOutcome", "issue": []any{
			map[string]string{"severity": "error", "code": "conflict", "diagnostics": diag}}})
		var entries []string
		mu.Lock()
		for _, e := range b.Entry {
			url := e.Request.URL
			sent[url]++
			if strings.Contains(url, "/race") && sent[url] <= losses {
				entries = append(entries, fmt.Sprintf(`{"response":{"status":"%d %s","outcome":%s}}`, status, http.StatusText(status), outcome))
				continue
			}
			entries = append(entries, `{"response":{"status":"201 Created"}}`)
		}
		mu.Unlock()
		w.Header().Set("Content-Type", "application/fhir+json")
		fmt.Fprintf(w, `{"resourceType":"Bundle","type":"batch-response","entry":[%s]}`, strings.Join(entries, ","))
	}))
	t.Cleanup(srv.Close)
	c, err := fhir.New(fhir.Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	return c, sent
}

// runConflicts uploads dir to c in Bundles of 10, one at a time, and
// returns the summary and the failure log, checked to account for every
// resource.
func runConflicts(t *testing.T, c *fhir.Client, dir string) (*Summary, []Failure) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "failures.log")
	sum, err := New(c, Options{BatchSize: 10, Concurrency: 1, FailureLog: logPath, Retry: fastRetry}).Run(t.Context(), buildPlan(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	fails := readFailures(t, logPath)
	checkAccount(t, sum, fails)
	return sum, fails
}

// TestConflictsAreRetried: each wording HAPI gives a lost race on a
// cluster is sent again until it lands (here after four losses), and what
// landed is not in the failure log; a real refusal is.
func TestConflictsAreRetried(t *testing.T) {
	forcedID := "HAPI-0825: The operation has failed with a client-assigned ID constraint failure. This typically means that multiple client threads are trying to create a new resource with the same client-assigned ID at the same time, and this thread was chosen to be rejected."
	tests := []struct {
		name   string
		status int
		diag   string
		landed bool
	}{
		{"version conflict", 409, "HAPI-0823: The operation has failed with a version constraint failure. This generally means that two clients/threads were trying to update the same resource at the same time, and this request was chosen as the failing request.", true},
		{"HAPI-0550", 409, "HAPI-0550: " + forcedID, true},
		{"HAPI-0825", 400, forcedID, true},
		{"deadlock", 500, "HAPI-0551: could not execute statement [ERROR: deadlock detected]", true},
		{"deadlock in a 400", 400, "ERROR: deadlock detected\n  Detail: Process 4711 waits for ShareLock on transaction 815", true},
		{"PessimisticLockException", 400, "org.hibernate.PessimisticLockException: could not execute statement", true},
		{"integrity, not a race", 400, "HAPI-1094: Resource Patient/x not found, specified in path: Observation.subject", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const losses = 4
			c, sent := conflictServer(t, losses, tt.status, tt.diag)
			dir := writeFiles(t, map[string][]string{"Patient.ndjson": {
				`{"resourceType":"Patient","id":"calm-1"}`,
				`{"resourceType":"Patient","id":"race-1"}`,
				`{"resourceType":"Patient","id":"calm-2"}`,
				`{"resourceType":"Patient","id":"race-2"}`,
			}})
			sum, fails := runConflicts(t, c, dir)
			if !tt.landed {
				if sum.Failed != 2 || sent["Patient/race-1"] != 1 {
					t.Errorf("got %d failed, race-1 sent %d times, want 2 failed, sent once", sum.Failed, sent["Patient/race-1"])
				}
				return
			}
			if sum.Created != 4 || sum.Failed != 0 || len(fails) != 0 {
				t.Errorf("got %d created, %d failed, failure log %+v, want 4 created and no failure", sum.Created, sum.Failed, fails)
			}
			if got := sent["Patient/race-2"]; got != losses+1 {
				t.Errorf("race-2 sent %d times, want %d", got, losses+1)
			}
			if sent["Patient/calm-1"] != 1 {
				t.Errorf("calm-1 sent %d times, want once", sent["Patient/calm-1"])
			}
			if sum.Retries != losses {
				t.Errorf("retries %d, want %d", sum.Retries, losses)
			}
		})
	}
}

// TestConflictsGiveUp: an entry that keeps losing is in the failure log
// with the server's words after entryRetries more tries.
func TestConflictsGiveUp(t *testing.T) {
	c, sent := conflictServer(t, 100, 409, "HAPI-0550: HAPI-0825: client-assigned ID constraint failure")
	dir := writeFiles(t, map[string][]string{"Patient.ndjson": {`{"resourceType":"Patient","id":"race-1"}`}})
	_, fails := runConflicts(t, c, dir)
	if len(fails) != 1 || fails[0].Status != 409 || !strings.Contains(fails[0].Error, "HAPI-0825") {
		t.Errorf("got %+v, want race-1 logged with its 409", fails)
	}
	if got := sent["Patient/race-1"]; got != entryRetries+1 {
		t.Errorf("sent %d times, want %d", got, entryRetries+1)
	}
}
