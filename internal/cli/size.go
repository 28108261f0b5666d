package cli

import (
	"strconv"
	"strings"

	"github.com/minio-to-fhir/minio-to-fhir/internal/defaults"
)

// sizeUnits are the suffixes parseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	n      int64
}{
	{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1 << 30}, {"M", 1 << 20}, {"K", 1 << 10}, {"B", 1},
}

// parseSize reads a byte count: a whole number, optionally followed by a
// unit (4MiB, 512KiB, 8M, 1000000).
func parseSize(s string) (int, bool) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(strings.ToUpper(s), strings.ToUpper(u.suffix)) {
			s, mult = strings.TrimSpace(s[:len(s)-len(u.suffix)]), u.n
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, false
	}
	return int(n * mult), true
}

// resolveLimits fills and checks the Bundle limits other than the count,
// and the longest wait.
func (o *uploadOptions) resolveLimits(s settings) error {
	if o.batchBytes == "" {
		o.batchBytes = s.str("BATCH_BYTES", strconv.Itoa(defaults.BatchBytes))
	}
	if n, ok := parseSize(o.batchBytes); !ok || n < 1<<10 || n > 1<<30 {
		return usageErrorf("batch bytes %q: use 1KiB to 1GiB, e.g. 1MiB (--batch-bytes or BATCH_BYTES)", o.batchBytes)
	}
	if o.batchRefs == unset {
		var err error
		if o.batchRefs, err = s.integer("BATCH_REFS", defaults.BatchRefs); err != nil {
			return err
		}
	}
	if o.batchRefs < 1 || o.batchRefs > 10_000_000 {
		return usageErrorf("batch references %d is out of range: use 1 to 10000000 (--batch-refs or BATCH_REFS)", o.batchRefs)
	}
	if o.timeout <= 0 {
		return usageErrorf("--timeout must be positive")
	}
	if o.timeoutMax < o.timeout {
		return usageErrorf("--timeout-max %s is shorter than --timeout %s", o.timeoutMax, o.timeout)
	}
	return nil
}
