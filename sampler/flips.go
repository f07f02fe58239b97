package sampler

import (
	"math"
	"math/bits"
	"math/rand/v2"
)

// binaryDigits returns the binary digits of q ∈ (0, 1) after the point, up to
// its last 1: q = Σ_j d_j 2^{−j}. Doubling and subtracting 1 are exact in
// floating point, so the expansion is exactly q's.
func binaryDigits(q float64) []bool {
	var ds []bool
	for q > 0 {
		q *= 2
		d := q >= 1
		if d {
			q--
		}
		ds = append(ds, d)
	}
	return ds
}

// bernoulliWord returns 64 independent Bernoulli(q) bits, q given by its binary
// digits. Lane ℓ compares a uniform U_ℓ ∈ [0,1), revealed one bit per random word,
// with q: it decides at the first digit where they differ (U < q: a 1 bit) and
// stays 0 if they never do (U ≥ q). So each bit is exactly Bernoulli(q), and
// all 64 lanes are settled after about 8 words on average.
func bernoulliWord(rng *rand.Rand, digits []bool) uint64 {
	var ones uint64
	open := ^uint64(0)
	for _, d := range digits {
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

// blockWidth picks how many training points share one table of subset sums.
// For a block of w points, a sample's update is a single row add of the table
// entry for its w flip bits (skipped when none flipped), and building the table
// costs 2^w − 1 row adds per chunk: per sample ⌈n/w⌉·(1 − (1−q)^w + (2^w−1)/chunk).
// w = 1 is the plain sparse update Σ_{i flipped} ψᵢ.
func blockWidth(n int, q float64, chunk int) int {
	best, bestCost := 1, math.Inf(1)
	for w := 1; w <= 8; w++ {
		blocks := float64((n + w - 1) / w)
		cost := blocks * (-math.Expm1(float64(w)*math.Log1p(-q)) + float64(int(1)<<w-1)/float64(chunk))
		if cost < bestCost {
			best, bestCost = w, cost
		}
	}
	return best
}

// flipper draws label-noise samples and returns Φᵀy′ for each, where y′ is y
// with each label flipped independently with probability q:
// Φᵀy′ = Φᵀy + Σ_{i flipped} ψᵢ, ψᵢ = (1−2yᵢ)φᵢ (SCIENCE.md §3).
type flipper struct {
	psi    []float64 // n×d row-major, row i = ψᵢ
	base   []float64 // Φᵀy
	n, d   int
	width  int    // training points per table block
	digits []bool // binary digits of q
}

// flipScratch is one worker's reusable memory for flipper.fill.
type flipScratch struct {
	table []float64 // 2^width × d subset sums of the block's ψ rows
	words []uint64  // width × words-per-chunk flip bits, bit b of a word = sample b
}

func (f *flipper) newScratch(chunk int) *flipScratch {
	return &flipScratch{
		table: make([]float64, (1<<f.width)*f.d),
		words: make([]uint64, f.width*((chunk+63)/64)),
	}
}

// fill sets row b of rhs (b×d, row-major, b = len(rhs)/d samples) to Φᵀy′ for
// a fresh noise sample. Random numbers are drawn in a fixed order (block,
// point, word), so the result depends only on rng's state and the sample count.
func (f *flipper) fill(rhs []float64, rng *rand.Rand, s *flipScratch) {
	d := f.d
	samples := len(rhs) / d
	nw := (samples + 63) / 64
	lastMask := ^uint64(0) >> (uint(64*nw-samples) % 64)
	for b := range samples {
		copy(rhs[b*d:(b+1)*d], f.base)
	}
	for i0 := 0; i0 < f.n; i0 += f.width {
		w := min(f.width, f.n-i0)
		words := s.words[:w*nw]
		for r := range w {
			for j := range nw {
				words[r*nw+j] = bernoulliWord(rng, f.digits)
			}
			words[r*nw+nw-1] &= lastMask
		}
		// table[mask] = Σ_{r in mask} ψ_{i0+r}, built by doubling.
		table := s.table
		clear(table[:d])
		for r := range w {
			row := f.psi[(i0+r)*d : (i0+r+1)*d]
			for m := range 1 << r {
				addTo(table[(m|1<<r)*d:(m|1<<r+1)*d], table[m*d:(m+1)*d], row)
			}
		}
		for j := range nw {
			var any uint64
			for r := range w {
				any |= words[r*nw+j]
			}
			for any != 0 {
				lane := bits.TrailingZeros64(any)
				any &= any - 1
				mask := 0
				for r := range w {
					mask |= int(words[r*nw+j]>>lane&1) << r
				}
				b := j*64 + lane
				addInPlace(rhs[b*d:(b+1)*d], table[mask*d:(mask+1)*d])
			}
		}
	}
}

// addTo sets dst = a + b elementwise.
func addTo(dst, a, b []float64) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// addInPlace adds src into dst.
func addInPlace(dst, src []float64) {
	src = src[:len(dst)]
	for i := range dst {
		dst[i] += src[i]
	}
}
