package fhir

import (
	"strconv"
	"strings"
)

// TxSemanticsHeader asks HAPI FHIR (8.2 and later) to try a batch Bundle
// as one transaction first, and to process it with batch semantics when
// that attempt fails. TxSemanticsValue is one transaction try, then batch:
// a Bundle with an entry that always fails is not tried again and again,
// and its answer still has one outcome per entry. A transaction Bundle
// stays all or nothing (checked on HAPI 8.8.0).
const (
	TxSemanticsHeader = "X-Transaction-Semantics"
	TxSemanticsValue  = "retryCount=1;tryBatchAsTransactionFirst=true"
)

// SetTransactionFirst turns the header TxSemanticsHeader on or off for
// the batch requests that follow. Call it before the first Post.
func (c *Client) SetTransactionFirst(on bool) {
	c.txFirst.Store(on)
}

// TransactionFirst reports whether batch requests carry TxSemanticsHeader.
func (c *Client) TransactionFirst() bool { return c.txFirst.Load() }

// TransactionFirst reports whether the server says it understands
// TxSemanticsHeader: HAPI FHIR 8.2 or later, by the CapabilityStatement's
// software name and version.
func (s ServerInfo) TransactionFirst() bool {
	if !strings.Contains(strings.ToUpper(s.SoftwareName), "HAPI") {
		return false
	}
	major, minor, ok := majorMinor(s.SoftwareVersion)
	return ok && (major > 8 || major == 8 && minor >= 2)
}

// majorMinor reads the first two numbers of a version such as "8.8.0",
// "8.2.0-SNAPSHOT" or "v8.4".
func majorMinor(v string) (major, minor int, ok bool) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "v")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return 0, 0, false
	}
	major, err1 := strconv.Atoi(parts[0])
	minorText := parts[1]
	if i := strings.IndexFunc(minorText, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		minorText = minorText[:i]
	}
	minor, err2 := strconv.Atoi(minorText)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return major, minor, true
}
