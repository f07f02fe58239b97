package sampler

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"

	"flipcert/analytic"
	"flipcert/internal/vec"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// problem is a small random ridge problem: features with an intercept column
// and labels in 0..k−1.
type problem struct {
	model *ridge.Model
	phi   *mat.Dense
	y     []int
	k     int
	test  *mat.Dense
}

func newProblem(t testing.TB, seed uint64, n, d, m, k int, lambda float64) problem {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	rows := func(r int) *mat.Dense {
		x := mat.NewDense(r, d, nil)
		for i := range r {
			for j := range d - 1 {
				x.Set(i, j, rng.NormFloat64())
			}
			x.Set(i, d-1, 1)
		}
		return x
	}
	phi, test := rows(n), rows(m)
	y := make([]int, n)
	for i := range y {
		// Labels loosely follow the first feature, cut at k−1 evenly spaced
		// thresholds (0 for two classes), so scores spread between classes.
		v := phi.At(i, 0) + 0.7*rng.NormFloat64()
		for c := 1; c < k; c++ {
			if v > (float64(c)-float64(k)/2)*2.4/float64(k) {
				y[i] = c
			}
		}
	}
	model, err := ridge.NewDesign(phi, true).Fit(lambda)
	if err != nil {
		t.Fatal(err)
	}
	return problem{model, phi, y, k, test}
}

