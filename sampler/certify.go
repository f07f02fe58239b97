package sampler

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"flipcert/decide"
	"flipcert/internal/vec"
	"flipcert/randstream"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// ChunkSize is the number of label samples drawn from one random stream.
// Chunk c of a phase holds samples c·ChunkSize … (c+1)·ChunkSize−1 and uses
// randstream.Source(Seed, Purpose+"/select" or Purpose+"/estimate", c); it is
// always drawn whole, so a sample does not depend on how many are used.
// Changing ChunkSize changes every result.
const ChunkSize = 256

// Config sets up CERTIFY (docs/science.md §3, §8).
type Config struct {
	// N0 is the number of selection samples that pick each point's class; N0 ≥ 1.
	N0 int
	// N lists the estimation sample counts N₁ < N₂ < …, N₁ ≥ 1, at which votes
	// are reported. The samples are nested: the first N₁ of the N₂ draws are
	// the N₁ draws. The votes at N[k] are exactly those of a run with
	// N = []int{N[k]}, and one run costs what its largest N costs.
	N []int
	// Q is the probability that a training label is changed, in (0, (K−1)/K):
	// it is then replaced by one of the other K−1 classes uniformly.
	Q float64
	// Classes is the number of classes K ≥ 2; labels are 0, …, K−1. If
	// Classes is 0, it defaults to 2.
	Classes int
	// Seed and Purpose key the random streams (package randstream), e.g.
	// Purpose "sampled q=0.1 lambda=1". Equal keys give equal results.
	Seed    uint64
	Purpose string
}

func (c Config) classes() int {
	if c.Classes == 0 {
		return 2
	}
	return c.Classes
}

func (c Config) validate() error {
	k := c.classes()
	switch {
	case k < 2:
		return fmt.Errorf("sampler: Classes = %d, want ≥ 2", c.Classes)
	case c.N0 < 1:
		return fmt.Errorf("sampler: N0 = %d, want ≥ 1", c.N0)
	case len(c.N) == 0:
		return errors.New("sampler: N is empty, want at least one sample count")
	case c.N[0] < 1:
		return fmt.Errorf("sampler: N[0] = %d, want ≥ 1", c.N[0])
	case !(c.Q > 0 && c.Q < float64(k-1)/float64(k)):
		return fmt.Errorf("sampler: Q = %g, want in (0, %d/%d) for %d classes", c.Q, k-1, k, k)
	}
	for i := 1; i < len(c.N); i++ {
		if c.N[i] <= c.N[i-1] {
			return fmt.Errorf("sampler: N = %v, want strictly increasing", c.N)
		}
	}
	return nil
}

// Result is what the samples say about one test point.
type Result struct {
	// Class is the class ĉ picked by the selection samples: for K = 2 class 1
	// iff at least half of them predict 1 (as the base rule s ≥ ½ breaks ties),
	// for K ≥ 3 the plurality class, ties to the lowest index.
	Class int
	// Votes[k][c] is the number of the first N[k] estimation samples on which
	// the base classifier predicts class c; Σ_c Votes[k][c] = N[k].
	Votes [][]int
}

// Certificate returns CERTIFY's outcome at checkpoint k (docs/science.md §3):
// count = Votes[k][Class] of the N[k] estimation samples, log ε = log(1−p̲)
// with p̲ = LowerBound(count, N[k], alpha), and abstain = p̲ ≤ ½. log ε is set
// even when abstaining. It panics if k is out of range or alpha ∉ (0, 1).
func (r Result) Certificate(k int, alpha float64) (count int, logEps float64, abstain bool) {
	n := 0
	for _, v := range r.Votes[k] {
		n += v
	}
	count = r.Votes[k][r.Class]
	p, logEps := LowerBound(count, n, alpha)
	return count, logEps, p <= 0.5
}

// ErrBadLabels reports labels outside 0, …, K−1.
var ErrBadLabels = errors.New("sampler: labels must be in 0, …, K−1")

