package analytic

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// This file holds the rounding tests of the binary path (docs/science.md
// §10 "Margins of the analytic certificate"): a reference pass evaluated independently of eval, with compensated
// sums and the exps' arguments carried exactly, against which the rounding of
// a pass must stay within the bounds of newSearch, the one-pass bound must
// survive the worst rounding those bounds allow, and Certify must never
// report less than the exact optimum.

// unit is the unit roundoff u = 2⁻⁵³.
const unit = 0x1p-53

// bigLogit returns ℓ = log((1−q)/q) as an unevaluated sum hi + lo of two
// doubles, correct to about 2⁻¹⁰⁰ relative: r = (1−q)/q = m·2ᵏ with
// m ∈ [2^{−½}, 2^{½}), log r = k·ln 2 + 2·atanh((m−1)/(m+1)) and
// ln 2 = 2·atanh(⅓), with atanh y = Σ y^{2j+1}/(2j+1) in 200-bit arithmetic.
func bigLogit(q float64) (hi, lo float64) {
	const prec = 200
	newF := func() *big.Float { return new(big.Float).SetPrec(prec) }
	atanh := func(y *big.Float) *big.Float {
		sum, pow, y2 := newF().Set(y), newF().Set(y), newF().Mul(y, y)
		for j := int64(3); y.Sign() != 0; j += 2 {
			pow.Mul(pow, y2)
			term := newF().Quo(pow, newF().SetInt64(j))
			if term.MantExp(nil) < sum.MantExp(nil)-prec-8 {
				break
			}
			sum.Add(sum, term)
		}
		return sum
	}
	one := newF().SetInt64(1)
	m := newF().Quo(newF().Sub(one, newF().SetFloat64(q)), newF().SetFloat64(q))
	k := m.MantExp(m) // m ∈ [½, 1)
	if f, _ := m.Float64(); f < math.Sqrt2/2 {
		m.SetMantExp(m, 1)
		k--
	}
	two := newF().SetInt64(2)
	ln2 := newF().Mul(two, atanh(newF().Quo(one, newF().SetInt64(3))))
	sum := newF().Mul(newF().SetInt64(int64(k)), ln2)
	sum.Add(sum, newF().Mul(two, atanh(newF().Quo(newF().Sub(m, one), newF().Add(m, one)))))
	hi, _ = sum.Float64()
	lo, _ = newF().Sub(sum, newF().SetFloat64(hi)).Float64()
	return hi, lo
}

// compSum is Neumaier's compensated sum: its error is at most 2u of the sum
// plus O(n·u²) of the sum of the absolute values of the terms.
type compSum struct{ sum, comp, abs float64 }

func (c *compSum) add(x float64) {
	s := c.sum + x
	if math.Abs(c.sum) >= math.Abs(x) {
		c.comp += (c.sum - s) + x
	} else {
		c.comp += (x - s) + c.sum
	}
	c.sum = s
	c.abs += math.Abs(x)
}

func (c *compSum) value() float64 { return c.sum + c.comp }

// refPass is the reference evaluation of the binary pass at t:
// ψ(t) = −s·t/2 + Σ [softplus(zᵢ) − softplus(ℓᵢ)], ψ′ = s·(Σ αᵢwᵢ − ½) and
// ψ″ = Σ αᵢ²wᵢ(1−wᵢ), zᵢ = s·t·αᵢ + ℓᵢ, with ℓ from bigLogit, each zᵢ carried
// exactly as zh + zl (an error-free product and sum) and expanded to first
// order in zl, and every sum compensated. It returns the values with bounds
// on their errors: math.Exp and Log1p are trusted to four ulps (as in the
// package), each term then errs by at most 20u absolutely (ψ), 10u of |αᵢ|
// (ψ′) and 24u relatively (ψ″), plus the compensated sums' own error.
type refValues struct {
	psi, d1, d2          float64
	psiErr, d1Err, d2Rel float64 // |error| ≤ psiErr, d1Err; relative error of ψ″ ≤ d2Rel
	d2Abs                float64 // absolute error of ψ″ from results below the normal range
}

