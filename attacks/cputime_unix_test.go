//go:build unix

package attacks

import "syscall"

// cpuSeconds returns the user+system CPU time of this process, so benchmarks
// can report CPU cost alongside wall time on a machine shared with others.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
