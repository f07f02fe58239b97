package randstream

import "math/rand/v2"

// Bernoulli draws independent Bernoulli(q) bits 64 at a time, exactly: lane ℓ
// of a word compares a uniform U_ℓ ∈ [0,1), revealed one random bit per
// random word, with q's binary expansion, decides at the first digit where
// they differ (U < q: a 1 bit) and stays 0 if they never do (U ≥ q). Each bit
// is exactly Bernoulli(q), the lanes are independent, and all 64 are settled
// after about 8 random words on average (docs/science.md §3). The label noise
// of the sampled certificate and of the sampled attack is drawn this way.
type Bernoulli struct {
	digits []bool // q = Σ_j digits[j]·2^{−j−1}, up to its last 1
}

// NewBernoulli returns the bit source for q ∈ [0, 1). Doubling and
// subtracting 1 are exact in floating point, so the expansion is exactly q's.
// It panics for q outside [0, 1).
func NewBernoulli(q float64) Bernoulli {
	if !(q >= 0 && q < 1) {
		panic("randstream: Bernoulli probability outside [0, 1)")
	}
	var ds []bool
	for q > 0 {
		q *= 2
		d := q >= 1
		if d {
			q--
		}
		ds = append(ds, d)
	}
	return Bernoulli{digits: ds}
}

// Word returns 64 independent Bernoulli(q) bits drawn from rng.
func (b Bernoulli) Word(rng *rand.PCG) uint64 {
	var ones uint64
	open := ^uint64(0)
	for _, d := range b.digits {
		r := rng.Uint64()
		if d {
			ones |= open &^ r // U's digit 0 < q's digit 1
			open &= r
		} else {
			open &^= r // U's digit 1 > q's digit 0
		}
		if open == 0 {
			break
		}
	}
	return ones
}
