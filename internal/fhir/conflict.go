package fhir

import "strings"

// conflictWords are the words of HAPI's answers when two writers (two
// nodes, or two requests of one) touched the same rows at once: the
// request that lost may succeed when sent again. From HAPI 8.8's
// HapiFhirHibernateJpaDialect and HapiTransactionService (all answered as
// ResourceVersionConflictException, 409, unless noted):
//   - HAPI-0825 "client-assigned ID constraint failure" (two creates of one
//     id), HAPI-0823/0826/0827 "version constraint failure" (two updates);
//   - HAPI-0550, which wraps the message of the exception its own retries
//     gave up on, and HAPI-0549 "Max retries (N) exceeded for version
//     conflict";
//   - a PostgreSQL deadlock ("deadlock detected"), Hibernate's and JPA's
//     PessimisticLockException (and Spring's PessimisticLockingFailure-,
//     CannotAcquireLock- and ObjectOptimisticLockingFailureException),
//     PostgreSQL's "could not serialize access": with whatever status HAPI
//     gives them (409 after its own retries, or 500).
//
// Left out on purpose: HAPI-0824 (a unique index of the data: sending
// again fails the same way) and 409s of deletes.
var conflictWords = []string{
	"HAPI-0549", "HAPI-0550", "HAPI-0823", "HAPI-0825", "HAPI-0826", "HAPI-0827",
	"deadlock", "PessimisticLock", "CannotAcquireLock", "OptimisticLock",
	"could not serialize access", "LockAcquisition",
}

// Conflict reports whether diagnostics (an OperationOutcome's text) say
// that the request lost a race with a concurrent write of the same
// resource: worth sending again.
func Conflict(diagnostics string) bool {
	for _, w := range conflictWords {
		if strings.Contains(diagnostics, w) {
			return true
		}
	}
	return false
}

// Transient reports whether an entry's (or a request's) answer may pass
// when it is sent again: a conflict with a concurrent write (409, or
// Conflict's words with any status), or an overloaded server (429, 500,
// 502, 503, 504).
func Transient(status int, diagnostics string) bool {
	switch status {
	case 409, 429, 500, 502, 503, 504:
		return true
	}
	return Conflict(diagnostics)
}
