package analytic

import "math"

// search holds the constants of one minimisation of a convex ψ over t ≥ 0
// (docs/science.md §4, §8): how fast ψ″ can vary, the paddings that make
// every value an upper bound on the exact ψ, and the stopping tolerance. The
// caller drives the passes (one evaluation of ψ, ψ′, ψ″, ψ‴ at t each) and
// hands each to step:
//
//	p := newProgress()
//	for s.more(&p) {
//		next := s.step(&p, t, eval(t))
//		if next == t { break }
//		t = next
//	}
type search struct {
	// rate is B in ψ″(t)e^{−B|Δ|} ≤ ψ″(t+Δ) ≤ ψ″(t)e^{B|Δ|}.
	rate float64
	// pad + padPerT·t bounds the rounding error of a computed ψ(t).
	pad, padPerT float64
	// slope is the kernel-vector error E: ψ is raised by E·t (ψ′ by E), which
	// bounds the change of the log-MGF when α moves by Σ|δᵢ| ≤ E.
	slope float64
	// slopeErr bounds the rounding error of a computed ψ′, and the exact ψ″
	// is at most (ψ̂″ + curveAbs)(1 + curveErr) for a computed ψ̂″; bounds
	// uses both so that rounding cannot make its extrapolation optimistic.
	slopeErr, curveErr, curveAbs float64
	// tol: stop once the certified gap best − floor is at most tol.
	tol float64
}

// newSearch returns the constants of a minimisation whose passes sum terms
// terms in chunks of chunk (docs/science.md §10 "Margins of the analytic certificate"): the logs as one log per
// chunk of a product of chunk factors whose range keeps the product normal,
// and every other sum chunk by chunk too. Each term is the log-MGF of |αᵢ|
// times a loss in [−1, 1] under a law whose probabilities are at least p
// (p = q for two classes); sum is Σ|αᵢ| over the terms, rate the bound B on
// the variation of ψ″, alphaErr the kernel-vector error E and tol the
// stopping tolerance; classes is K (2 for the binary path). Both paths use
// it, so both pad ψ, ψ′ and ψ″ alike.
//
// The bounds assume correctly rounded arithmetic, x(1+δ) with |δ| ≤ u = 2⁻⁵³,
// and math.Exp, Log and Log1p within four ulps (a relative 8u; Go documents
// one).
//   - Sums: m terms summed in chunks of L err by at most (L + m/L)u times the
//     sum of their absolute values; K classes add up to 2K chunks (segments,
//     assembly of the rivals).
//   - Terms: each term of ψ is at most t|αᵢ| + log(1/p) + log 2 in size
//     (binary: max(z, 0) − softplus(ℓ), two non-negative parts each at most
//     t|αᵢ| + |ℓ| + log 2, |ℓ| ≤ log(1/q)) and is computed within a few dozen
//     u of its size; each term of ψ′ is at most |αᵢ| (binary: ψ′ =
//     s(Σαᵢ + Σαᵢ tanh(zᵢ/2) − 1)/2, with Σαᵢ also summed in chunks), within
//     a few dozen u of |αᵢ| plus u(|ℓ| + 1)|αᵢ| from the rounding of z.
//   - With γ = (L + m/L + 2K + 128)·2⁻⁵², twice the summation bound with 256u
//     per term for the terms' own arithmetic,
//     pad = γ·m·(log(1/p) + 2), padPerT = 2γ·Σ|αᵢ| and slopeErr = 2γ·Σ|αᵢ|
//     bound the errors of ψ, with room for the additions that apply the
//     pads, and of ψ′.
//   - The binary ℓ = log1p(−q) − log q is itself rounded, by at most
//     9u(log(1/q) + 1). ψ moves by at most m times that when ℓ does (each
//     term's derivative in ℓ is a difference of two sigmoids), so a pass is
//     taken as one of ψ with the computed ℓ, which the pad, well within its
//     spare, lifts above the exact ψ for every t.
//   - ψ″ is a sum of non-negative terms, each within a few dozen u
//     relatively but for the rounded argument x of its exp: one that does
//     not underflow has |x| ≤ 745.2, the binary x = s·t·αᵢ + ℓ errs by at
//     most u(2|x| + |ℓ|) and the K-class t·|αᵢ| by u|x|, and |ℓ| ≤ 745 for
//     any double q, so e^{−|x|} errs by a relative < 2⁻⁴¹ from it:
//     curveErr = 2γ + 2⁻⁴¹.
//   - Results below the normal range err by a few units of 2⁻¹⁰⁷⁴ (times αᵢ²
//     in ψ″): curveAbs = m·(B² + 1)·2⁻¹⁰⁶⁸, and slopeErr has m·2⁻¹⁰⁶⁸ more.
func newSearch(terms, chunk, classes int, p, sum, rate, alphaErr, tol float64) search {
	m := float64(terms)
	gamma := float64(chunk+terms/chunk+2*classes+128) * 0x1p-52
	scaled := rate * 0x1p-534 // B·2⁻⁵³⁴, whose square cannot overflow
	return search{
		rate:     rate,
		pad:      gamma * m * (2 - math.Log(p)),
		padPerT:  2 * gamma * sum,
		slope:    alphaErr,
		slopeErr: 2*gamma*sum + m*0x1p-1068,
		curveErr: 2*gamma + 0x1p-41,
		curveAbs: m * (scaled*scaled + 0x1p-1068),
		tol:      tol,
	}
}

