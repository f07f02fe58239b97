package analytic_test

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"gonum.org/v1/gonum/floats"

	"flipcert/analytic"
)

// pis returns πᵢ = 1−q for yᵢ = 1 and q for yᵢ = 0.
func pis(y []int, q float64) []float64 {
	p := make([]float64, len(y))
	for i, yi := range y {
		p[i] = q
		if yi == 1 {
			p[i] = 1 - q
		}
	}
	return p
}

// exactWrong enumerates all 2ⁿ noisy label vectors and returns the
// probability that S = Σ αᵢy′ᵢ falls on the side of ½ that predicts the other
// class: S < ½ when class is 1 (a tie predicts 1), S ≥ ½ when class is 0.
func exactWrong(alpha []float64, y []int, q float64, class int) float64 {
	p := pis(y, q)
	var wrong float64
	for mask := range 1 << len(alpha) {
		prob, s := 1.0, 0.0
		for i, a := range alpha {
			if mask>>i&1 == 1 {
				prob *= p[i]
				s += a
			} else {
				prob *= 1 - p[i]
			}
		}
		if (class == 1 && s < 0.5) || (class == 0 && s >= 0.5) {
			wrong += prob
		}
	}
	return wrong
}

// gridPsi returns the smallest Chernoff exponent found by a grid search over
// t: a coarse logarithmic grid over [1e−6, 1e8] (and t = 0), then a fine
// linear grid between the neighbours of the best coarse point. Each term is
// written as log((1−π) + π·e^{∓tα}) = logaddexp(log(1−π), log π ∓ tα).
func gridPsi(alpha []float64, y []int, q float64, class int) float64 {
	p := pis(y, q)
	sign := 1.0 // ψ₀: −t/2 + Σ log(1−π+πe^{tα})
	if class == 1 {
		sign = -1 // ψ₁: t/2 + Σ log(1−π+πe^{−tα})
	}
	logP, logQ := make([]float64, len(p)), make([]float64, len(p))
	for i := range p {
		logP[i], logQ[i] = math.Log(p[i]), math.Log1p(-p[i])
	}
	psi := func(t float64) float64 {
		v := -sign * t / 2
		for i, a := range alpha {
			x, y := logQ[i], logP[i]+sign*t*a
			v += max(x, y) + math.Log1p(math.Exp(-math.Abs(x-y)))
		}
		return v
	}
	return gridMin(psi)
}

// gridMin returns the smallest psi(t) over t ≥ 0 that a grid finds: t = 0, a
// coarse logarithmic grid over [1e−6, 1e8] (ratio 1.12), then a fine linear
// grid between the neighbours of the best coarse point.
func gridMin(psi func(t float64) float64) float64 {
	coarse := floats.LogSpan(make([]float64, 281), 1e-6, 1e8) // ratio 1.12
	best, at := 0.0, -1
	for i, t := range coarse {
		if v := psi(t); v < best {
			best, at = v, i
		}
	}
	if at < 0 {
		return best
	}
	lo, hi := 0.0, coarse[len(coarse)-1]
	if at > 0 {
		lo = coarse[at-1]
	}
	if at < len(coarse)-1 {
		hi = coarse[at+1]
	}
	for _, t := range floats.Span(make([]float64, 401), lo, hi) {
		best = min(best, psi(t))
	}
	return best
}

// randomCase draws a small problem: α of both signs at a random scale, some
// zeros, sometimes one huge weight, sometimes shifted to Σα ≈ 1 like a ridge
// kernel with intercept; q sometimes at the edges of (0, ½).
func randomCase(rng *rand.Rand, maxN int) ([]float64, []int, float64) {
	n := 1 + rng.IntN(maxN)
	scale := math.Pow(10, -1.5+2.5*rng.Float64())
	alpha, y := make([]float64, n), make([]int, n)
	for i := range alpha {
		alpha[i] = scale * rng.NormFloat64()
		if rng.IntN(10) == 0 {
			alpha[i] = 0
		}
		y[i] = rng.IntN(2)
	}
	if rng.IntN(2) == 0 {
		shift := (1 - floats.Sum(alpha)) / float64(n)
		floats.AddConst(shift, alpha)
	}
	if rng.IntN(8) == 0 {
		alpha[rng.IntN(n)] = 1e3 * (rng.Float64() - 0.3)
	}
	var q float64
	switch rng.IntN(8) {
	case 0:
		q = 1e-6
	case 1:
		q = 0.4999
	default:
		q = 0.5 * (0.01 + 0.98*rng.Float64())
	}
	return alpha, y, q
}

