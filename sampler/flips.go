package sampler

import (
	"errors"
	"math"
	"math/bits"
	"math/rand/v2"

	"flipcert/internal/vec"
	"flipcert/randstream"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// uniformBelow returns a uniform integer in [0, n), n ≥ 1, by Lemire's
// multiply-and-reject method: the high word of r·n for a uniform 64-bit r,
// rejecting the 2^64 mod n low words that would make some values more likely.
// So it is exactly uniform, as the K-class noise model requires.
func uniformBelow(rng *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(rng.Uint64(), n)
	if lo < n {
		for reject := -n % n; lo < reject; {
			hi, lo = bits.Mul64(rng.Uint64(), n)
		}
	}
	return hi
}

// blockWidth picks how many training points share one table of subset sums.
// For a block of w points, a sample's update is one table row (skipped when
// none flipped), added in registers with the rest of its group's rows; the
// table costs 2^w − 1 row additions per chunk, each about twice as dear as a
// gathered row, and every block a fixed share of a row for its flip bits
// (measured on MNIST 1/7, where w = 3 is best at q = 0.01 and 0.05 and w = 5
// at q = 0.4). Cost per sample: ⌈n/w⌉·(1 − (1−q)^w + 2(2^w−1)/chunk + 0.1);
// w = 1 is the plain sparse update Σ_{i flipped} ψᵢ. The width changes the
// time, never a result: every sum on the grid is exact.
func blockWidth(n int, q float64, chunk int) int {
	best, bestCost := 1, math.Inf(1)
	for w := 1; w <= 8; w++ {
		blocks := float64((n + w - 1) / w)
		cost := blocks * (-math.Expm1(float64(w)*math.Log1p(-q)) + 2*float64(int(1)<<w-1)/float64(chunk) + 0.1)
		if cost < bestCost {
			best, bestCost = w, cost
		}
	}
	return best
}

// errFeatureRange reports training features too large for the grid.
var errFeatureRange = errors.New("sampler: training features too large: a column's Σᵢ|φᵢⱼ| exceeds 2^1000")

// onGrid returns the training features (n×d, row-major) rounded column by
// column to a fixed-point grid, φ̃ᵢⱼ = aᵢⱼ·2^{−eⱼ} with integers aᵢⱼ, choosing eⱼ
// so that Σᵢ|aᵢⱼ| ≤ 2^53. Then every signed subset sum Σ_{i∈S}±φ̃ᵢⱼ is an integer
// multiple of 2^{−eⱼ} of magnitude ≤ 2^53·2^{−eⱼ}, exactly representable, so
// every float64 addition of such sums is exact and their order irrelevant
// (docs/science.md §10 "The sampled classifier's arithmetic"). Rounding moves a feature by at most
// 2^{−eⱼ−1} ≤ 2^{−52}·Σᵢ|φᵢⱼ|.
func onGrid(phi *mat.Dense) ([]float64, error) {
	n, d := phi.Dims()
	out := make([]float64, n*d)
	for j := range d {
		sum := 0.0
		for i := range n {
			sum += math.Abs(phi.At(i, j))
		}
		if !(sum <= 0x1p1000) { // every subset sum stays far from overflow
			return nil, errFeatureRange
		}
		if sum == 0 {
			continue // the zero column is on every grid
		}
		// sum < 2^exp, so Σ|aᵢⱼ| ≲ 2^52 + n/2; the loop checks it exactly. The
		// grid is no finer than 2^−1074, so a·2^{−e} stays representable below
		// the normal range too.
		_, exp := math.Frexp(sum)
		for e := min(52-exp, 1074); ; e-- {
			var total uint64
			for i := range n {
				a := math.RoundToEven(math.Ldexp(phi.At(i, j), e))
				out[i*d+j] = math.Ldexp(a, -e)
				total += uint64(math.Abs(a)) // |a| ≤ 2^52 and total stops past 2^53: no overflow
				if total > 1<<53 {
					break
				}
			}
			if total <= 1<<53 {
				break
			}
		}
	}
	return out, nil
}

// flipper draws label-noise samples and fills, for each, the ridge right-hand
// sides Φ̃ᵀ·onehot(y′) on the grid of onGrid (docs/science.md §3, §8, §10 "The sampled classifier's arithmetic").
//
// K = 2: one right-hand side Φ̃ᵀy′ per sample, each label flipped with
// probability q, by Φ̃ᵀy′ = Φ̃ᵀy + Σ_{i flipped} ψᵢ, ψᵢ = (1−2yᵢ)φ̃ᵢ, with
// tables of subset sums of ψ over blocks of width points.
// K ≥ 3: K right-hand sides per sample (column c = Σ_{y′ᵢ=c} φ̃ᵢ); each label
// is changed with probability q to one of the other K−1 classes uniformly, and
// each change moves φ̃ᵢ from column yᵢ to column y′ᵢ.
//
// On the grid every partial sum is exact, so the filled right-hand sides are
// exactly Σ_{y′ᵢ=c} φ̃ᵢ: a function of y′ alone, whatever y was.
type flipper struct {
	phi   []float64 // n×d row-major, φ̃ᵢ
	psi   []float64 // K = 2: n×d row-major, ψᵢ; nil for K ≥ 3
	base  []float64 // cols×d: Φ̃ᵀy (K = 2) or Φ̃ᵀ·onehot(y) (K ≥ 3)
	y     []int
	n, d  int
	k     int                  // classes
	cols  int                  // right-hand sides per sample: 1 if k = 2, else k
	width int                  // K = 2: training points per table block
	noise randstream.Bernoulli // the label-change bits, exactly Bernoulli(q)
}

// newFlipper prepares sampling for labels y ∈ {0..k−1}ⁿ and features phi
// (n×d row-major, normally onGrid's output) at noise level q.
func newFlipper(phi []float64, y []int, d, k int, q float64) *flipper {
	n := len(y)
	f := &flipper{phi: phi, y: y, n: n, d: d, k: k, cols: k, noise: randstream.NewBernoulli(q)}
	if k == 2 {
		f.cols = 1
		f.width = blockWidth(n, q, ChunkSize)
		f.psi = make([]float64, n*d)
	}
	f.base = make([]float64, f.cols*d)
	for i, yi := range y {
		row := phi[i*d : (i+1)*d]
		switch {
		case k > 2:
			floats.Add(f.base[yi*d:(yi+1)*d], row)
		case yi == 1:
			floats.Add(f.base, row)
			floats.ScaleTo(f.psi[i*d:(i+1)*d], -1, row)
		default:
			copy(f.psi[i*d:(i+1)*d], row)
		}
	}
	return f
}

// flipScratch is one worker's reusable memory for flipper.fill.
type flipScratch struct {
	table []float64          // the group's tables of 2^width × d subset sums of a block's ψ rows
	words []uint64           // the group's flip bits, ChunkSize/64 words per point, bit b of a word = sample b
	masks [ChunkSize]int32   // per sample: which of the current block's points flipped
	rows  [ChunkSize][]int32 // per sample: the group's table rows it adds
}

// chunkWords is the number of 64-lane flip words per training point in a chunk.
const chunkWords = ChunkSize / 64

// groupBytes bounds the memory of a group's tables, to stay in cache while
// the samples take their rows.
const groupBytes = 256 << 10

// groupBlocks is the number of blocks whose tables are built before the
// samples take their rows: a sample's right-hand side then adds the group's
// rows in one pass that keeps it in registers (vec.AddRows), instead of
// being read and written once per block.
func (f *flipper) groupBlocks() int {
	return min(64, max(1, groupBytes/((1<<f.width)*f.d*8)))
}

func (f *flipper) newScratch() *flipScratch {
	if f.k > 2 {
		return &flipScratch{}
	}
	g := f.groupBlocks()
	s := &flipScratch{
		table: make([]float64, g*(1<<f.width)*f.d),
		words: make([]uint64, g*f.width*chunkWords),
	}
	for b := range s.rows {
		s.rows[b] = make([]int32, 0, g)
	}
	return s
}

// fill sets rhs (ChunkSize·cols rows of d, row-major; row b·cols+c is sample
// b's right-hand side for class c) for ChunkSize fresh noise samples from rng.
// A chunk always draws all its samples, so sample b of a chunk is the same
// whether or not the caller uses the samples after it. Random numbers are drawn
// point by point: ChunkSize/64 flip words, and for K ≥ 3 after each word one
// new class per flip in it, whatever the table width.
func (f *flipper) fill(rhs []float64, rng *rand.PCG, s *flipScratch) {
	for b := range ChunkSize {
		copy(rhs[b*len(f.base):(b+1)*len(f.base)], f.base)
	}
	if f.k > 2 {
		f.fillMulti(rhs, rng)
		return
	}
	span := f.groupBlocks() * f.width
	for i0 := 0; i0 < f.n; i0 += span {
		words := s.words[:min(span, f.n-i0)*chunkWords]
		for r := range words {
			words[r] = f.noise.Word(rng)
		}
		f.addGroup(rhs, i0, words, s)
	}
}

// addGroup adds to each sample's row of rhs (K = 2) Σ ψᵢ over the points i
// from i0 on that flip in it: point i0+r flips in sample b iff bit b%64 of
// words[r·ChunkSize/64 + b/64] is set. The points form blocks of width, each
// with its table of subset sums; on the grid every sum is exact, so the
// order of the additions cannot change a bit (docs/science.md §10 "The
// sampled classifier's arithmetic").
func (f *flipper) addGroup(rhs []float64, i0 int, words []uint64, s *flipScratch) {
	d, points := f.d, len(words)/chunkWords
	for g := 0; g*f.width < points; g++ {
		lo := g * f.width
		w := min(f.width, points-lo)
		f.buildTable(s.table[g<<f.width*d:(g+1)<<f.width*d], i0+lo, w)
		// Transpose the block's flip bits into one mask per sample, touching
		// only set bits, then note each flipping sample's table row.
		var flipped [chunkWords]uint64
		for r := range w {
			for j, x := range words[(lo+r)*chunkWords : (lo+r+1)*chunkWords] {
				flipped[j] |= x
				for ; x != 0; x &= x - 1 {
					s.masks[j*64+bits.TrailingZeros64(x)] |= 1 << r
				}
			}
		}
		for j, x := range flipped {
			for ; x != 0; x &= x - 1 {
				b := j*64 + bits.TrailingZeros64(x)
				s.rows[b] = append(s.rows[b], int32(g<<f.width)|s.masks[b])
				s.masks[b] = 0
			}
		}
	}
	for b, rows := range s.rows {
		if len(rows) > 0 {
			vec.AddRows(rhs[b*d:(b+1)*d], s.table, d, rows)
			s.rows[b] = rows[:0]
		}
	}
}

// buildTable sets table[mask] = Σ_{r in mask} ψ_{i0+r} for the 2^w masks of
// the w points from i0 on, by doubling.
func (f *flipper) buildTable(table []float64, i0, w int) {
	d := f.d
	clear(table[:d])
	for r := range w {
		row := f.psi[(i0+r)*d : (i0+r+1)*d]
		for m := range 1 << r {
			e := m | 1<<r
			vec.AddTo(table[e*d:(e+1)*d], table[m*d:(m+1)*d], row)
		}
	}
}

// fillMulti applies K ≥ 3 noise to rhs, already set to the clean base: a
// changed label i moves φ̃ᵢ from its class's column to the new class's.
func (f *flipper) fillMulti(rhs []float64, rng *rand.PCG) {
	d, k := f.d, f.k
	for i, old := range f.y {
		row := f.phi[i*d : (i+1)*d]
		for j := range chunkWords {
			for x := f.noise.Word(rng); x != 0; x &= x - 1 {
				b := j*64 + bits.TrailingZeros64(x)
				c := (old + 1 + int(uniformBelow(rng, uint64(k-1)))) % k
				vec.Sub(rhs[(b*k+old)*d:(b*k+old+1)*d], row)
				vec.Add(rhs[(b*k+c)*d:(b*k+c+1)*d], row)
			}
		}
	}
}