// exactProbs enumerates all Kⁿ noisy labelings y′, each weighted
// (1−q)^{#kept}(q/(K−1))^{#changed}, and returns per test point the exact
// probability of each class under the base classifier. The classifier is
// rebuilt independently of the sampler: ridge's own Coefficients on the
// unrounded features, class 1 iff s ≥ ½ for K = 2, else the argmax of the
// one-hot scores with ties to the lowest index.
func exactProbs(pr problem, q float64) [][]float64 {
	n, k := len(pr.y), pr.k
	m, _ := pr.test.Dims()
	probs := make([][]float64, m)
	for j := range probs {
		probs[j] = make([]float64, k)
	}
	yp := make([]int, n)
	target := make([]float64, n)
	scores := make([][]float64, m)
	for j := range scores {
		scores[j] = make([]float64, k)
	}
	total := int(math.Pow(float64(k), float64(n)))
	for idx := range total {
		w := 1.0
		for i, rest := 0, idx; i < n; i, rest = i+1, rest/k {
			yp[i] = rest % k
			if yp[i] == pr.y[i] {
				w *= 1 - q
			} else {
				w *= q / float64(k-1)
			}
		}
		for c := range k {
			if k == 2 && c == 0 {
				continue // the binary rule reads one score
			}
			for i, v := range yp {
				target[i] = float64(btoi(v == c))
			}
			beta := pr.model.Coefficients(target)
			for j := range m {
				scores[j][c] = mat.Dot(pr.test.RowView(j), beta)
			}
		}
		for j := range m {
			best := 0
			if k == 2 {
				best = btoi(scores[j][1] >= 0.5)
			} else {
				for c, s := range scores[j] {
					if s > scores[j][best] {
						best = c
					}
				}
			}
			probs[j][best] += w
		}
	}
	return probs
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCertifyMatchesEnumeration: at every checkpoint the votes for each class,
// and the votes against a reference class (the exact most likely one), lie
// within their two-sided Clopper-Pearson intervals around the exact
// probabilities; the certificate's p̲ is below the exact probability of its
// class; and the selection picks the exact plurality class where it is clear.
func TestCertifyMatchesEnumeration(t *testing.T) {
	const alpha = 1e-6 // a few hundred intervals: a miss is a bug, not bad luck
	for _, tc := range []struct {
		n, d, m, k int
		lambda, q  float64
		seed       uint64
	}{
		{12, 3, 8, 2, 1, 0.2, 1},
		{11, 4, 8, 2, 0.1, 0.4, 2},
		{13, 2, 6, 2, 3, 0.05, 3},
		{8, 3, 8, 3, 1, 0.3, 4},
		{7, 4, 6, 3, 0.3, 0.6, 5},
		{6, 3, 6, 4, 0.5, 0.2, 6},
	} {
		pr := newProblem(t, tc.seed, tc.n, tc.d, tc.m, tc.k, tc.lambda)
		exact := exactProbs(pr, tc.q)
		cfg := Config{N0: 400, N: []int{2000, 20000}, Q: tc.q, Classes: tc.k, Seed: tc.seed, Purpose: "enumeration"}
		res, err := Certify(pr.model, pr.y, pr.test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			p := exact[j]
			ref := 0 // the exact plurality class
			for c := range p {
				if p[c] > p[ref] {
					ref = c
				}
			}
			second := 0.0
			for c, v := range p {
				if c != ref {
					second = max(second, v)
				}
			}
			if p[ref]-second > 8*0.5/math.Sqrt(float64(cfg.N0)) && r.Class != ref {
				t.Errorf("%+v point %d: class %d, exact probabilities %.4f", tc, j, r.Class, p)
			}
			for s, n := range cfg.N {
				for c := range tc.k {
					checkInInterval(t, fmt.Sprintf("%+v point %d N=%d class %d", tc, j, n, c), r.Votes[s][c], n, alpha, p[c])
				}
				wrongP := 0.0 // P(h ≠ ref), summed from the small terms
				for c, v := range p {
					if c != ref {
						wrongP += v
					}
				}
				checkInInterval(t, fmt.Sprintf("%+v point %d N=%d wrong", tc, j, n), n-r.Votes[s][ref], n, alpha, wrongP)
				// With alpha = 0.001 over these points a violation is a bug.
				if _, logEps, _ := r.Certificate(s, 0.001); -math.Expm1(logEps) > p[r.Class] {
					t.Errorf("%+v point %d N=%d: p̲ = %.4f above exact %.4f", tc, j, n, -math.Expm1(logEps), p[r.Class])
				}
			}
		}
	}
}

func checkInInterval(t *testing.T, name string, count, n int, alpha, p float64) {
	t.Helper()
	lo, hi := Interval(count, n, alpha)
	// 1e-12: the enumeration's own rounding.
	if p < lo-1e-12 || p > hi+1e-12 {
		t.Errorf("%s: %d of %d, interval [%.5f, %.5f], exact %.5f", name, count, n, lo, hi, p)
	}
}

// TestCertifyRespectsAnalyticBound: the Chernoff bound of package analytic says
// P(class c_a) ≥ 1 − exp(LogEps_a) for its class c_a; the sampled share of c_a
// must not fall below that by more than 4 standard deviations.
func TestCertifyRespectsAnalyticBound(t *testing.T) {
	for _, tc := range []struct {
		lambda, q float64
		seed      uint64
	}{{30, 0.1, 1}, {300, 0.3, 2}, {3, 0.02, 3}} {
		pr := newProblem(t, tc.seed, 400, 4, 30, 2, tc.lambda)
		cfg := Config{N0: 100, N: []int{4000}, Q: tc.q, Seed: tc.seed, Purpose: "analytic"}
		res, err := Certify(pr.model, pr.y, pr.test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var kernel mat.Dense
		pr.model.Kernel(&kernel, pr.test, nil)
		informative := 0
		for j, r := range res {
			a := analytic.Certify(kernel.RawRowView(j), pr.y, 2, tc.q, 0)
			bound := -math.Expm1(a.LogEps)
			if bound > 0.6 {
				informative++
			}
			share := float64(r.Votes[0][a.Class]) / float64(cfg.N[0])
			if sd := math.Sqrt(bound * (1 - bound) / float64(cfg.N[0])); share < bound-4*sd-1e-12 {
				t.Errorf("%+v point %d: sampled share of class %d = %.4f < analytic bound %.4f", tc, j, a.Class, share, bound)
			}
		}
		if informative == 0 {
			t.Errorf("%+v: no point has an analytic bound above 0.6; the check is vacuous", tc)
		}
	}
}

// TestCertifyHugeMargin: two far-apart clusters whose noisy label means can
// never cross ½ (P < 1e-40 per sample at q = 0.05 with 100 points each), so
// every estimation sample votes for the cluster's label and the count is N at
// every checkpoint.
func TestCertifyHugeMargin(t *testing.T) {
	const per = 100
	rng := rand.New(rand.NewPCG(5, 5))
	phi := mat.NewDense(2*per, 2, nil)
	y := make([]int, 2*per)
	for i := range 2 * per {
		x := -1.0
		if i >= per {
			x, y[i] = 1, 1
		}
		phi.Set(i, 0, x+0.01*rng.NormFloat64())
		phi.Set(i, 1, 1)
	}
	model, err := ridge.NewDesign(phi, true).Fit(1e-3)
	if err != nil {
		t.Fatal(err)
	}
	test := mat.NewDense(4, 2, []float64{-1, 1, 1, 1, -0.8, 1, 0.9, 1})
	wantClass := []int{0, 1, 0, 1}
	const alpha = 0.001
	cfg := Config{N0: 10, N: []int{1, 300, 1000}, Q: 0.05, Seed: 1, Purpose: "margin"}
	res, err := Certify(model, y, test, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	for s, n := range cfg.N {
		wantLog := math.Log(-math.Expm1(math.Log(alpha) / float64(n)))
		for j, r := range res {
			count, logEps, abstain := r.Certificate(s, alpha)
			// LowerBound's safe-side margin raises log ε by a few ulps here.
			if r.Class != wantClass[j] || count != n || logEps < wantLog || logEps-wantLog > 1e-14*max(1, math.Abs(wantLog)) {
				t.Errorf("N=%d point %d: class %d, count %d, log ε %v; want class %d, count %d, log ε %v", n, j, r.Class, count, logEps, wantClass[j], n, wantLog)
			}
			// 1−alpha^{1/N} > ½ iff N = 1 here: one sample cannot certify.
			if abstain != (n == 1) {
				t.Errorf("N=%d point %d: abstain = %v", n, j, abstain)
			}
		}
	}
}

// TestCertifyNested: the votes at each checkpoint of a list equal, byte for
// byte, those of a run with that N alone, whether it ends inside a chunk or on
// a chunk boundary.
func TestCertifyNested(t *testing.T) {
	for _, k := range []int{2, 3} {
		pr := newProblem(t, 8, 150, 4, 25, k, 5)
		cfg := Config{N0: 100, N: []int{1, 200, 256, 300, 512, 1100}, Q: 0.3, Classes: k, Seed: 3, Purpose: "nested"}
		all, err := Certify(pr.model, pr.y, pr.test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for s, n := range cfg.N {
			one := cfg
			one.N = []int{n}
			alone, err := Certify(pr.model, pr.y, pr.test, one, nil)
			if err != nil {
				t.Fatal(err)
			}
			for j := range all {
				if all[j].Class != alone[j].Class || !reflect.DeepEqual(all[j].Votes[s], alone[j].Votes[0]) {
					t.Errorf("K=%d N=%d point %d: nested class %d votes %v, alone class %d votes %v",
						k, n, j, all[j].Class, all[j].Votes[s], alone[j].Class, alone[j].Votes[0])
				}
				sum := 0
				for _, v := range all[j].Votes[s] {
					sum += v
				}
				if sum != n {
					t.Errorf("K=%d N=%d point %d: votes %v sum to %d", k, n, j, all[j].Votes[s], sum)
				}
			}
		}
	}
}

func TestCertifyDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for _, k := range []int{2, 3} {
		pr := newProblem(t, 7, 300, 5, 40, k, 10)
		cfg := Config{N0: 300, N: []int{700, 1000}, Q: 0.3, Classes: k, Seed: 11, Purpose: "determinism"}
		total := cfg.N0 + cfg.N[len(cfg.N)-1]
		var want []Result
		for _, tc := range []struct {
			procs    int
			progress bool
		}{{1, false}, {2, false}, {2, true}, {1, true}, {3, false}} {
			runtime.GOMAXPROCS(tc.procs)
			var calls []int
			var progress func(done, total int)
			if tc.progress {
				progress = func(done, tot int) {
					if tot != total {
						t.Errorf("progress total %d, want %d", tot, total)
					}
					calls = append(calls, done)
				}
			}
			got, err := Certify(pr.model, pr.y, pr.test, cfg, progress)
			if err != nil {
				t.Fatal(err)
			}
			if want == nil {
				want = got
			} else if !reflect.DeepEqual(got, want) {
				t.Errorf("K=%d GOMAXPROCS=%d progress=%v: results differ from GOMAXPROCS=1", k, tc.procs, tc.progress)
			}
			if tc.progress {
				// 2 chunks of selection, 4 of estimation.
				if len(calls) != 6 || calls[len(calls)-1] != total {
					t.Errorf("K=%d GOMAXPROCS=%d: progress calls %v", k, tc.procs, calls)
				}
				for i := 1; i < len(calls); i++ {
					if calls[i] <= calls[i-1] {
						t.Errorf("progress not increasing: %v", calls)
					}
				}
			}
		}
		// A different seed must give different samples (else the test above is vacuous).
		cfg.Seed++
		other, err := Certify(pr.model, pr.y, pr.test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(other, want) {
			t.Errorf("K=%d: seed change left every count unchanged", k)
		}
	}
}

// TestPredictionsFunctionOfNoisyLabels builds the same noisy labels y′ from
// two clean label vectors y¹ and y² = y¹ ⊕ D, with flips F and F ⊕ D, and
// places each sample at the mirrored position of a chunk. On the grid the
// right-hand sides, the coefficients' scores and so the predictions agree bit
// for bit, also when only a prefix of the chunk is solved; on the raw
// features some right-hand side differs, so the test can tell.
func TestPredictionsFunctionOfNoisyLabels(t *testing.T) {
	const q = 0.3
	pr := newProblem(t, 6, 300, 6, 40, 2, 10)
	n, d := pr.phi.Dims()
	m, _ := pr.test.Dims()
	rng := rand.New(rand.NewPCG(6, 6))
	y2 := make([]int, n)
	diff := make([]uint64, n) // all ones where y² differs from y¹
	for i, yi := range pr.y {
		y2[i] = yi
		if rng.IntN(3) == 0 {
			y2[i], diff[i] = 1-yi, ^uint64(0)
		}
	}
	grid, err := onGrid(pr.phi)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		phi  []float64
	}{{"grid", grid}, {"raw", pr.phi.RawMatrix().Data}} {
		f1 := newFlipper(tc.phi, pr.y, d, 2, q)
		f2 := newFlipper(tc.phi, y2, d, 2, q)
		c1 := newChunkState(&run{flip: f1, model: pr.model, test: pr.test, m: m})
		c2 := newChunkState(&run{flip: f2, model: pr.model, test: pr.test, m: m})
		f1.fill(c1.rhs, rand.NewPCG(1, 2), c1.scratch)
		// Replay F; sample b of chunk 2 is sample ChunkSize−1−b of chunk 1,
		// so its flip bits are F's reversed across the chunk, then ⊕ D.
		replay := rand.NewPCG(1, 2)
		words := make([]uint64, n*chunkWords)
		for i := range n {
			for j := range chunkWords {
				words[i*chunkWords+chunkWords-1-j] = bits.Reverse64(f1.noise.Word(replay)) ^ diff[i]
			}
		}
		for b := range ChunkSize {
			copy(c2.rhs[b*d:(b+1)*d], f2.base)
		}
		for i0, span := 0, f2.groupBlocks()*f2.width; i0 < n; i0 += span {
			f2.addGroup(c2.rhs, i0, words[i0*chunkWords:min(n, i0+span)*chunkWords], c2.scratch)
		}
		mirror := func(b int) int { return ChunkSize - 1 - b }
		rhsDiffer := 0
		for b := range ChunkSize {
			if !bitwiseEqual(c1.rhs[b*d:(b+1)*d], c2.rhs[mirror(b)*d:(mirror(b)+1)*d]) {
				rhsDiffer++
			}
		}
		if tc.name == "raw" {
			if rhsDiffer == 0 {
				t.Error("raw features: every right-hand side agrees; the grid test below proves nothing")
			}
			continue
		}
		if rhsDiffer > 0 {
			t.Fatalf("grid: %d right-hand sides differ for equal y′", rhsDiffer)
		}
		s1 := allScores(pr.test, c1.solve(ChunkSize))
		for _, size := range []int{ChunkSize, 37, 1} {
			all2 := allScores(pr.test, c2.solve(size))
			for i := range m {
				s2 := all2[i]
				for b := range size {
					if math.Float64bits(s2[b]) != math.Float64bits(s1[i][mirror(b)]) {
						t.Fatalf("solved %d: test point %d, sample %d: score %v, the same y′ elsewhere %v", size, i, b, s2[b], s1[i][mirror(b)])
					}
				}
			}
		}
	}
}

// allScores returns every test point's scores on every column of coef, tiled
// as Certify tiles them.
func allScores(test, coef *mat.Dense) [][]float64 {
	m, d := test.Dims()
	_, cols := coef.Dims()
	tx, cm := test.RawMatrix(), coef.RawMatrix()
	out := make([][]float64, m)
	buf := make([]float64, scoreRows*cols)
	for i0 := 0; i0 < m; i0 += scoreRows {
		rows := min(scoreRows, m-i0)
		vec.MatMul(buf, tx.Data[i0*tx.Stride:], tx.Stride, rows, d, cm.Data, cm.Stride, cols)
		for r := range rows {
			out[i0+r] = slices.Clone(buf[r*cols : (r+1)*cols])
		}
	}
	return out
}

func bitwiseEqual(a, b []float64) bool {
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func TestCertifyRejects(t *testing.T) {
	pr := newProblem(t, 1, 20, 3, 2, 2, 1)
	good := Config{N0: 10, N: []int{10}, Q: 0.1}
	labels3 := append(append([]int{}, pr.y[1:]...), 2)
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		y    []int
		test *mat.Dense
	}{
		{name: "N0", cfg: func(c *Config) { c.N0 = 0 }},
		{name: "N empty", cfg: func(c *Config) { c.N = nil }},
		{name: "N negative", cfg: func(c *Config) { c.N = []int{-1} }},
		{name: "N zero", cfg: func(c *Config) { c.N = []int{0, 5} }},
		{name: "N equal", cfg: func(c *Config) { c.N = []int{5, 5} }},
		{name: "N decreasing", cfg: func(c *Config) { c.N = []int{10, 5} }},
		{name: "classes 1", cfg: func(c *Config) { c.Classes = 1 }},
		{name: "q 0", cfg: func(c *Config) { c.Q = 0 }},
		{name: "q ½", cfg: func(c *Config) { c.Q = 0.5 }},
		{name: "q ⅔ for 3 classes", cfg: func(c *Config) { c.Q, c.Classes = 2.0/3, 3 }},
		{name: "q NaN", cfg: func(c *Config) { c.Q = math.NaN() }},
		{name: "short y", y: pr.y[:5]},
		{name: "label 2", y: labels3},
		{name: "test dims", test: mat.NewDense(2, 4, nil)},
		{name: "test NaN", test: mat.NewDense(1, 3, []float64{0, math.NaN(), 1})},
	} {
		cfg, y, test := good, pr.y, pr.test
		if tc.cfg != nil {
			tc.cfg(&cfg)
		}
		if tc.y != nil {
			y = tc.y
		}
		if tc.test != nil {
			test = tc.test
		}
		if _, err := Certify(pr.model, y, test, cfg, nil); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	bad := append(append([]int{}, pr.y[1:]...), -1)
	if _, err := Certify(pr.model, bad, pr.test, good, nil); !errors.Is(err, ErrBadLabels) {
		t.Errorf("label -1: err = %v, want ErrBadLabels", err)
	}
	for _, cfg := range []Config{good, {N0: 10, N: []int{10, 20}, Q: 0.6, Classes: 3}} {
		y := pr.y
		if cfg.Classes == 3 {
			y = labels3
		}
		if _, err := Certify(pr.model, y, pr.test, cfg, nil); err != nil {
			t.Errorf("good config %+v rejected: %v", cfg, err)
		}
	}
}
