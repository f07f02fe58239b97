package analytic

import "math"

// model is one Certify call's problem: ψ for a kernel, labels, q and side s.
type model struct {
	alpha        []float64
	y            []int
	s            float64    // −1 for class 1, +1 for class 0
	sumAlpha     float64    // Σ αᵢ
	maxAbs       float64    // B = max |αᵢ|
	pad, padPerT float64    // rounding padding of ψ(t): pad + padPerT·t
	ell          [2]float64 // ℓ = logit π by label
	softplusEll  [2]float64 // softplus(ℓ) = −log(1−π) by label
}

// minimise searches t ≥ 0 from t0 for the minimum of ψ, given
// ψ′(0) < 0 < ψ′(∞), with one pass over α per step. It returns the bound
// (the smallest certified upper bound on ψ met, ≤ 0) and the number of
// passes. It stops once that bound is certified within tolerance of min ψ.
func (m *model) minimise(t0 float64) (float64, int) {
	br := newBracket()
	t := sane(t0)
	best, floor := 0.0, math.Inf(-1) // certified: floor ≤ min ψ ≤ best
	passes := 0
	for passes < maxPasses {
		psi, d1, d2, d3 := m.eval(t)
		passes++
		psi += m.pad + m.padPerT*t
		upper, lower := m.bounds(t, psi, d1, d2)
		best, floor = min(best, upper), max(floor, lower)
		if best-floor <= tolerance {
			break
		}
		next := br.next(t, d1, d2, d3)
		if next == t { // the bracket has shrunk to rounding
			break
		}
		t = next
	}
	return best, passes
}

// eval returns ψ(t) and its first three derivatives in one pass with one exp
// per term. softplus(z) = max(z, 0) + log(1+e^{−|z|}), the logs summed as the
// log of a product of factors in (1, 2]. The other part of ψ is summed in
// chunks too; each of its terms is at most |t·αᵢ| + 2|ℓ| + log 2 in size,
// which is what the caller's rounding padding is proportional to.
func (m *model) eval(t float64) (psi, d1, d2, d3 float64) {
	st := m.s * t
	var linear, logProd, sumTanh, sum2, sum3 float64
	for start := 0; start < len(m.alpha); start += productChunk {
		end := min(start+productChunk, len(m.alpha))
		alpha, y := m.alpha[start:end], m.y[start:end]
		chunkLinear, prod := 0.0, 1.0
		for i, a := range alpha {
			yi := y[i] & 1 // labels are validated 0/1; the mask drops bounds checks
			z := st*a + m.ell[yi]
			// sigmoidParts by hand: the compiler will not inline it (math.Exp
			// is over budget) and the call costs ~10% in this, the hot loop.
			e := math.Exp(-math.Abs(z))
			inv := 1 / (1 + e)
			tanh := math.Copysign((1-e)*inv, z)
			a2v := a * a * e * inv * inv
			sumTanh += a * tanh
			sum2 += a2v
			sum3 += a2v * a * tanh
			chunkLinear += max(z, 0) - m.softplusEll[yi]
			prod *= 1 + e
		}
		linear += chunkLinear
		logProd += math.Log(prod)
	}
	psi = -st/2 + linear + logProd
	// Σ βw = s·Σ α(1 + tanh)/2; ψ‴ = Σ β³w(1−w)(1−2w) = −s·Σ α³ v tanh.
	d1 = m.s * (m.sumAlpha + sumTanh - 1) / 2
	return psi, d1, sum2, -m.s * sum3
}

// sigmoidParts returns, for w = sigmoid(z), e = e^{−|z|}, the variance
// v = w(1−w) = e/(1+e)² and 2w − 1 = tanh(z/2) = sign(z)·(1−e)/(1+e),
// all without cancellation or overflow.
func sigmoidParts(z float64) (e, v, tanh float64) {
	e = math.Exp(-math.Abs(z))
	inv := 1 / (1 + e)
	return e, e * inv * inv, math.Copysign((1-e)*inv, z)
}

