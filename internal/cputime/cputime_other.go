//go:build !unix

package cputime

// Seconds is unavailable off unix; CPU metrics then read 0.
func Seconds() float64 { return 0 }
