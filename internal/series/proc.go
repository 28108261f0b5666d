package series

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ProcStats returns the CPU time (user and system) the process used so
// far and its resident memory in bytes (0 where /proc is missing).
func ProcStats() (time.Duration, int64) {
	var ru syscall.Rusage
	var cpu time.Duration
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return cpu, rss()
}

// rss reads the resident set size from /proc/self/statm (Linux).
func rss() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
