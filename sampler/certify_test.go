package sampler

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"flipcert/analytic"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// problem is a small random ridge problem: features with an intercept column.
type problem struct {
	model *ridge.Model
	phi   *mat.Dense
	y     []int
	test  *mat.Dense
}

func newProblem(t testing.TB, seed uint64, n, d, m int, lambda float64) problem {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 99))
	rows := func(k int) *mat.Dense {
		x := mat.NewDense(k, d, nil)
		for i := range k {
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
		// Labels loosely follow the first feature, so scores spread around ½.
		if phi.At(i, 0)+0.7*rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	model, err := ridge.NewDesign(phi, true).Fit(lambda)
	if err != nil {
		t.Fatal(err)
	}
	return problem{model, phi, y, test}
}

// exactClassOne enumerates all 2^n flip patterns and returns, per test point,
// P(φ(x)ᵀβ(y′) ≥ ½) with pattern weight q^{#flips}(1−q)^{n−#flips}; β comes
// from ridge's own Coefficients, not from the sampler's incremental update.
func exactClassOne(pr problem, q float64) []float64 {
	n := len(pr.y)
	m, _ := pr.test.Dims()
	probs := make([]float64, m)
	yp := make([]float64, n)
	for pattern := range 1 << n {
		flips := 0
		for i, yi := range pr.y {
			yp[i] = float64(yi)
			if pattern>>i&1 == 1 {
				yp[i] = float64(1 - yi)
				flips++
			}
		}
		w := math.Pow(q, float64(flips)) * math.Pow(1-q, float64(n-flips))
		beta := pr.model.Coefficients(yp)
		for j := range m {
			if mat.Dot(pr.test.RowView(j), beta) >= 0.5 {
				probs[j] += w
			}
		}
	}
	return probs
}

func TestCertifyMatchesEnumeration(t *testing.T) {
	for _, tc := range []struct {
		n, d, m int
		lambda  float64
		q       float64
		seed    uint64
	}{
		{12, 3, 8, 1, 0.2, 1},
		{11, 4, 8, 0.1, 0.4, 2},
		{13, 2, 6, 3, 0.05, 3},
	} {
		pr := newProblem(t, tc.seed, tc.n, tc.d, tc.m, tc.lambda)
		exact := exactClassOne(pr, tc.q)
		cfg := Config{N0: 400, N: 20000, Alpha: 0.001, Q: tc.q, Seed: tc.seed, Purpose: "enumeration"}
		res, err := Certify(pr.model, pr.y, pr.test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			p1 := exact[j]
			// Selection: with N0 samples the majority is right unless p1 is within 4 sd of ½.
			if sd := 0.5 / math.Sqrt(float64(cfg.N0)); math.Abs(p1-0.5) > 4*sd {
				if want := btoi(p1 > 0.5); r.Class != want {
					t.Errorf("%+v point %d: class %d, exact P(class 1) = %.4f", tc, j, r.Class, p1)
				}
			}
			pc := p1
			if r.Class == 0 {
				pc = 1 - p1
			}
			share := float64(r.Count) / float64(cfg.N)
			if sd := math.Sqrt(pc * (1 - pc) / float64(cfg.N)); math.Abs(share-pc) > 4*sd+1e-12 {
				t.Errorf("%+v point %d: share of class %d = %.4f, exact %.4f (sd %.4f)", tc, j, r.Class, share, pc, sd)
			}
			// The bound is a lower bound on the exact probability of Class; with
			// alpha = 0.001 over 24 points a violation is a bug, not bad luck.
			if lb := -math.Expm1(r.LogEps); lb > pc {
				t.Errorf("%+v point %d: p̲ = %.4f above exact %.4f", tc, j, lb, pc)
			}
		}
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
		pr := newProblem(t, tc.seed, 400, 4, 30, tc.lambda)
		cfg := Config{N0: 100, N: 4000, Alpha: 0.001, Q: tc.q, Seed: tc.seed, Purpose: "analytic"}
		res, err := Certify(pr.model, pr.y, pr.test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		var kernel mat.Dense
		pr.model.Kernel(&kernel, pr.test, nil)
		informative := 0
		for j, r := range res {
			a := analytic.Certify(kernel.RawRowView(j), pr.y, tc.q)
			bound := -math.Expm1(a.LogEps)
			if bound > 0.6 {
				informative++
			}
			share := float64(r.Count) / float64(cfg.N)
			if r.Class != a.Class {
				share = 1 - share
			}
			if sd := math.Sqrt(bound * (1 - bound) / float64(cfg.N)); share < bound-4*sd-1e-12 {
				t.Errorf("%+v point %d: sampled share of class %d = %.4f < analytic bound %.4f", tc, j, a.Class, share, bound)
			}
		}
		if informative == 0 {
			t.Errorf("%+v: no point has an analytic bound above 0.6; the check is vacuous", tc)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestCertifyHugeMargin: two far-apart clusters whose noisy label means can
// never cross ½ (P < 1e-40 per sample at q = 0.05 with 100 points each), so
// every estimation sample votes for the cluster's label and k = N exactly.
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
	for _, n := range []int{1, 300, 1000} {
		cfg := Config{N0: 10, N: n, Alpha: 0.001, Q: 0.05, Seed: 1, Purpose: "margin"}
		res, err := Certify(model, y, test, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		wantLog := math.Log(-math.Expm1(math.Log(cfg.Alpha) / float64(n)))
		for j, r := range res {
			if r.Class != wantClass[j] || r.Count != n || math.Abs(r.LogEps-wantLog) > 1e-14*math.Abs(wantLog) {
				t.Errorf("N=%d point %d: %+v, want class %d, count %d, log ε %v", n, j, r, wantClass[j], n, wantLog)
			}
			// 1−alpha^{1/N} > ½ iff N = 1 here: one sample cannot certify.
			if r.Abstain != (n == 1) {
				t.Errorf("N=%d point %d: abstain = %v", n, j, r.Abstain)
			}
		}
	}
}

func TestCertifyDeterministic(t *testing.T) {
	pr := newProblem(t, 7, 300, 5, 40, 10)
	cfg := Config{N0: 300, N: 1000, Alpha: 0.01, Q: 0.3, Seed: 11, Purpose: "determinism"}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var want []Result
	for _, tc := range []struct {
		procs    int
		progress bool
	}{{1, false}, {2, false}, {2, true}, {1, true}, {3, false}} {
		runtime.GOMAXPROCS(tc.procs)
		var calls []int
		var progress func(done, total int)
		if tc.progress {
			progress = func(done, total int) {
				if total != cfg.N0+cfg.N {
					t.Errorf("progress total %d, want %d", total, cfg.N0+cfg.N)
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
			t.Errorf("GOMAXPROCS=%d progress=%v: results differ from GOMAXPROCS=1", tc.procs, tc.progress)
		}
		if tc.progress {
			// 2 chunks of selection, 4 of estimation.
			if len(calls) != 6 || calls[len(calls)-1] != cfg.N0+cfg.N {
				t.Errorf("GOMAXPROCS=%d: progress calls %v", tc.procs, calls)
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
		t.Error("seed change left every count unchanged")
	}
}

func TestCertifyRejects(t *testing.T) {
	pr := newProblem(t, 1, 20, 3, 2, 1)
	good := Config{N0: 10, N: 10, Alpha: 0.01, Q: 0.1}
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
		y    []int
		test *mat.Dense
	}{
		{name: "N0", cfg: func(c *Config) { c.N0 = 0 }},
		{name: "N", cfg: func(c *Config) { c.N = -1 }},
		{name: "alpha 0", cfg: func(c *Config) { c.Alpha = 0 }},
		{name: "alpha 1", cfg: func(c *Config) { c.Alpha = 1 }},
		{name: "q 0", cfg: func(c *Config) { c.Q = 0 }},
		{name: "q ½", cfg: func(c *Config) { c.Q = 0.5 }},
		{name: "q NaN", cfg: func(c *Config) { c.Q = math.NaN() }},
		{name: "short y", y: pr.y[:5]},
		{name: "label 2", y: append(append([]int{}, pr.y[1:]...), 2)},
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
	if _, err := Certify(pr.model, pr.y, pr.test, good, nil); err != nil {
		t.Errorf("good config rejected: %v", err)
	}
}
