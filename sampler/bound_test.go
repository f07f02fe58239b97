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
	return refUpperTailBig(k, n, new(big.Float).SetPrec(refPrec).SetFloat64(small), uExact)
}

// refUpperTailBig is refUpperTail at a point given to refPrec bits.
func refUpperTailBig(k, n int, small *big.Float, uExact bool) *big.Float {
	one := new(big.Float).SetPrec(refPrec).SetInt64(1)
	s := new(big.Float).SetPrec(refPrec).Set(small)
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

// TestLowerBoundIsNeverOptimistic evaluates the exact tail, to refPrec bits, at
// the bound exactly as returned: at p̲ when p̲ ≤ ½, else at 1 − p̲ = e^{log(1−p̲)}
// (e raised in math/big). The bound is safe when that tail is at most alpha:
// the true quantile is then at least p̲, and e^{log(1−p̲)} at least the true
// wrong-class bound. 150 (k, n, alpha) cases, from n = 2 to 10⁹.
func TestLowerBoundIsNeverOptimistic(t *testing.T) {
	cases := 0
	alpha := new(big.Float).SetPrec(refPrec)
	for _, n := range []int{2, 10, 1000, 100000, 1e9} {
		for _, k := range []int{1, 2, n / 2, n - 2, n - 1, n} {
			if k < 1 || k > n || n > 1e5 && k == n/2 { // the reference sums min(k, n−k) terms
				continue
			}
			for _, a := range []float64{0.5, 0.05, 1e-3, 1e-6, 1e-10, 1e-15} {
				p, l1p := LowerBound(k, n, a)
				var tail *big.Float
				if p <= 0.5 {
					tail = refUpperTail(k, n, p, false)
				} else {
					tail = refUpperTailBig(k, n, bigExp(new(big.Float).SetPrec(refPrec).SetFloat64(l1p)), true)
				}
				if tail.Cmp(alpha.SetFloat64(a)) > 0 {
					f, _ := tail.Float64()
					t.Errorf("k=%d n=%d alpha=%g: P(X ≥ k) at the bound is %.17g > alpha: optimistic", k, n, a, f)
				}
				cases++
			}
		}
	}
	if cases < 150 {
		t.Fatalf("only %d cases", cases)
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

// TestBoundsPanic: both Clopper-Pearson bounds refuse counts outside 0..n,
// n < 1 and alpha outside (0, 1).
func TestBoundsPanic(t *testing.T) {
	for name, bound := range map[string]func(k, n int, alpha float64){
		"LowerBound": func(k, n int, alpha float64) { LowerBound(k, n, alpha) },
		"Interval":   func(k, n int, alpha float64) { Interval(k, n, alpha) },
	} {
		for _, tc := range []struct {
			k, n  int
			alpha float64
		}{{-1, 5, 0.1}, {6, 5, 0.1}, {0, 0, 0.1}, {1, 5, 0}, {1, 5, 1}, {1, 5, math.NaN()}} {
			func() {
				defer func() {
					if recover() == nil {
						t.Errorf("%s(%d, %d, %v) did not panic", name, tc.k, tc.n, tc.alpha)
					}
				}()
				bound(tc.k, tc.n, tc.alpha)
			}()
		}
	}
}

// TestIntervalSolvesEquations checks both ends of the two-sided interval
// against the exact math/big binomial tails: P(Bin(n, lo) ≥ k) = alpha/2 and
// P(Bin(n, hi) ≤ k) = P(Bin(n, 1−hi) ≥ n−k) = alpha/2, each evaluated at the
// returned point from its short side (p or 1−p, whichever is ≤ ½ and exact).
func TestIntervalSolvesEquations(t *testing.T) {
	type kn struct{ k, n int }
	var cases []kn
	for _, n := range []int{2, 7, 100, 1000, 30000} {
		for _, k := range []int{1, 2, n / 3, n / 2, n - 2, n - 1} {
			if k >= 1 && k < n {
				cases = append(cases, kn{k, n})
			}
		}
	}
	for _, n := range []int{1e6, 1e9} {
		for _, k := range []int{1, 3, 500, n - 500, n - 3, n - 1} {
			cases = append(cases, kn{k, n})
		}
	}
	// lowerTail and upperTail are the two equations' left-hand sides at the
	// float point p, exact: P(Bin(n, p) ≥ k) (increasing in p) and
	// P(Bin(n, 1−p) ≥ n−k) = P(Bin(n, p) ≤ k) (decreasing), each summed from
	// the short side, p or 1−p, whichever is ≤ ½ (1−p is exact for p ≥ ½).
	lowerTail := func(k, n int, p float64) *big.Float {
		if p <= 0.5 {
			return refUpperTail(k, n, p, false)
		}
		return refUpperTail(k, n, 1-p, true)
	}
	upperTail := func(k, n int, p float64) *big.Float {
		if p <= 0.5 {
			return refUpperTail(n-k, n, p, true)
		}
		return refUpperTail(n-k, n, 1-p, false)
	}
	for _, c := range cases {
		for _, alpha := range []float64{0.5, 0.05, 1e-3, 1e-9} {
			lo, hi := Interval(c.k, c.n, alpha)
			if !(lo < float64(c.k)/float64(c.n) && float64(c.k)/float64(c.n) < hi) {
				t.Errorf("k=%d n=%d alpha=%g: [%v, %v] misses k/n", c.k, c.n, alpha, lo, hi)
			}
			name := fmt.Sprintf("k=%d n=%d alpha=%g", c.k, c.n, alpha)
			checkRoot(t, name+" lo", lo, alpha/2, func(p float64) *big.Float { return lowerTail(c.k, c.n, p) })
			checkRoot(t, name+" hi", hi, alpha/2, func(p float64) *big.Float { return upperTail(c.k, c.n, p) })
		}
	}
}

// checkRoot checks a root p of tail(p) = target: below ½, where p carries full
// relative precision, the residual is 1e-10 relative; above ½, where a float64
// p resolves 1−p only to an ulp of 1, the exact root lies within
// δ = max(8 ulps, 2e-12·(1−p)) of p (tail changes sign across
// [p − δ, min(1, p + δ)]): the solver's 1e-13 relative in 1−p and LowerBound's
// move to the safe side, or the float.
func checkRoot(t *testing.T, name string, p, target float64, tail func(p float64) *big.Float) {
	t.Helper()
	if p <= 0.5 {
		if e := relErr(tail(p), target); e > 1e-10 {
			t.Errorf("%s = %.17g: rel err of the tail %.2g", name, p, e)
		}
		return
	}
	delta := max(8*0x1p-53, 2e-12*(1-p))
	w := new(big.Float).SetPrec(refPrec).SetFloat64(target)
	if tail(p-delta).Cmp(w)*tail(min(1, p+delta)).Cmp(w) > 0 {
		t.Errorf("%s = %.17g: the tail is on one side of %g within %.2g", name, p, target, delta)
	}
}

// TestIntervalClosedForms: at k = 0 the interval is [0, 1−(alpha/2)^{1/n}], at
// k = n it is [(alpha/2)^{1/n}, 1] (the tail P(X ≥ n) = p^n alone).
func TestIntervalClosedForms(t *testing.T) {
	for _, n := range []int{1, 5, 1000, 1e6, 1e12} {
		for _, alpha := range []float64{0.9, 0.05, 1e-6} {
			root := math.Log(alpha/2) / float64(n) // log (alpha/2)^{1/n}
			lo, hi := Interval(0, n, alpha)
			// Within LowerBound's safe-side margin, and never inside the exact interval.
			if want := -math.Expm1(root); lo != 0 || hi < want || hi-want > 1e-12*max(1, -math.Log(want))*want {
				t.Errorf("k=0 n=%d alpha=%g: [%v, %v], want [0, %v]", n, alpha, lo, hi, want)
			}
			lo, hi = Interval(n, n, alpha)
			if want := math.Exp(root); hi != 1 || lo > want || want-lo > 1e-12*max(1, -root) {
				t.Errorf("k=n=%d alpha=%g: [%v, %v], want [%v, 1]", n, alpha, lo, hi, want)
			}
		}
	}
	// Symmetry: k successes bound p as n−k successes bound 1−p.
	for _, kn := range [][2]int{{3, 10}, {40, 1000}, {999, 1000}} {
		lo, hi := Interval(kn[0], kn[1], 0.01)
		lo2, hi2 := Interval(kn[1]-kn[0], kn[1], 0.01)
		if math.Abs(lo-(1-hi2)) > 1e-14 || math.Abs(hi-(1-lo2)) > 1e-14 {
			t.Errorf("k=%d n=%d: [%v, %v] vs mirrored [%v, %v]", kn[0], kn[1], lo, hi, 1-hi2, 1-lo2)
		}
	}
}

// bigLn returns ln x for x > 0 to about refPrec bits: x = m·2^e with
// m ∈ [½, 1), ln m = 2 atanh((m−1)/(m+1)) by its series (|z| ≤ ⅓), and
// ln 2 = 2 atanh(⅓).
func bigLn(x *big.Float) *big.Float {
	atanh2 := func(z *big.Float) *big.Float { // 2 Σ z^{2j+1}/(2j+1)
		sum := new(big.Float).SetPrec(refPrec)
		pow := new(big.Float).SetPrec(refPrec).Set(z)
		z2 := new(big.Float).SetPrec(refPrec).Mul(z, z)
		term := new(big.Float).SetPrec(refPrec)
		for j := int64(0); j < 400; j++ {
			term.Quo(pow, new(big.Float).SetInt64(2*j+1))
			sum.Add(sum, term)
			pow.Mul(pow, z2)
		}
		return sum.Mul(sum, big.NewFloat(2))
	}
	one := big.NewFloat(1)
	m := new(big.Float).SetPrec(refPrec)
	e := x.MantExp(m)
	num := new(big.Float).SetPrec(refPrec).Sub(m, one)
	den := new(big.Float).SetPrec(refPrec).Add(m, one)
	ln := atanh2(num.Quo(num, den))
	ln2 := atanh2(new(big.Float).SetPrec(refPrec).Quo(one, big.NewFloat(3)))
	return ln.Add(ln, ln2.Mul(ln2, new(big.Float).SetInt64(int64(e))))
}

// bigExp returns e^x to about refPrec bits: x = j·ln 2 + r with |r| ≤ ½ ln 2,
// e^r by its Taylor series, then scaled by 2^j (far below float64's range).
func bigExp(x *big.Float) *big.Float {
	ln2 := bigLn(big.NewFloat(2))
	q := new(big.Float).SetPrec(refPrec).Quo(x, ln2)
	qf, _ := q.Float64()
	j := int64(math.Round(qf))
	r := new(big.Float).SetPrec(refPrec).Mul(ln2, new(big.Float).SetInt64(j))
	r.Sub(x, r)
	sum := new(big.Float).SetPrec(refPrec).SetInt64(1)
	term := new(big.Float).SetPrec(refPrec).SetInt64(1)
	for i := int64(1); i < 120; i++ {
		term.Mul(term, r)
		term.Quo(term, new(big.Float).SetInt64(i))
		sum.Add(sum, term)
	}
	return sum.SetMantExp(sum, int(j))
}

// TestLog10SamplesNeeded compares with N* = ⌈ln alpha / ln(1−ε)⌉ computed in
// math/big from the same float64 inputs, ε = e^logEps exactly and
// −ln(1−ε) = Σ ε^j/j, down to ε = e^{−10⁶}: the exact integer where N* < 2^53,
// else log₁₀ N* to 1e-15 relative.
func TestLog10SamplesNeeded(t *testing.T) {
	for _, tc := range []struct{ alpha, logEps float64 }{
		{0.001, math.Log(0.1)},     // 65.6 → 66
		{0.05, math.Log(0.3)},      // 8.4 → 9
		{0.001, math.Log(0.01)},    // 687.3 → 688
		{0.001, math.Log(0.4999)},  // near the abstention edge
		{1e-10, math.Log(1e-6)},    // 2.3e7
		{0.001, -30},               // 7.4e13, still exact
		{0.999, -38.5},             // 5.3e13: ε ≈ 2e-17, tiny, yet N* < 2^53
		{0.001, -45},               // 2.4e20
		{0.001, -700},              // ε near the float64 floor
		{0.001, -745},              // ε subnormal
		{0.001, -5000},             // ε = e^{−5000} ≪ 1e-308
		{0.5, -1e6},                //
		{1e-300, -1e6},             //
		{0.999999, math.Log(1e-9)}, // −ln alpha tiny
	} {
		got := Log10SamplesNeeded(tc.logEps, tc.alpha)
		eps := bigExp(new(big.Float).SetPrec(refPrec).SetFloat64(tc.logEps))
		l := new(big.Float).SetPrec(refPrec) // −ln(1−ε) = Σ ε^j/j
		pow := new(big.Float).SetPrec(refPrec).Set(eps)
		for j := int64(1); j < 600; j++ {
			term := new(big.Float).SetPrec(refPrec).Quo(pow, new(big.Float).SetInt64(j))
			if l.Sign() > 0 && term.MantExp(nil) < l.MantExp(nil)-refPrec-8 {
				break // below l's last bit; big.Float would also shift through every bit between
			}
			l.Add(l, term)
			pow.Mul(pow, eps)
		}
		ratio := bigLn(new(big.Float).SetPrec(refPrec).SetFloat64(tc.alpha))
		ratio.Neg(ratio).Quo(ratio, l)
		if ratio.Cmp(big.NewFloat(1<<53)) < 0 {
			whole, _ := ratio.Int(nil)
			if frac := new(big.Float).Sub(ratio, new(big.Float).SetInt(whole)); frac.Sign() > 0 {
				whole.Add(whole, big.NewInt(1))
			}
			want := whole.Int64()
			if n := int64(math.Round(math.Pow(10, got))); n != want || got != math.Log10(float64(want)) {
				t.Errorf("alpha=%g logEps=%g: log10 N* = %v (N* = %d), want N* = %d", tc.alpha, tc.logEps, got, n, want)
			}
			continue
		}
		ln10 := bigLn(big.NewFloat(10))
		wantBig := bigLn(ratio)
		want, _ := wantBig.Quo(wantBig, ln10).Float64()
		if math.Abs(got-want) > 1e-15*math.Abs(want) {
			t.Errorf("alpha=%g logEps=%g: log10 N* = %.17g, want %.17g", tc.alpha, tc.logEps, got, want)
		}
	}
	if got := Log10SamplesNeeded(math.Inf(-1), 0.01); !math.IsInf(got, 1) {
		t.Errorf("ε = 0: log10 N* = %v, want +Inf", got)
	}
	for _, tc := range []struct{ logEps, alpha float64 }{{0, 0.1}, {1, 0.1}, {math.NaN(), 0.1}, {-1, 0}, {-1, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Log10SamplesNeeded(%v, %v) did not panic", tc.logEps, tc.alpha)
				}
			}()
			Log10SamplesNeeded(tc.logEps, tc.alpha)
		}()
	}
}