// bounds turns one pass at t (ψ = psi, ψ′ = d1, ψ″ = d2) into a certified
// upper bound on ψ at the best nearby t′ ≥ 0 and a lower bound on min ψ.
//
// Each wᵢ(1−wᵢ) changes by at most a factor e^{|Δz|} (its log-derivative is
// 1 − 2w ∈ [−1, 1]), so ψ″(t)e^{−B|Δ|} ≤ ψ″(t+Δ) ≤ ψ″(t)e^{B|Δ|} with
// B = max|αᵢ|. Integrating twice gives, for u = |Δ| taken against the sign of
// ψ′ and c = |ψ′|B/ψ″,
//
//	ψ(t+Δ) ≤ ψ − |ψ′|u + ψ″(e^{Bu} − 1 − Bu)/B²,
//	ψ(t+Δ) ≥ ψ − |ψ′|u + ψ″(e^{−Bu} − 1 + Bu)/B²   (and ≥ ψ the other way).
//
// The first is smallest at Bu = log1p(c), where it is ψ + ψ″/B²·g(c) with
// g(c) = c − (1+c)log1p(c); the second at Bu = −log1p(−c) if c < 1, where it
// is ψ + ψ″/B²·f(c) with f(c) = −c − (1−c)log1p(−c), and unbounded below if
// c ≥ 1. For small c both are −c²/2 ∓ c³/6 − …: the Newton decrement
// ψ′²/(2ψ″) up to a relative c/3. So one pass certifies itself once the
// Newton step is short compared with 1/B, and the upper bound stands in for
// the pass that would evaluate ψ after that step.
func (m *model) bounds(t, psi, d1, d2 float64) (upper, lower float64) {
	b := m.maxAbs
	if !(d2 > 0) {
		return psi, math.Inf(-1)
	}
	g := math.Abs(d1)
	c := g * b / d2
	scale := d2 / (b * b)
	u := math.Log1p(c) / b
	switch {
	case d1 > 0 && u >= t: // t′ = t − u must stay ≥ 0: stop at 0, still a valid bound
		upper = psi - g*t + scale*(math.Expm1(b*t)-b*t)
	case c < 1e-3: // −c²/2 + c³/6 − …: the closed form would cancel
		upper = psi - scale*c*c*(1.0/2-c*(1.0/6-c*(1.0/12-c*(1.0/20-c/30))))
	default: // ψ″/B²·g(c), arranged not to overflow for huge c
		upper = psi + g/b - (scale+g/b)*math.Log1p(c)
	}
	lower = math.Inf(-1)
	switch {
	case c < 1e-3:
		lower = psi - scale*c*c*(1.0/2+c*(1.0/6+c*(1.0/12+c*(1.0/20+c/30))))
	case c < 1:
		lower = psi - scale*(c+(1-c)*math.Log1p(-c))
	}
	if !(upper < psi) { // also when NaN
		upper = psi
	}
	return upper, min(lower, psi)
}

// bracket is the safeguard of the Halley iterations: the sign of ψ′ brackets
// the minimiser, lo < t* ≤ hi. As in Numerical Recipes' rtsafe, a Halley
// (else Newton) step is taken only if it stays inside the bracket and is at
// most half the step before last; otherwise the bracket is bisected, or t
// doubled while no upper end is known. Where most terms have saturated, ψ′
// is nearly flat and Halley crawls by about 2/|αᵢ| per step; the rule hands
// such stretches to bisection.
type bracket struct {
	lo, hi           float64
	step, stepBefore float64 // |t changes| of the last two steps
}

func newBracket() bracket {
	inf := math.Inf(1)
	return bracket{hi: inf, step: inf, stepBefore: inf}
}

// next records ψ′(t) = d1 (ψ″ = d2, ψ‴ = d3) and returns the next t.
func (b *bracket) next(t, d1, d2, d3 float64) float64 {
	if d1 < 0 {
		b.lo = t
	} else {
		b.hi = t
	}
	next := t - 2*d1*d2/(2*d2*d2-d1*d3) // Halley
	if !(next > b.lo && next < b.hi) {
		next = t - d1/d2 // Newton; NaN or ±Inf when d2 = 0
	}
	if !(next > b.lo && next < b.hi) || math.Abs(next-t) > b.stepBefore/2 {
		if math.IsInf(b.hi, 1) {
			next = 2 * t
		} else {
			next = b.lo + (b.hi-b.lo)/2
		}
	}
	b.stepBefore, b.step = b.step, math.Abs(next-t)
	return next
}

// sane returns t if it is a usable starting point (positive, finite), else 1.
func sane(t float64) float64 {
	if t > 0 && t < math.MaxFloat64 {
		return t
	}
	return 1
}
