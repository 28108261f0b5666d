package series

import "math"

// Latencies are counted in buckets of about 19% width: bucket b holds
// [2^(b/4), 2^((b+1)/4)) milliseconds, b = 0 holding everything below
// 1.19 ms; the last holds everything beyond (an hour).
const (
	bucketsPerDoubling = 4
	buckets            = 22*bucketsPerDoubling + 1
)

// bucketOf is the bucket of a latency in milliseconds.
func bucketOf(ms float64) int {
	if ms < 1 {
		return 0
	}
	b := int(math.Log2(ms) * bucketsPerDoubling)
	return min(max(b, 0), buckets-1)
}

// bucketTop is the upper bound of bucket b, in milliseconds.
func bucketTop(b int) float64 {
	return math.Exp2(float64(b+1) / bucketsPerDoubling)
}

// addHist adds b's counts to a, growing a as needed.
func addHist(a, b []int) []int {
	for len(a) < len(b) {
		a = append(a, 0)
	}
	for i, n := range b {
		a[i] += n
	}
	return a
}

// percentile is the q-quantile of the histogram (the top of its bucket,
// but no more than the largest latency seen), 0 when it is empty.
func percentile(h []int, q float64, maxMs float64) float64 {
	total := 0
	for _, n := range h {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := int(math.Ceil(q * float64(total)))
	seen := 0
	for b, n := range h {
		seen += n
		if seen >= rank {
			return math.Min(round1(bucketTop(b)), maxMs)
		}
	}
	return maxMs
}

// round1 rounds to a tenth.
func round1(v float64) float64 { return math.Round(v*10) / 10 }