// progress is the state of one minimisation: the safeguarding bracket, the
// smallest certified upper bound on min ψ met (best, ≤ ψ(0) = 0), a
// certified lower bound on it (floor) and the passes spent.
type progress struct {
	br          bracket
	best, floor float64
	passes      int
}

func newProgress() progress {
	return progress{br: newBracket(), floor: math.Inf(-1)}
}

// more reports whether another pass is worth its cost: the gap is not yet
// certified within tolerance and the pass budget is not spent.
func (s *search) more(p *progress) bool {
	return p.passes < maxPasses && !(p.best-p.floor <= s.tol)
}

// step records one pass at t (ψ = psi and its derivatives, unpadded) in p
// and returns the next t to evaluate.
func (s *search) step(p *progress, t, psi, d1, d2, d3 float64) float64 {
	p.passes++
	psi += s.pad + s.padPerT*t
	psi += s.slope * t
	d1 += s.slope
	upper, lower := s.bounds(t, psi, d1, d2)
	p.best, p.floor = min(p.best, upper), max(p.floor, lower)
	return p.br.next(t, d1, d2, d3)
}

// minimise searches t ≥ 0 from t0 for the minimum of the binary ψ, given
// ψ′(0) < 0 < ψ′(∞), with one pass over α per step. It returns the bound
// (the smallest certified upper bound on ψ met, ≤ 0) and the number of
// passes. It stops once that bound is certified within tolerance of min ψ.
func (m *model) minimise(s *search, t0 float64) (float64, int) {
	p := newProgress()
	t := sane(t0)
	for s.more(&p) {
		psi, d1, d2, d3 := m.eval(t)
		next := s.step(&p, t, psi, d1, d2, d3)
		if next == t { // the bracket has shrunk to rounding
			break
		}
		t = next
	}
	return p.best, p.passes
}