// TestSoundAndTight checks, over thousands of random small problems, that the
// bound is never below the exact probability of the other class and that it
// is no worse than the best Chernoff exponent a dense grid search finds.
func TestSoundAndTight(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 3000 {
		alpha, y, q := randomCase(rng, 14)
		c := analytic.Certify(alpha, y, 2, q, 0)
		mu := floats.Dot(alpha, pis(y, q))
		if want := map[bool]int{true: 1, false: 0}[mu >= 0.5]; c.Class != want {
			t.Fatalf("trial %d: class %d, want %d (μ = %v)", trial, c.Class, want, mu)
		}
		if !(c.LogEps <= 0) || math.IsInf(c.LogEps, 0) {
			t.Fatalf("trial %d: LogEps = %v, want finite and ≤ 0", trial, c.LogEps)
		}
		wrong := exactWrong(alpha, y, q, c.Class)
		if math.Log(wrong) > c.LogEps+1e-9 {
			t.Errorf("trial %d (n=%d q=%v): bound exp(%v) below exact %v", trial, len(alpha), q, c.LogEps, wrong)
		}
		// The search certifies a gap ≤ 1e−9; the grid search is coarser, hence 1e−7.
		if g := gridPsi(alpha, y, q, c.Class); c.LogEps > g+1e-7 {
			t.Errorf("trial %d (n=%d q=%v): LogEps %v, grid finds %v", trial, len(alpha), q, c.LogEps, g)
		}
		if !c.Abstain() && wrong >= 0.5 {
			t.Errorf("trial %d: certified class %d although its probability is %v", trial, c.Class, 1-wrong)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		name    string
		alpha   []float64
		y       []int
		q       float64
		class   int
		logEps  float64 // expected, from the reasoning in the comment
		abstain bool
	}{
		// S ≡ 0 whatever the labels: class 0 can never be overturned.
		{"zero kernel", []float64{0, 0, 0}, []int{1, 0, 1}, 0.3, 0, analytic.LogEpsImpossible, false},
		// Σ_{α>0} α = 0.4 < ½: S ≥ ½ has probability 0.
		{"other class impossible", []float64{0.2, 0.2, -1}, []int{1, 1, 0}, 0.2, 0, analytic.LogEpsImpossible, false},
		// μ = 0.5(1−q) + 0.5q = ½ exactly (q dyadic): class 1, ψ′(0) = 0, bound 1.
		{"mean exactly 1/2", []float64{0.5, 0.5}, []int{1, 0}, 0.25, 1, 0, true},
		// Σ_{α>0} α = ½ exactly: ψ decreases to its limit, the exact
		// probability of S = ½, that is y′ = (1, 0): q(1−q).
		{"boundary reachable only at the extreme", []float64{0.5, -0.3}, []int{0, 0}, 0.1, 0, math.Log(0.1 * 0.9), false},
		// One label, α = 1, y = 1: S = y′, P(S ≤ ½) = q and Chernoff is exact
		// in the limit: min_t t/2 + log(q + (1−q)e^{−t}) at e^{−t} = q/(1−q)
		// gives log(2√(q(1−q))) = log 0.6: too weak, abstain.
		{"single label", []float64{1}, []int{1}, 0.1, 1, math.Log(2 * math.Sqrt(0.1*0.9)), true},
	} {
		c := analytic.Certify(tc.alpha, tc.y, 2, tc.q, 0)
		if c.Class != tc.class || c.Abstain() != tc.abstain ||
			!(math.Abs(c.LogEps-tc.logEps) <= 1e-9*max(1, math.Abs(tc.logEps))) {
			t.Errorf("%s: got %+v (abstain %v), want class %d, LogEps %v, abstain %v",
				tc.name, c, c.Abstain(), tc.class, tc.logEps, tc.abstain)
		}
	}
}

// TestLargeBinomial uses n = 13,007 equal weights αᵢ = 1/n, where S is a
// binomial proportion and the Chernoff minimum has the closed form
// −n·D(½ ‖ p), D the Bernoulli KL divergence and p = P(y′ᵢ = 1). The bounds
// lie far below float64's smallest positive number.
func TestLargeBinomial(t *testing.T) {
	const n = 13007
	kl := func(a, p float64) float64 { return a*math.Log(a/p) + (1-a)*math.Log((1-a)/(1-p)) }
	for _, tc := range []struct {
		q     float64
		label int
	}{{0.1, 1}, {0.1, 0}, {0.4, 1}, {0.45, 0}, {1e-6, 1}} {
		alpha, y := make([]float64, n), make([]int, n)
		for i := range alpha {
			alpha[i], y[i] = 1.0/n, tc.label
		}
		p := tc.q
		if tc.label == 1 {
			p = 1 - tc.q
		}
		want := -n * kl(0.5, p)
		c := analytic.Certify(alpha, y, 2, tc.q, 0)
		if c.Class != tc.label || math.Abs(c.LogEps-want) > 1e-9*math.Abs(want) {
			t.Errorf("q=%v labels %d: got %+v, want class %d LogEps %v", tc.q, tc.label, c, tc.label, want)
		}
	}
}

// kernelLike draws a ridge-like kernel for n training points: αᵢ = (1 + gᵢ)/n
// with gᵢ = c(2yᵢ−1) + N(0,1), so Σα ≈ 1 and the margin grows with c.
func kernelLike(rng *rand.Rand, n int, c float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	for i := range alpha {
		y[i] = rng.IntN(2)
		alpha[i] = (1 + c*float64(2*y[i]-1) + rng.NormFloat64()) / float64(n)
	}
	return alpha, y
}

// TestLargeKernelNearGrid compares full-size kernels, from abstaining to
// bounds ≪ e^−745, with the dense-grid minimum.
func TestLargeKernelNearGrid(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, q := range []float64{0.01, 0.4} {
		for _, c := range []float64{0.02, 0.3, 2} {
			alpha, y := kernelLike(rng, 13007, c)
			for _, spike := range []float64{0, 0.3} {
				// A spike: one training point carries a large share of the kernel.
				alpha[0] += spike
				got := analytic.Certify(alpha, y, 2, q, 0)
				if g := gridPsi(alpha, y, q, got.Class); got.LogEps > g+1e-6 {
					t.Errorf("q=%v c=%v spike %v: LogEps %v above grid minimum %v", q, c, spike, got.LogEps, g)
				}
			}
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	type problem struct {
		alpha []float64
		y     []int
	}
	probs := make([]problem, 8)
	want := make([]analytic.Certificate, len(probs))
	for i := range probs {
		probs[i].alpha, probs[i].y = kernelLike(rng, 2000, 0.1*float64(i))
		want[i] = analytic.Certify(probs[i].alpha, probs[i].y, 2, 0.2, 0)
	}
	var wg sync.WaitGroup
	got := make([][]analytic.Certificate, 4)
	for w := range got {
		wg.Go(func() {
			for _, p := range probs {
				got[w] = append(got[w], analytic.Certify(p.alpha, p.y, 2, 0.2, 0))
			}
		})
	}
	wg.Wait()
	for w := range got {
		for i := range probs {
			if got[w][i] != want[i] {
				t.Errorf("worker %d problem %d: %+v, want %+v", w, i, got[w][i], want[i])
			}
		}
	}
}

func TestNoAllocations(t *testing.T) {
	alpha, y := kernelLike(rand.New(rand.NewPCG(4, 4)), 1000, 0.5)
	analytic.Certify(alpha, y, 2, 0.3, 0)
	if a := testing.AllocsPerRun(20, func() { analytic.Certify(alpha, y, 2, 0.3, 0) }); a != 0 {
		t.Errorf("Certify allocates %v times", a)
	}
}

func TestMisusePanics(t *testing.T) {
	for name, f := range map[string]func(){
		"length mismatch": func() { analytic.Certify([]float64{1, 2}, []int{1}, 2, 0.1, 0) },
		"label 2":         func() { analytic.Certify([]float64{1}, []int{2}, 2, 0.1, 0) },
		"NaN weight":      func() { analytic.Certify([]float64{math.NaN()}, []int{1}, 2, 0.1, 0) },
		"infinite weight": func() { analytic.Certify([]float64{math.Inf(1)}, []int{1}, 2, 0.1, 0) },
		"q = 0":           func() { analytic.Certify([]float64{1}, []int{1}, 2, 0, 0) },
		"q = 1/2":         func() { analytic.Certify([]float64{1}, []int{1}, 2, 0.5, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