func refPass(alpha []float64, y []int, q, s, t float64) refValues {
	lh, ll := bigLogit(q)
	ell := [2][2]float64{{-lh, -ll}, {lh, ll}}
	// softplus(x) − max(x, 0) and sigmoid parts at a double x.
	parts := func(x float64) (log1pe, w, v float64) {
		e := math.Exp(-math.Abs(x))
		w = 1 / (1 + e)
		if x < 0 {
			w = e / (1 + e)
		}
		return math.Log1p(e), w, e / ((1 + e) * (1 + e))
	}
	var psi, d1, d2 compSum
	psi.add(-s * t / 2)
	d1.add(-0.5)
	st := s * t
	var sumAbsA, maxA float64
	for i, a := range alpha {
		lhi, llo := ell[y[i]][0], ell[y[i]][1]
		p := st * a
		pe := math.FMA(st, a, -p) // st·a = p + pe exactly
		zh := p + lhi
		bv := zh - p
		ze := (p - (zh - bv)) + (lhi - bv) // p + lhi = zh + ze exactly
		zl := ze + pe + llo
		lz, wz, vz := parts(zh)
		lE, wE, _ := parts(lhi)
		// softplus(z) − softplus(ℓ) = max(zh,0) + log1p(e^{−|zh|}) + w(zh)·zl
		//   − max(lhi,0) − log1p(e^{−|lhi|}) − w(lhi)·llo, to first order.
		psi.add(max(zh, 0))
		psi.add(-max(lhi, 0))
		psi.add(lz - lE)
		psi.add(wz*zl - wE*llo)
		d1.add(a * (wz + vz*zl))
		d2.add(a * a * vz * (1 + (1-2*wz)*zl))
		sumAbsA += math.Abs(a)
		maxA = max(maxA, math.Abs(a))
	}
	n := float64(len(alpha))
	r := refValues{psi: psi.value(), d1: s * d1.value(), d2: d2.value()}
	r.psiErr = 20*unit*n + 4*unit*math.Abs(r.psi) + 4*n*unit*unit*psi.abs
	r.d1Err = 10*unit*sumAbsA + 4*unit*math.Abs(r.d1) + 4*n*unit*unit*d1.abs
	r.d2Rel = 24*unit + 4*n*unit*unit
	r.d2Abs = n * (maxA*maxA + 1) * 0x1p-1070
	return r
}

// hardCase is an adversarial binary problem for the rounding tests.
type hardCase struct {
	name  string
	alpha []float64
	y     []int
	q, e  float64 // noise level and kernel-vector error
}

// hardCases draws problems that strain the rounding: 10⁵ equal weights and
// labels (every rounding error alike, so they add up instead of cancelling),
// many tiny weights next to a few large ones, weights spread over fourteen
// orders of magnitude, q near 0 (down to 10⁻³⁰⁰, where |ℓ| ≈ 690) and near ½.
func hardCases(rng *rand.Rand) []hardCase {
	equal := func(n int, a float64, label int) ([]float64, []int) {
		alpha, y := make([]float64, n), make([]int, n)
		for i := range alpha {
			alpha[i], y[i] = a, label
		}
		return alpha, y
	}
	tinyAndLarge := func(n int) ([]float64, []int) {
		alpha, y := make([]float64, n), make([]int, n)
		for i := range alpha {
			y[i] = rng.IntN(2)
			alpha[i] = 1e-9 * rng.NormFloat64()
			if i < 6 {
				alpha[i] = 0.3 + 0.2*rng.Float64()
			}
		}
		return alpha, y
	}
	spread := func(n int) ([]float64, []int) {
		alpha, y := make([]float64, n), make([]int, n)
		for i := range alpha {
			y[i] = rng.IntN(2)
			alpha[i] = math.Pow(10, -12+14*rng.Float64()) / float64(n)
			if rng.IntN(3) == 0 {
				alpha[i] = -alpha[i]
			}
			if y[i] == 1 {
				alpha[i] += 2.0 / float64(n)
			}
		}
		return alpha, y
	}
	var cases []hardCase
	a, y := equal(100000, 1e-5, 1)
	cases = append(cases, hardCase{"1e5 equal, q=0.3", a, y, 0.3, 0})
	a, y = equal(30000, 1.0/30000, 0)
	cases = append(cases, hardCase{"3e4 equal, q=0.45, class 0", a, y, 0.45, 0})
	// Heavy equal weights and few expected flips: ψ″ grows almost exactly
	// like e^{Bt} below the minimiser, so the one-pass bound is nearly exact
	// and only the pads keep the rounding of ψ′ from making it optimistic.
	a, y = equal(10000, 1e4, 0)
	cases = append(cases, hardCase{"1e4 equal heavy, q=1e-9", a, y, 1e-9, 0})
	a, y = equal(20000, 1e-4, 1)
	cases = append(cases, hardCase{"2e4 equal, q=1e-12", a, y, 1e-12, 0})
	a, y = tinyAndLarge(50000)
	cases = append(cases, hardCase{"tiny next to large, q=0.01", a, y, 0.01, 0})
	a, y = tinyAndLarge(3000)
	cases = append(cases, hardCase{"tiny next to large, q=0.4999999", a, y, 0.4999999, 0})
	a, y = spread(30000)
	cases = append(cases, hardCase{"fourteen decades, q=1e-9", a, y, 1e-9, 1e-7})
	a, y = spread(2000)
	cases = append(cases, hardCase{"fourteen decades, q=0.2", a, y, 0.2, 0})
	return cases
}

