package sampler

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"gonum.org/v1/gonum/floats"
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
func bernoulliWord(rng *rand.PCG, digits []bool) uint64 {
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
// entry for its w flip bits (skipped when none flipped), and the table costs
// 2^w − 1 row adds per chunk, each about half as dear as a scattered add into
// a sample's row (built in order from cache-hot rows; measured on MNIST-sized
// data, where w = 4–5 is best at q = 0.1 and 6–7 at q = 0.4). Cost per sample:
// ⌈n/w⌉·(1 − (1−q)^w + ½(2^w−1)/chunk); w = 1 is the plain sparse update
// Σ_{i flipped} ψᵢ.
func blockWidth(n int, q float64, chunk int) int {
	best, bestCost := 1, math.Inf(1)
	for w := 1; w <= 8; w++ {
		blocks := float64((n + w - 1) / w)
		cost := blocks * (-math.Expm1(float64(w)*math.Log1p(-q)) + 0.5*float64(int(1)<<w-1)/float64(chunk))
		if cost < bestCost {
			best, bestCost = w, cost
		}
	}
	return best
}

// flipper draws label-noise samples and returns Φᵀy′ for each, where y′ is y
// with each label flipped independently with probability q:
// Φᵀy′ = Φᵀy + Σ_{i flipped} ψᵢ, ψᵢ = (1−2yᵢ)φᵢ (docs/science.md §3).
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
	masks [64]int   // per lane of one word: which of the block's points flipped
}

func (f *flipper) newScratch(chunk int) *flipScratch {
	return &flipScratch{
		table: make([]float64, (1<<f.width)*f.d),
		words: make([]uint64, f.width*((chunk+63)/64)),
	}
}

// fill sets each row of rhs (samples×d, row-major, samples = len(rhs)/d ≤ the
// scratch's chunk) to Φᵀy′ for a fresh noise sample. Random numbers are drawn
// point by point, word by word, whatever the width, so the flips depend only on
// rng's state and the sample count.
func (f *flipper) fill(rhs []float64, rng *rand.PCG, s *flipScratch) {
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
				e := m | 1<<r
				floats.AddTo(table[e*d:(e+1)*d], table[m*d:(m+1)*d], row)
			}
		}
		for j := range nw {
			// Transpose the block's flip bits into one mask per lane, touching
			// only set bits.
			var any uint64
			for r := range w {
				x := words[r*nw+j]
				any |= x
				for ; x != 0; x &= x - 1 {
					s.masks[bits.TrailingZeros64(x)] |= 1 << r
				}
			}
			for ; any != 0; any &= any - 1 {
				lane := bits.TrailingZeros64(any)
				mask := s.masks[lane]
				s.masks[lane] = 0
				b := j*64 + lane
				// gonum's assembly kernel: ~4× a Go loop on 51-element rows.
				floats.Add(rhs[b*d:(b+1)*d], table[mask*d:(mask+1)*d])
			}
		}
	}
}
