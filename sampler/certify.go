package sampler

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"flipcert/randstream"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// ChunkSize is the number of label samples drawn from one random stream.
// Chunk c of a phase uses randstream.Source(Seed, Purpose+"/select" or
// Purpose+"/estimate", c); changing ChunkSize changes every result.
const ChunkSize = 256

// Config sets up CERTIFY (docs/science.md §3).
type Config struct {
	// N0 is the number of selection samples that pick each point's class; N0 ≥ 1.
	N0 int
	// N is the number of fresh estimation samples behind the bound; N ≥ 1.
	N int
	// Alpha is the failure probability of each point's bound, in (0, 1).
	Alpha float64
	// Q is the probability that each training label flips, in (0, ½).
	Q float64
	// Seed and Purpose key the random streams (package randstream), e.g.
	// Purpose "sampled q=0.1 lambda=1". Equal keys give equal results.
	Seed    uint64
	Purpose string
}

func (c Config) validate() error {
	switch {
	case c.N0 < 1:
		return fmt.Errorf("sampler: N0 = %d, want ≥ 1", c.N0)
	case c.N < 1:
		return fmt.Errorf("sampler: N = %d, want ≥ 1", c.N)
	case !(c.Alpha > 0 && c.Alpha < 1):
		return fmt.Errorf("sampler: Alpha = %g, want in (0, 1)", c.Alpha)
	case !(c.Q > 0 && c.Q < 0.5):
		return fmt.Errorf("sampler: Q = %g, want in (0, ½)", c.Q)
	}
	return nil
}

// Result is the certificate of one test point.
type Result struct {
	// Class is the majority class ĉ ∈ {0, 1} of the selection samples; a tie
	// goes to class 1, as the base rule s ≥ ½ does.
	Class int
	// Count is k, the votes for Class among the N estimation samples.
	Count int
	// LogEps is log(1−p̲), p̲ = LowerBound(Count, N, Alpha): the log of the
	// bound on the other class's probability, set even when abstaining.
	LogEps float64
	// Abstain is true when p̲ ≤ ½: the samples do not certify Class at level 1−Alpha.
	Abstain bool
}

// ErrBadLabels reports labels outside {0, 1}.
var ErrBadLabels = errors.New("sampler: labels must be 0 or 1")