// refRoot returns the minimiser of the reference ψ(t) + E·t over t ≥ 0 by
// Newton steps on its derivative inside a bracket, bisecting when a step
// leaves it.
func refRoot(c hardCase, s float64) float64 {
	maxA := 0.0
	for _, a := range c.alpha {
		maxA = max(maxA, math.Abs(a))
	}
	lo, hi := 0.0, 1/maxA
	for refPass(c.alpha, c.y, c.q, s, hi).d1+c.e < 0 {
		lo, hi = hi, 2*hi
	}
	t := (lo + hi) / 2
	for range 100 {
		r := refPass(c.alpha, c.y, c.q, s, t)
		d := r.d1 + c.e
		if d < 0 {
			lo = t
		} else {
			hi = t
		}
		next := t - d/r.d2
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-t) <= 1e-12*t {
			return next
		}
		t = next
	}
	return t
}

// TestRoundingHardCases checks the binary path's rounding on the hard
// cases against the reference, at points from far below to far above the
// reference minimiser t*:
//
//   - a computed pass is within the bounds of newSearch: |ψ̂ − ψ| ≤ pad +
//     padPerT·t, |ψ̂′ − ψ′| ≤ slopeErr and ψ″ ≤ (ψ̂″ + curveAbs)(1 + curveErr).
//     Equal weights make the rounding errors add up: summed in one run
//     rather than in chunks, ψ′ at n = 10⁵ exceeds its bound;
//   - fed the worst values those bounds allow (ψ as low, |ψ′| as large and
//     ψ″ as small as they permit), the one-pass upper bound is still at least
//     the reference ψ at the point it refers to. Without the pads on ψ′ and
//     ψ″ it is not, where the step is long;
//   - Certify's LogEps is never below the least reference ψ(t) + E·t on a
//     fine grid around t*, and above it by at most the tolerance and twice
//     the pads there.
func TestRoundingHardCases(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	unpaddedFails := 0
	for _, c := range hardCases(rng) {
		m, st := newModel(c.alpha, c.y, c.q)
		s := m.search(st, c.q, c.e)
		tStar := refRoot(c, m.s)
		for _, f := range []float64{1e-3, 0.3, 0.9, 1, 1.1, 3, 1e3} {
			at := f * tStar
			r := refPass(c.alpha, c.y, c.q, m.s, at)
			psi, d1, d2, _ := m.eval(at)
			if dev := math.Abs(psi-r.psi) + r.psiErr; !(dev <= s.pad+s.padPerT*at) {
				t.Errorf("%s, t = %v: ψ off by up to %v, bound %v", c.name, at, dev, s.pad+s.padPerT*at)
			}
			if dev := math.Abs(d1-r.d1) + r.d1Err; !(dev <= s.slopeErr) {
				t.Errorf("%s, t = %v: ψ′ off by up to %v, bound %v", c.name, at, dev, s.slopeErr)
			}
			if exact, bound := r.d2*(1+r.d2Rel)+r.d2Abs, (d2+s.curveAbs)*(1+s.curveErr); !(exact <= bound) {
				t.Errorf("%s, t = %v: ψ″ up to %v, bound %v", c.name, at, exact, bound)
			}

			// The worst values: for every exact value the reference allows,
			// each is within the bounds of newSearch.
			psi = r.psi + r.psiErr - (s.pad + s.padPerT*at) // step adds the pads back
			d1 = r.d1 + math.Copysign(s.slopeErr-r.d1Err, r.d1+c.e)
			d2 = math.Nextafter((r.d2*(1+r.d2Rel)+r.d2Abs)/(1+s.curveErr)-s.curveAbs, math.Inf(1))
			unpadded := s
			unpadded.slopeErr, unpadded.curveErr, unpadded.curveAbs = 0, 0, 0
			for _, variant := range []search{s, unpadded} {
				p := newProgress()
				variant.step(&p, at, psi, d1, d2, 0)
				if p.best >= 0 {
					continue // no better than ψ(0) = 0
				}
				// The point the bound refers to (see bounds): no step when the
				// bound is the padded ψ itself.
				to := at
				if padded := psi + s.pad + s.padPerT*at + c.e*at; p.best < padded {
					g := max(math.Abs(d1+c.e)-variant.slopeErr, 0)
					d2Up := (d2 + variant.curveAbs) * (1 + variant.curveErr)
					to = at - math.Copysign(math.Log1p(g*s.rate/d2Up)/s.rate, d1+c.e)
				}
				ref := refPass(c.alpha, c.y, c.q, m.s, to)
				if low := ref.psi - ref.psiErr + c.e*to*(1-unit); p.best < low {
					if variant.slopeErr > 0 {
						t.Errorf("%s, t = %v: upper bound %v below ψ(%v) ≥ %v", c.name, at, p.best, to, low)
					} else {
						unpaddedFails++
					}
				}
			}
		}

		cert := Certify(c.alpha, c.y, 2, c.q, c.e)
		best := math.Inf(1)
		for k := -5; k <= 5; k++ {
			at := tStar * (1 + 1e-7*float64(k))
			best = min(best, refPass(c.alpha, c.y, c.q, m.s, at).psi+c.e*at)
		}
		if cert.LogEps < best {
			t.Errorf("%s: LogEps %v below the exact optimum %v", c.name, cert.LogEps, best)
		}
		if slack := tolerance + 2*(s.pad+s.padPerT*tStar); cert.LogEps > best+slack {
			t.Errorf("%s: LogEps %v above the exact optimum %v by more than %v", c.name, cert.LogEps, best, slack)
		}
		t.Logf("%s: LogEps %.15g, above the optimum by %.3g (pad %.3g)", c.name, cert.LogEps, cert.LogEps-best, s.pad+s.padPerT*tStar)
	}
	if unpaddedFails == 0 {
		t.Error("no case needed the derivative pads: the test cannot tell")
	}
	t.Logf("%d bounds are unsound without the derivative pads", unpaddedFails)
}

