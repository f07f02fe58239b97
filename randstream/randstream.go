// Package randstream hands out independent, reproducible random streams.
//
// Every random number in flipcert comes from a math/rand/v2 PCG stream keyed by
// (config seed, purpose, chunk index). Work is split into fixed chunks, each with
// its own stream, so results do not depend on how many goroutines run them
// (docs/science.md §10 "Reproducibility").
package randstream

import (
	"hash/fnv"
	"math/rand/v2"
)

// New returns the stream for one purpose (such as "sampler q=0.1 lambda=3e4")
// and one chunk of that purpose's work. Distinct (seed, purpose, chunk) keys give
// statistically independent streams; equal keys give identical streams.
func New(seed uint64, purpose string, chunk uint64) *rand.Rand {
	return rand.New(Source(seed, purpose, chunk))
}

// Source is New without the rand.Rand wrapper, for APIs that take a rand.Source.
func Source(seed uint64, purpose string, chunk uint64) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(purpose))
	p := h.Sum64()
	return rand.NewPCG(splitmix(seed^splitmix(p)), splitmix(chunk+splitmix(p^0x9e3779b97f4a7c15)))
}

// splitmix is the SplitMix64 finaliser: a bijection on uint64 that scatters
// nearby keys (seed 1 and 2, chunk 0 and 1) across the whole state space.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