// Certify samples the smoothed classifier of every row of test (m×d, the
// model's feature space) on shared label samples: N0 selection samples give
// each point its class ĉ, and the estimation samples its votes at each N[k].
//
// The base classifier on noisy labels y′ is one-hot ridge on the training
// features rounded to a fixed-point grid (docs/science.md §10 "The sampled classifier's arithmetic"): the right-hand
// sides Φ̃ᵀ·onehot(y′) are exact, the coefficients β_c(y′) come from the model's
// Cholesky factor, and the scores are s_c = φ(x)ᵀβ_c(y′). For K = 2 it keeps
// one score, s = φ(x)ᵀβ(Φ̃ᵀy′), and predicts class 1 iff s ≥ ½; for K ≥ 3 it
// predicts argmax_c s_c, ties to the lowest index. Each prediction is computed
// in an order fixed by y′ alone, so it is a function of y′: neither the clean
// labels y nor the sample's place in a chunk changes a bit of it.
//
// A sample costs O(q·n·d) to update the right-hand sides, O(K·d²) to solve
// and O(K·m·d) to score every test point; samples run in chunks of ChunkSize
// on min(GOMAXPROCS, chunks) goroutines, and the results do not depend on
// GOMAXPROCS. Memory is O(n·d + m·d + m·K·len(N)) shared plus O(K·d·ChunkSize)
// per goroutine, never O(n·N) or O(m·N).
//
// If progress is not nil it is called from Certify's goroutine after each chunk
// with the samples done so far and N0 + max N. Errors report a bad Config or
// data; Certify panics if model or test is nil.
func Certify(model *ridge.Model, y []int, test *mat.Dense, cfg Config, progress func(done, total int)) ([]Result, error) {
	if model == nil || test == nil {
		panic("sampler: Certify needs a model and test points")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	k := cfg.classes()
	phi := model.Design().Features()
	n, d := phi.Dims()
	m, td := test.Dims()
	if td != d {
		return nil, fmt.Errorf("sampler: test points have %d features, model has %d", td, d)
	}
	if len(y) != n {
		return nil, fmt.Errorf("sampler: %d labels for %d training points", len(y), n)
	}
	for i, yi := range y {
		if yi < 0 || yi >= k {
			return nil, fmt.Errorf("%w: y[%d] = %d with K = %d", ErrBadLabels, i, yi, k)
		}
		if !allFinite(phi.RawRowView(i)) {
			return nil, fmt.Errorf("sampler: training features of point %d are not finite", i)
		}
	}
	for j := range m {
		if !allFinite(test.RawRowView(j)) {
			return nil, fmt.Errorf("sampler: features of test point %d are not finite", j)
		}
	}
	grid, err := onGrid(phi)
	if err != nil {
		return nil, err
	}
	r := &run{
		flip:     newFlipper(grid, y, d, k, cfg.Q),
		model:    model,
		test:     test,
		m:        m,
		total:    cfg.N0 + cfg.N[len(cfg.N)-1],
		progress: progress,
	}
	sel := r.votes(cfg.Seed, cfg.Purpose+"/select", []int{cfg.N0})
	est := r.votes(cfg.Seed, cfg.Purpose+"/estimate", cfg.N)
	out := make([]Result, m)
	votes := make([][]int, m*len(cfg.N))
	for j := range out {
		out[j].Class = decide.Votes(sel[j*k : (j+1)*k])
		out[j].Votes = votes[j*len(cfg.N) : (j+1)*len(cfg.N)]
		for s := range cfg.N {
			out[j].Votes[s] = est[(s*m+j)*k : (s*m+j+1)*k]
		}
	}
	return out, nil
}

// run holds what every chunk of both phases shares.
type run struct {
	flip     *flipper
	model    *ridge.Model
	test     *mat.Dense
	m        int
	done     int // samples finished, across phases
	total    int
	progress func(done, total int)
}

// votes draws ends[len(ends)−1] label samples in chunks and returns the votes
// of the first ends[s] of them, laid out [s][test point][class].
func (r *run) votes(seed uint64, purpose string, ends []int) []int {
	samples := ends[len(ends)-1]
	chunks := (samples + ChunkSize - 1) / ChunkSize
	workers := min(runtime.GOMAXPROCS(0), chunks)
	// Votes per segment [ends[s−1], ends[s]), shared by the goroutines: integer
	// sums, so the split of chunks among goroutines cannot change the totals.
	counts := make([]int64, len(ends)*r.m*r.flip.k)
	var next atomic.Int64
	finished := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			c := newChunkState(r)
			for {
				chunk := int(next.Add(1) - 1)
				if chunk >= chunks {
					return
				}
				first := chunk * ChunkSize
				size := min(ChunkSize, samples-first)
				c.run(randstream.Source(seed, purpose, uint64(chunk)), first, size, ends, counts)
				finished <- size
			}
		})
	}
	go func() {
		wg.Wait()
		close(finished)
	}()
	for size := range finished {
		r.done += size
		if r.progress != nil {
			r.progress(r.done, r.total)
		}
	}
	// Segments to prefixes: the votes of the first ends[s] samples.
	total := make([]int, len(counts))
	seg := r.m * r.flip.k
	for i, v := range counts {
		total[i] = int(v)
		if i >= seg {
			total[i] += total[i-seg]
		}
	}
	return total
}

