package progress

import (
	"fmt"
	"time"
)

// An ETA is shown only once it means something: after etaMinData of
// resources sent (not those an earlier run confirmed, which count at
// once), from the rate over the last etaWindow.
const (
	etaMinData = 30 * time.Second
	etaWindow  = 2 * time.Minute
	etaEvery   = time.Second // between the samples of the rate
)

// rateWindow keeps the count of resources sent at times a second apart
// over the last etaWindow, for the recent rate.
type rateWindow struct {
	first   time.Time // when the first resource was sent
	samples []rateSample
}

type rateSample struct {
	at   time.Time
	sent int
}

// add notes that sent resources had been sent at now.
func (w *rateWindow) add(now time.Time, sent int) {
	if w.first.IsZero() {
		w.first = now
	}
	if n := len(w.samples); n > 0 && now.Sub(w.samples[n-1].at) < etaEvery {
		w.samples[n-1].sent = sent
		return
	}
	w.samples = append(w.samples, rateSample{now, sent})
	drop := 0
	for drop < len(w.samples)-2 && now.Sub(w.samples[drop+1].at) >= etaWindow {
		drop++
	}
	w.samples = w.samples[drop:]
}

// eta estimates the time left for left resources, from the rate over
// the window; ok is false until it means something.
func (w *rateWindow) eta(now time.Time, left int) (time.Duration, bool) {
	if left <= 0 || w.first.IsZero() || now.Sub(w.first) < etaMinData || len(w.samples) < 2 {
		return 0, false
	}
	a, b := w.samples[0], w.samples[len(w.samples)-1]
	secs := now.Sub(a.at).Seconds()
	if secs <= 0 || b.sent <= a.sent {
		return 0, false
	}
	rate := float64(b.sent-a.sent) / secs
	return time.Duration(float64(left) / rate * float64(time.Second)), true
}

// etaText is the status line's estimate.
func etaText(d time.Duration) string {
	return fmt.Sprintf("  ~%s left (est.)", Duration(d.Round(time.Second)))
}