// Certify runs CERTIFY for every row of test (m×d, the model's feature space)
// on shared label samples: N0 selection samples give each point its class ĉ,
// N fresh samples count k = #{f(y′) = ĉ}, and the point is certified with
// ε = 1 − p̲ unless p̲ ≤ ½. The base classifier on labels y′ predicts class 1
// iff φ(x)ᵀβ(y′) ≥ ½, β(y′) = (ΦᵀΦ+λD)⁻¹Φᵀy′.
//
// Samples are processed in chunks of ChunkSize by min(GOMAXPROCS, chunks)
// goroutines; memory is O(nd + md) shared plus O(m·ChunkSize) per goroutine,
// never O(n·N).
// If progress is not nil it is called from Certify's goroutine after each chunk
// with the samples done so far and N0+N. Errors report a bad Config or data.
func Certify(model *ridge.Model, y []int, test *mat.Dense, cfg Config, progress func(done, total int)) ([]Result, error) {
	if model == nil || test == nil {
		panic("sampler: Certify needs a model and test points")
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	phi := model.Design().Features()
	n, d := phi.Dims()
	m, td := test.Dims()
	if td != d {
		return nil, fmt.Errorf("sampler: test points have %d features, model has %d", td, d)
	}
	if len(y) != n {
		return nil, fmt.Errorf("sampler: %d labels for %d training points", len(y), n)
	}
	f := &flipper{
		psi:    make([]float64, n*d),
		base:   make([]float64, d),
		n:      n,
		d:      d,
		width:  blockWidth(n, cfg.Q, ChunkSize),
		digits: binaryDigits(cfg.Q),
	}
	for i, yi := range y {
		if yi != 0 && yi != 1 {
			return nil, fmt.Errorf("%w: y[%d] = %d", ErrBadLabels, i, yi)
		}
		row := phi.RawRowView(i)
		if !allFinite(row) {
			return nil, fmt.Errorf("sampler: training features of point %d are not finite", i)
		}
		sign := float64(1 - 2*yi)
		for j, v := range row {
			f.psi[i*d+j] = sign * v
			f.base[j] += float64(yi) * v
		}
	}
	for j := range m {
		if !allFinite(test.RawRowView(j)) {
			return nil, fmt.Errorf("sampler: features of test point %d are not finite", j)
		}
	}
	r := &run{flip: f, model: model, test: test, m: m, total: cfg.N0 + cfg.N, progress: progress}
	sel, err := r.votes(cfg.Seed, cfg.Purpose+"/select", cfg.N0)
	if err != nil {
		return nil, err
	}
	est, err := r.votes(cfg.Seed, cfg.Purpose+"/estimate", cfg.N)
	if err != nil {
		return nil, err
	}
	out := make([]Result, m)
	bounds := map[int][2]float64{} // many points share k (often k = N): solve once
	for j := range out {
		class, k := 0, cfg.N-est[j]
		if 2*sel[j] >= cfg.N0 {
			class, k = 1, est[j]
		}
		b, ok := bounds[k]
		if !ok {
			p, logEps := LowerBound(k, cfg.N, cfg.Alpha)
			b = [2]float64{p, logEps}
			bounds[k] = b
		}
		out[j] = Result{Class: class, Count: k, LogEps: b[1], Abstain: b[0] <= 0.5}
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

// votes draws samples label vectors in chunks and returns, per test point, how
// many of them the base classifier sends to class 1.
func (r *run) votes(seed uint64, purpose string, samples int) ([]int, error) {
	chunks := (samples + ChunkSize - 1) / ChunkSize
	workers := min(runtime.GOMAXPROCS(0), chunks)
	counts := make([][]int, workers)
	errs := make([]error, workers)
	var next atomic.Int64
	var failed atomic.Bool
	finished := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			counts[w] = make([]int, r.m)
			c := newChunkState(r, ChunkSize)
			for !failed.Load() {
				chunk := int(next.Add(1) - 1)
				if chunk >= chunks {
					return
				}
				size := min(ChunkSize, samples-chunk*ChunkSize)
				if err := c.run(randstream.Source(seed, purpose, uint64(chunk)), size, counts[w]); err != nil {
					errs[w] = err
					failed.Store(true)
					return
				}
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
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	total := make([]int, r.m)
	for _, cw := range counts {
		for j, v := range cw {
			total[j] += v
		}
	}
	return total, nil
}

// chunkState is one goroutine's buffers: right-hand sides Φᵀy′ (B×d),
// coefficients (d×B) and scores (m×B).
type chunkState struct {
	r       *run
	scratch *flipScratch
	rhs     []float64
	coef    []float64
	scores  []float64
}

func newChunkState(r *run, chunk int) *chunkState {
	d := r.flip.d
	return &chunkState{
		r:       r,
		scratch: r.flip.newScratch(chunk),
		rhs:     make([]float64, chunk*d),
		coef:    make([]float64, d*chunk),
		scores:  make([]float64, r.m*chunk),
	}
}

// run draws size samples from rng and adds each test point's class-1 votes to counts.
func (c *chunkState) run(rng *rand.PCG, size int, counts []int) error {
	d, m := c.r.flip.d, c.r.m
	rhs := c.rhs[:size*d]
	c.r.flip.fill(rhs, rng, c.scratch)
	coef := mat.NewDense(d, size, c.coef[:d*size])
	c.r.model.Solve(coef, mat.NewDense(size, d, rhs).T())
	scores := mat.NewDense(m, size, c.scores[:m*size])
	scores.Mul(c.r.test, coef)
	for j := range m {
		v := 0
		for _, s := range scores.RawRowView(j) {
			if s >= 0.5 {
				v++
			}
		}
		counts[j] += v
	}
	return nil
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