// eval returns ψ(t) and its first three derivatives in one pass with one exp
// per term. softplus(z) = max(z, 0) + log(1+e^{−|z|}), the logs summed as the
// log of a product of factors in (1, 2]. Every sum is taken in chunks of
// productChunk terms, each term of ψ at most |t·αᵢ| + log(1/q) + log 2 in
// size and each of ψ′ at most |αᵢ|, which is what the caller's rounding
// bounds (newSearch) rest on.
func (m *model) eval(t float64) (psi, d1, d2, d3 float64) {
	st := m.s * t
	var linear, logProd, sumTanh, sum2, sum3 float64
	for start := 0; start < len(m.alpha); start += productChunk {
		end := min(start+productChunk, len(m.alpha))
		alpha, y := m.alpha[start:end], m.y[start:end]
		var chunkLinear, chunkTanh, chunk2, chunk3 float64
		prod := 1.0
		for i, a := range alpha {
			yi := y[i] & 1 // labels are validated 0/1; the mask drops bounds checks
			z := st*a + m.ell[yi]
			// sigmoidParts by hand: the compiler will not inline it (math.Exp
			// is over budget) and the call costs ~10% in this, the hot loop.
			e := math.Exp(-math.Abs(z))
			inv := 1 / (1 + e)
			tanh := math.Copysign((1-e)*inv, z)
			a2v := a * a * e * inv * inv
			chunkTanh += a * tanh
			chunk2 += a2v
			chunk3 += a2v * a * tanh
			chunkLinear += max(z, 0) - m.softplusEll[yi]
			prod *= 1 + e
		}
		linear += chunkLinear
		logProd += math.Log(prod)
		sumTanh += chunkTanh
		sum2 += chunk2
		sum3 += chunk3
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

// bounds turns one pass at t (ψ = psi, ψ′ = d1, ψ″ = d2, padded) into a
// certified upper bound on ψ at the best nearby t′ ≥ 0 and a lower bound on
// min ψ.
//
// Each term's ψ″ changes by at most a factor e^{B|Δ|} (its log-derivative,
// third over second cumulant of the term, is at most the term's range), so
// ψ″(t)e^{−B|Δ|} ≤ ψ″(t+Δ) ≤ ψ″(t)e^{B|Δ|} with B = s.rate. Integrating
// twice gives, for u = |Δ| taken against the sign of ψ′ and c = |ψ′|B/ψ″,
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
//
// The upper bound is made safe against rounding (docs/science.md §10 "Margins of the analytic certificate"): it
// takes |ψ′| lowered by s.slopeErr and ψ″ raised by s.curveAbs and the
// factor 1 + s.curveErr, as a smaller slope or a larger curvature only
// raises it, and a computed ψ′ within s.slopeErr of 0 gives no step, its
// sign being unsure. Its own arithmetic, about a dozen roundings and one
// log1p, errs by at most about 20u of the sizes of ψ and of the parts of the
// drop (u = 2⁻⁵³), so it is raised by 2⁻⁴⁸ = 32u of them. A step back to t′ = 0
// is not taken: ψ(0) = 0 already bounds the minimum there. The lower bound
// only decides when to stop and is used as computed.
func (s *search) bounds(t, psi, d1, d2 float64) (upper, lower float64) {
	b := s.rate
	if !(d2 > 0) {
		return psi, math.Inf(-1)
	}
	g := math.Abs(d1)
	upper = psi
	gUp := max(g-s.slopeErr, 0)
	d2Up := (d2 + s.curveAbs) * (1 + s.curveErr)
	c := gUp * b / d2Up
	scale := d2Up / b / b
	// Below B = 2⁻⁵⁰⁰ (kernels no ridge fit produces) B² and the products
	// below could leave the normal range, where rounding is not relative: no
	// step is taken there.
	if step := math.Log1p(c); b >= 0x1p-500 && (d1 < 0 || step < b*t) {
		var drop, size float64 // ψ − upper before the rounding allowance, and the sizes it came from
		if c < 1e-3 {
			// g(c) = −c²/2 + c³/6 − …, alternating with shrinking terms: the
			// truncation after c⁶ raises the drop by at most ψ″/B²·c⁷/42,
			// below u of it.
			drop = scale * c * c * (1.0/2 - c*(1.0/6-c*(1.0/12-c*(1.0/20-c/30))))
			size = drop
		} else { // ψ″/B²·g(c), arranged not to overflow for huge c
			x := gUp / b
			y := (scale + x) * step
			drop, size = y-x, x+y
		}
		upper = psi - drop + 0x1p-48*(math.Abs(psi)+size)
	}
	c, scale = g*b/d2, d2/(b*b)
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

// inside reports whether t lies strictly inside the bracket.
func (b *bracket) inside(t float64) bool { return t > b.lo && t < b.hi }

// sane returns t if it is a usable starting point (positive, finite), else 1.
func sane(t float64) float64 {
	if t > 0 && t < math.MaxFloat64 {
		return t
	}
	return 1
}
