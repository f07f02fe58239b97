package sampler

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mathext"
)

// refPrec is the working precision of the math/big reference: 320 bits leave
// ~10^-80 relative rounding after tens of thousands of terms.
const refPrec = 320

// refUpperTail computes P(Bin(n, p) ≥ k) exactly up to refPrec rounding, by
// summing binomial terms from the short end: Σ_{i<k} C(n,i)p^i(1−p)^{n−i}
// subtracted from 1 when k is small, else Σ_{i ≤ n−k} C(n,i)(1−p)^i p^{n−i}.
// The point is given as (p, 1−p) with exactly one of them, small, taken as exact:
// uExact chooses which.
func refUpperTail(k, n int, small float64, uExact bool) *big.Float {
	one := new(big.Float).SetPrec(refPrec).SetInt64(1)
	s := new(big.Float).SetPrec(refPrec).SetFloat64(small)
	f := new(big.Float).SetPrec(refPrec).Sub(one, s)
	p, u := s, f
	if uExact {
		p, u = f, s
	}
	// headSum = Σ_{i=0}^{j} C(n,i) a^i b^{n−i}.
	headSum := func(j int, a, b *big.Float) *big.Float {
		term := new(big.Float).SetPrec(refPrec).SetInt64(1)
		pow := new(big.Float).SetPrec(refPrec).Set(b)
		for e := n; e > 0; e >>= 1 {
			if e&1 == 1 {
				term.Mul(term, pow)
			}
			pow.Mul(pow, pow)
		}
		odds := new(big.Float).SetPrec(refPrec).Quo(a, b)
		sum := new(big.Float).SetPrec(refPrec).Set(term)
		c := new(big.Float).SetPrec(refPrec)
		for i := range j {
			term.Mul(term, odds)
			term.Mul(term, c.SetInt64(int64(n-i)))
			term.Quo(term, c.SetInt64(int64(i+1)))
			sum.Add(sum, term)
		}
		return sum
	}
	if k-1 <= n-k {
		return new(big.Float).SetPrec(refPrec).Sub(one, headSum(k-1, p, u))
	}
	return headSum(n-k, u, p)
}

func relErr(got *big.Float, want float64) float64 {
	w := new(big.Float).SetPrec(refPrec).SetFloat64(want)
	d := new(big.Float).SetPrec(refPrec).Sub(got, w)
	d.Quo(d, w)
	r, _ := d.Float64()
	return math.Abs(r)
}

// TestLowerBoundSolvesEquation checks P(Bin(n, p̲) ≥ k) = alpha against the
// exact math/big sum, evaluated at the returned point: at p̲ when p̲ ≤ ½, else at
// 1−p̲ = exp(log(1−p̲)), so the check is as tight as the returned log(1−p̲).
func TestLowerBoundSolvesEquation(t *testing.T) {
	type kn struct{ k, n int }
	var cases []kn
	for _, n := range []int{2, 3, 10, 100, 1000, 10000, 100000} {
		for _, k := range []int{1, 2, n / 3, n / 2, n - n/10, n - 2, n - 1} {
			if k >= 1 && k < n {
				cases = append(cases, kn{k, n})
			}
		}
	}
	for _, n := range []int{1e6, 1e9} {
		for _, k := range []int{1, 2, 10, 1000, n - 1000, n - 30, n - 10, n - 1} {
			cases = append(cases, kn{k, n})
		}
	}
	for _, c := range cases {
		for _, alpha := range []float64{0.999, 0.9, 0.5, 0.05, 1e-3, 1e-6, 1e-10, 1e-15} {
			p, l1p := LowerBound(c.k, c.n, alpha)
			var tail *big.Float
			if p <= 0.5 {
				tail = refUpperTail(c.k, c.n, p, false)
			} else {
				tail = refUpperTail(c.k, c.n, math.Exp(l1p), true)
			}
			if e := relErr(tail, alpha); e > 1e-10 {
				f, _ := tail.Float64()
				t.Errorf("k=%d n=%d alpha=%g: p̲=%.17g, P(X ≥ k) = %.15g, rel err %.2g", c.k, c.n, alpha, p, f, e)
			}
			if want := math.Log1p(-p); p < 0.5 && math.Abs(l1p-want) > 1e-15*math.Abs(want) {
				t.Errorf("k=%d n=%d alpha=%g: log(1−p̲) = %v, log1p(−p̲) = %v", c.k, c.n, alpha, l1p, want)
			}
		}
	}
}

func TestLowerBoundMatchesRegIncBeta(t *testing.T) {
	// Where gonum's RegIncBeta is accurate (n ≤ 1e4: ~1e-11, measured against
	// the math/big sum above), I_p̲(k, n−k+1) = alpha.
	for _, n := range []int{5, 50, 500, 5000} {
		for _, k := range []int{1, n / 4, n / 2, n - 3, n - 1} {
			for _, alpha := range []float64{0.1, 1e-3, 1e-8} {
				p, _ := LowerBound(k, n, alpha)
				got := mathext.RegIncBeta(float64(k), float64(n-k+1), p)
				if math.Abs(got-alpha) > 1e-10*alpha {
					t.Errorf("k=%d n=%d alpha=%g: I_p̲ = %.15g", k, n, alpha, got)
				}
			}
		}
	}
}

