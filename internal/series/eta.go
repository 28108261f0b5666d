package series

import "time"

// Recent is how far back the rate of an ETA looks.
const Recent = 120.0 // seconds

// minData is how much of the current run an ETA needs before it means
// anything: the rate of the first seconds (a slow start, small first
// steps) says little about the rest.
const minData = 30.0 // seconds

// ETA estimates the time left for left resources from the rate of the
// last Recent seconds of the current run. ok is false until the run has
// minData seconds of points with resources confirmed in them.
func (s *Series) ETA(left int) (d time.Duration, ok bool) {
	if left <= 0 || len(s.Points) == 0 || len(s.Runs) == 0 {
		return 0, false
	}
	runStart := s.Runs[len(s.Runs)-1].T
	end := s.Points[len(s.Points)-1].End()
	var n int
	var secs float64
	for i := len(s.Points) - 1; i >= 0; i-- {
		p := s.Points[i]
		if p.T < runStart || (secs >= Recent && end-p.End() >= Recent) {
			break
		}
		n += p.Written + p.Unchanged + p.Failed
		secs += p.Seconds
	}
	if secs < minData || n == 0 {
		return 0, false
	}
	rate := float64(n) / secs
	return time.Duration(float64(left) / rate * float64(time.Second)), true
}
