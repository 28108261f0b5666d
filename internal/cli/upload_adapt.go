package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
	"github.com/minio-to-fhir/minio-to-fhir/internal/fhir"
	"github.com/minio-to-fhir/minio-to-fhir/internal/transfer"
)

// Transaction-first modes.
const (
	txAuto = "auto"
	txOn   = "on"
	txOff  = "off"
)

// txMode is --tx-semantics: a boolean flag (--tx-semantics,
// --tx-semantics=false) that also takes auto; "" means not given.
type txMode string

func (m *txMode) String() string { return string(*m) }

// IsBoolFlag lets --tx-semantics stand alone, meaning on.
func (m *txMode) IsBoolFlag() bool { return true }

func (m *txMode) Set(v string) error {
	mode, ok := parseTxMode(v)
	if !ok {
		return fmt.Errorf("use auto, true or false")
	}
	*m = txMode(mode)
	return nil
}

func parseTxMode(v string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "auto":
		return txAuto, true
	case "true", "on", "yes", "1":
		return txOn, true
	case "false", "off", "no", "0":
		return txOff, true
	}
	return "", false
}

// resolveAdaptive settles --tx-semantics (TX_SEMANTICS) and the
// concurrency: -c N (CONCURRENCY) fixes it at N; without it, the number
// of Bundles in flight adapts within 1..--max-concurrency
// (MAX_CONCURRENCY).
func (o *uploadOptions) resolveAdaptive(s settings) error {
	if o.txSemantics == "" {
		v := s.str("TX_SEMANTICS", txAuto)
		mode, ok := parseTxMode(v)
		if !ok {
			return usageErrorf("TX_SEMANTICS=%q: use auto, true or false", v)
		}
		o.txSemantics = txMode(mode)
	}
	var err error
	if o.maxConcurrency == unset {
		if o.maxConcurrency, err = s.integer("MAX_CONCURRENCY", defaults.MaxConcurrency); err != nil {
			return err
		}
	}
	if o.maxConcurrency < 1 || o.maxConcurrency > 64 {
		return usageErrorf("max concurrency %d is out of range: use 1 to 64 (--max-concurrency or MAX_CONCURRENCY)", o.maxConcurrency)
	}
	if o.concurrency == unset && strings.TrimSpace(s["CONCURRENCY"]) == "" {
		o.adaptive, o.concurrency = true, o.maxConcurrency
		return nil
	}
	if o.concurrency == unset {
		if o.concurrency, err = s.integer("CONCURRENCY", 2); err != nil {
			return err
		}
	}
	if o.concurrency < 1 || o.concurrency > 64 {
		return usageErrorf("concurrency %d is out of range: use 1 to 64 (--concurrency or CONCURRENCY)", o.concurrency)
	}
	return nil
}

// decideTxFirst says whether batches go with X-Transaction-Semantics: as
// asked, or with auto when the server says it is HAPI FHIR 8.2 or later.
func decideTxFirst(mode txMode, info fhir.ServerInfo) transfer.TxFirst {
	server := orUnknown(info.Software)
	switch mode {
	case txOn:
		return transfer.TxFirst{On: true, Mode: txOn, Why: "--tx-semantics"}
	case txOff:
		return transfer.TxFirst{Mode: txOff, Why: "--tx-semantics=false"}
	}
	if info.TransactionFirst() {
		return transfer.TxFirst{On: true, Mode: txAuto, Why: server}
	}
	return transfer.TxFirst{Mode: txAuto, Why: server + " is not HAPI FHIR 8.2 or later"}
}

// txFirstLine is the report's line on transaction-first.
func txFirstLine(t transfer.TxFirst) string {
	state := "off"
	if t.On {
		state = "on"
	}
	return fmt.Sprintf("Transaction first: %s (%s)", state, t.Why)
}

// concurrencyLine is the summary's line on the Bundles in flight.
func concurrencyLine(sum *transfer.Summary) string {
	c := sum.Concurrency
	if c.Adaptive {
		s := fmt.Sprintf("Concurrency: adaptive %d..%d, settled at %d", c.Min, c.Max, c.Settled)
		if c.Lowest != c.Highest {
			s += fmt.Sprintf(" (ranged %d..%d)", c.Lowest, c.Highest)
		}
		return s
	}
	s := fmt.Sprintf("Concurrency: fixed at %d", c.Max)
	if c.Lowest < c.Max {
		s += fmt.Sprintf(", lowered to %d while the server was overloaded", c.Lowest)
	}
	return s
}

// printAdaptive writes the summary's lines on what the upload adapted to.
func printAdaptive(w io.Writer, sum *transfer.Summary) {
	fmt.Fprintln(w, concurrencyLine(sum))
	fmt.Fprintln(w, txFirstLine(sum.TransactionFirst))
}
