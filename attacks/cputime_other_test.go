//go:build !unix

package attacks

// cpuSeconds is unavailable off unix; the cpu-s/op metric then reads 0.
func cpuSeconds() float64 { return 0 }
