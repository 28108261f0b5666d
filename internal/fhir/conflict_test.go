package fhir

import "testing"

func TestTransient(t *testing.T) {
	// HAPI 8.8's words (hapi-messages.properties and HapiTransactionService),
	// as they reach an entry's OperationOutcome.
	forcedID := "HAPI-0825: The operation has failed with a client-assigned ID constraint failure. This typically means that multiple client threads are trying to create a new resource with the same client-assigned ID at the same time, and this thread was chosen to be rejected."
	tests := []struct {
		name   string
		status int
		diag   string
		want   bool
	}{
		{"version conflict 409", 409, "HAPI-0823: The operation has failed with a version constraint failure.", true},
		{"HAPI-0550 wrapping 0825", 409, "HAPI-0550: " + forcedID, true},
		{"HAPI-0825 as a 400", 400, forcedID, true},
		{"HAPI-0549 max retries", 400, "HAPI-0549: Max retries (3) exceeded for version conflict: HAPI-0826: ...", true},
		{"deadlock as a 500", 500, "HAPI-0551: could not execute statement [ERROR: deadlock detected Detail: Process 1 waits for ShareLock]", true},
		{"deadlock as a 400", 400, "could not execute statement; SQL [n/a]; ERROR: deadlock detected", true},
		{"PessimisticLockException", 400, "jakarta.persistence.PessimisticLockException: could not obtain lock", true},
		{"serialization failure", 422, "ERROR: could not serialize access due to concurrent update", true},
		{"overloaded", 503, "", true},
		{"integrity", 400, "HAPI-1094: Resource Patient/x not found, specified in path: Observation.subject", false},
		{"unique index of the data", 400, "HAPI-0824: The operation has failed with a unique index constraint failure.", false},
		{"numeric id", 400, "HAPI-0960: Can not create resource with ID[123]", false},
		{"unprocessable", 422, "HAPI-0450: Failed to parse request body", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Transient(tt.status, tt.diag); got != tt.want {
				t.Errorf("Transient(%d, %q) = %v, want %v", tt.status, tt.diag, got, tt.want)
			}
		})
	}
}

func TestStatusErrorRetryableOnConflictWords(t *testing.T) {
	e := &StatusError{Code: 400, Outcome: &Outcome{Issues: []Issue{{Severity: "error", Diagnostics: "ERROR: deadlock detected"}}}}
	if !e.Retryable() {
		t.Error("a 400 that says deadlock is not retried")
	}
	e.Outcome.Issues[0].Diagnostics = "HAPI-1094: Resource Patient/x not found"
	if e.Retryable() {
		t.Error("a 400 of referential integrity is retried")
	}
}