// exactOther returns the probability that S = Σ αᵢy′ᵢ ≥ ½ (the other class
// of class 0), enumerating the noisy labels in exact rational arithmetic.
func exactOther(alpha []float64, y []int, q float64) *big.Rat {
	half := big.NewRat(1, 2)
	qr := new(big.Rat).SetFloat64(q)
	total := new(big.Rat)
	for mask := range 1 << len(alpha) {
		sum, prob := new(big.Rat), big.NewRat(1, 1)
		for i, a := range alpha {
			flipped := mask>>i&1 == 1
			label := y[i]
			if flipped {
				label = 1 - label
			}
			if label == 1 {
				sum.Add(sum, new(big.Rat).SetFloat64(a))
			}
			if flipped {
				prob.Mul(prob, qr)
			} else {
				prob.Mul(prob, new(big.Rat).Sub(big.NewRat(1, 1), qr))
			}
		}
		if sum.Cmp(half) >= 0 {
			total.Add(total, prob)
		}
	}
	return total
}

// TestReachableOnlyByRounding builds kernels whose largest score Σ_{αᵢ>0} αᵢ
// lies at, just above or just below ½ while its floating-point sum rounds to
// the other side (or onto ½): whether class 0 can be overturned at all must
// not rest on that rounding. Each certificate is checked against the exact
// probability by enumeration in rational arithmetic.
func TestReachableOnlyByRounding(t *testing.T) {
	const top = 0.5 - 0x1p-54 // the double below ½
	for _, tc := range []struct {
		name       string
		alpha      []float64
		impossible bool // the exact probability is 0
	}{
		// ½ exactly; the float sum stays at top: "impossible" by rounding.
		{"exactly 1/2", []float64{top, 0x1p-56, 0x1p-56, 0x1p-56, 0x1p-56, -0.3}, false},
		// ½ + 2⁻⁵⁶; the float sum stays at top.
		{"just above 1/2", []float64{top, 0x1p-56, 0x1p-56, 0x1p-56, 0x1p-56, 0x1p-56}, false},
		// ½ − 3·2⁻⁵⁷; the float sum rounds up to ½ exactly.
		{"just below 1/2", []float64{top, 0x1p-55 + 0x1p-57, -0.1}, true},
	} {
		y := make([]int, len(tc.alpha))
		var float float64
		for _, a := range tc.alpha {
			float += max(a, 0)
		}
		if (float < 0.5) == tc.impossible {
			t.Fatalf("%s: the float sum %v does not mislead", tc.name, float)
		}
		const q = 0.1
		c := Certify(tc.alpha, y, 2, q, 0)
		if c.Class != 0 {
			t.Fatalf("%s: class %d, want 0", tc.name, c.Class)
		}
		p, _ := exactOther(tc.alpha, y, q).Float64()
		switch {
		case tc.impossible && c.LogEps != LogEpsImpossible:
			t.Errorf("%s: LogEps %v, want LogEpsImpossible (the other class has probability 0)", tc.name, c.LogEps)
		case !tc.impossible && !(c.LogEps >= math.Log(p)):
			t.Errorf("%s: LogEps %v below the exact log probability %v", tc.name, c.LogEps, math.Log(p))
		}
	}
}