// TestLowerBoundMedianLargeN covers mid-range k at huge n, where neither the
// math/big sum (10^8 terms) nor RegIncBeta (off by a factor 2 near the median
// at n = 1e9) can serve: at alpha = ½, p̲ is the median of Beta(a, b), which
// (a−⅓)/(a+b−⅔) approximates with error O((a+b)^−2) (Kerman 2011; the residual
// shrinks 100-fold per decade of n, measured from 3e-12 at n = 1e5).
func TestLowerBoundMedianLargeN(t *testing.T) {
	for _, n := range []int{1e7, 1e9} {
		for _, k := range []int{n / 3, n / 2, 3 * n / 4, n - n/10} {
			p, _ := LowerBound(k, n, 0.5)
			a, b := float64(k), float64(n-k+1)
			if want := (a - 1.0/3) / (a + b - 2.0/3); math.Abs(p-want) > 1e-14 {
				t.Errorf("k=%d n=%d: median %.17g, approximation %.17g", k, n, p, want)
			}
		}
	}
}

func TestLowerBoundClosedForms(t *testing.T) {
	for _, tc := range []struct {
		k, n          int
		alpha         float64
		wantP, wantL1 float64 // wantL1 = log(1−p̲); NaN to skip
	}{
		{0, 10, 0.05, 0, 0},
		{0, 1e9, 1e-12, 0, 0},
		{1, 1, 0.05, 0.05, math.Log(0.95)},
		// docs/science.md §3: Beta(1e6, 1) at 5e-7 is 0.9999855 (distuv says 0.875).
		// By hand: x = ln(5e-7)/1e6 = −1.4508657738524219e-5, e^x = 1 + x + x²/2
		// + O(5e-16) = 0.999985491447512.
		{1e6, 1e6, 5e-7, 0.999985491447512, math.NaN()},
		// 1−p̲ = 1−alpha^{1/n} ≈ −log(alpha)/n for n = 1e9: 2.3025850903e-9 at alpha = 0.1,
		// with second-order term (log alpha/n)²/2 = 2.65e-18 negligible.
		{1e9, 1e9, 0.1, math.NaN(), math.Log(math.Log(10) / 1e9 * (1 - math.Log(10)/2e9))},
	} {
		p, l1 := LowerBound(tc.k, tc.n, tc.alpha)
		if !math.IsNaN(tc.wantP) && math.Abs(p-tc.wantP) > 1e-10 {
			t.Errorf("k=%d n=%d alpha=%g: p̲ = %.12g, want %.12g", tc.k, tc.n, tc.alpha, p, tc.wantP)
		}
		if !math.IsNaN(tc.wantL1) && math.Abs(l1-tc.wantL1) > 1e-12*math.Max(1, math.Abs(tc.wantL1)) {
			t.Errorf("k=%d n=%d alpha=%g: log(1−p̲) = %.15g, want %.15g", tc.k, tc.n, tc.alpha, l1, tc.wantL1)
		}
	}
	if got := fmt.Sprintf("%.7f", firstOf(LowerBound(1e6, 1e6, 5e-7))); got != "0.9999855" {
		t.Errorf("Beta(1e6,1) 5e-7 quantile = %s, want 0.9999855", got)
	}
}

func firstOf(a, _ float64) float64 { return a }

// TestLowerBoundMonotone: more successes never lower the bound, nor does a
// laxer alpha.
func TestLowerBoundMonotone(t *testing.T) {
	for _, n := range []int{7, 300, 1e5} {
		prev := -1.0
		for k := 0; k <= n; k += max(1, n/97) {
			p, _ := LowerBound(k, n, 0.01)
			if p < prev {
				t.Errorf("n=%d: p̲(k=%d) = %v < p̲ at smaller k = %v", n, k, p, prev)
			}
			prev = p
			if q, _ := LowerBound(k, n, 0.1); q < p {
				t.Errorf("n=%d k=%d: p̲(alpha 0.1) = %v < p̲(alpha 0.01) = %v", n, k, q, p)
			}
		}
	}
}

// TestLowerBoundCoverage draws k ~ Bin(n, p) from a seeded stream and counts
// how often p̲ > p; Clopper-Pearson guarantees a miss rate ≤ alpha.
func TestLowerBoundCoverage(t *testing.T) {
	const (
		n      = 200
		trials = 20000
		alpha  = 0.05
	)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range []float64{0.5, 0.9, 0.999} {
		misses := 0
		for range trials {
			k := 0
			for range n {
				if rng.Float64() < p {
					k++
				}
			}
			if lb, _ := LowerBound(k, n, alpha); lb > p {
				misses++
			}
		}
		rate := float64(misses) / trials
		slack := 4 * math.Sqrt(alpha*(1-alpha)/trials)
		if rate > alpha+slack {
			t.Errorf("p=%v: miss rate %.4f > alpha %v + %.4f", p, rate, alpha, slack)
		}
	}
}

func TestLowerBoundPanics(t *testing.T) {
	for _, tc := range []struct {
		k, n  int
		alpha float64
	}{{-1, 5, 0.1}, {6, 5, 0.1}, {0, 0, 0.1}, {1, 5, 0}, {1, 5, 1}, {1, 5, math.NaN()}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("LowerBound(%d, %d, %v) did not panic", tc.k, tc.n, tc.alpha)
				}
			}()
			LowerBound(tc.k, tc.n, tc.alpha)
		}()
	}
}