// chunkState is one goroutine's buffers: right-hand sides (ChunkSize·cols×d),
// coefficients (d×ChunkSize·cols) and scoreRows test points' scores for a block of
// samples.
type chunkState struct {
	r       *run
	scratch *flipScratch
	rhs     []float64
	coef    []float64
	scores  []float64
	votes   []int // one test point's votes in one span
	spans   []span
}

// span is the part [lo, hi) of a chunk's samples that falls in segment seg.
type span struct{ seg, lo, hi int }

// scoreRows is the number of test points scored together: vec.MatMul keeps
// four rows of scores in registers.
const scoreRows = 4

// scoreBlock is the number of score columns computed per test point at a
// time (at least one sample's K): the coefficient block it reads
// (d×scoreBlock) stays in cache for every test point, even when K·ChunkSize
// columns would not.
const scoreBlock = ChunkSize

func newChunkState(r *run) *chunkState {
	f := r.flip
	return &chunkState{
		r:       r,
		scratch: f.newScratch(),
		rhs:     make([]float64, ChunkSize*f.cols*f.d),
		coef:    make([]float64, f.d*ChunkSize*f.cols),
		scores:  make([]float64, scoreRows*max(scoreBlock, f.cols)),
		votes:   make([]int, f.k),
	}
}

// run draws the chunk whose first sample is first, and adds the votes of its
// first size samples to counts (atomically), by segment of ends.
func (c *chunkState) run(rng *rand.PCG, first, size int, ends []int, counts []int64) {
	f := c.r.flip
	f.fill(c.rhs, rng, c.scratch)
	coef := c.solve(size)
	c.spans = c.spans[:0]
	lo := first
	for s, end := range ends {
		if end > lo {
			hi := min(end, first+size)
			c.spans = append(c.spans, span{s, lo - first, hi - first})
			if lo = hi; lo == first+size {
				break
			}
		}
	}
	per := max(1, scoreBlock/f.cols) // samples per block of score columns
	test, cm := c.r.test.RawMatrix(), coef.RawMatrix()
	for b0 := 0; b0 < size; b0 += per {
		b1 := min(size, b0+per)
		cols := (b1 - b0) * f.cols
		for i0 := 0; i0 < c.r.m; i0 += scoreRows {
			rows := min(scoreRows, c.r.m-i0)
			// Each score is ((0 + x₀β₀) + x₁β₁) + … in this order, whatever
			// the block (docs/science.md §10 "The sampled classifier's arithmetic").
			vec.MatMul(c.scores, test.Data[i0*test.Stride:], test.Stride, rows, f.d, cm.Data[b0*f.cols:], cm.Stride, cols)
			for r := range rows {
				c.count(counts, i0+r, c.scores[r*cols:(r+1)*cols], b0, b1)
			}
		}
	}
}

// count adds to counts (atomically) test point i's votes on samples b0 … b1−1
// of the chunk, whose scores are given (cols per sample), by segment.
func (c *chunkState) count(counts []int64, i int, scores []float64, b0, b1 int) {
	cols := c.r.flip.cols
	for _, sp := range c.spans {
		lo, hi := max(sp.lo, b0), min(sp.hi, b1)
		if lo >= hi {
			continue
		}
		clear(c.votes)
		tally(c.votes, scores[(lo-b0)*cols:(hi-b0)*cols])
		at := (sp.seg*c.r.m + i) * len(c.votes)
		for class, v := range c.votes {
			if v != 0 {
				atomic.AddInt64(&counts[at+class], int64(v))
			}
		}
	}
}

// solve returns the coefficients (d × size·cols) of the first size samples'
// right-hand sides. gonum's Cholesky solve runs two triangular solves whose
// every step updates all columns alike (a scaling or an axpy across the
// row), so each column's result does not depend on the others or on how many
// there are (docs/science.md §10 "The sampled classifier's arithmetic").
func (c *chunkState) solve(size int) *mat.Dense {
	d := c.r.flip.d
	w := size * c.r.flip.cols
	coef := mat.NewDense(d, w, c.coef[:d*w])
	c.r.model.Solve(coef, mat.NewDense(w, d, c.rhs[:w*d]).T())
	return coef
}

// tally adds to votes (one count per class) the predictions of the samples
// whose scores are given, len(votes) per sample, or one per sample (the score
// of class 1) for two classes, under the rule of package decide.
func tally(votes []int, scores []float64) {
	k := len(votes)
	if k == 2 {
		ones := 0
		for _, s := range scores {
			ones += decide.Binary(s)
		}
		votes[1] += ones
		votes[0] += len(scores) - ones
		return
	}
	for b := 0; b < len(scores); b += k {
		votes[decide.Argmax(scores[b:b+k])]++
	}
}

// allFinite reports whether no entry is NaN or ±Inf; such features would make
// every score NaN and silently vote class 0.
func allFinite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
