package analytic

import (
	"fmt"
	"math"
)

// LogEpsImpossible is the LogEps of a certificate whose other class has
// probability exactly zero: for class 0 when even all positive-weight labels
// set to 1 give S = Σ_{αᵢ>0} αᵢ < ½ (for instance α ≡ 0, where S ≡ 0). The
// Chernoff bound then tends to 0 as t → ∞. It stands in for log 0 = −Inf so
// that certificates survive JSON and arithmetic; it lies far below any
// attainable log-probability (≥ n·log q), and package radius maps it to the
// full training-set size.
const LogEpsImpossible = -1e300

// logHalf is the abstention threshold log ½.
const logHalf = -math.Ln2

// tolerance is the Newton decrement ψ′²/(2ψ″) below which the minimiser is
// accepted: the estimated gap ψ(t) − min ψ, an absolute error in log ε.
const tolerance = 1e-10

// maxPasses caps the Newton/bisection passes over α; a capped run still
// returns a valid (looser) bound, since every t ≥ 0 gives one.
const maxPasses = 200

// Certificate is the analytic certificate of one test point.
type Certificate struct {
	// Class is the predicted class: 1 if μ = Σ αᵢπᵢ ≥ ½, else 0.
	Class int
	// LogEps is the natural log of the Chernoff bound on the probability of
	// the other class (P(S ≤ ½) for class 1, P(S ≥ ½) for class 0). It is ≤ 0
	// (t = 0 gives the trivial bound 1) and finite; LogEpsImpossible when that
	// probability is exactly zero.
	LogEps float64
	// Iterations counts the passes over α spent minimising the bound (0 when
	// the minimum is found in closed form).
	Iterations int
}

// Abstain reports whether the certificate is too weak to predict: LogEps ≥ log ½.
func (c Certificate) Abstain() bool { return c.LogEps >= logHalf }

// Certifier holds the workspace of Certify so that repeated calls do not
// allocate. The zero value is ready to use. A Certifier must not be used by
// several goroutines at once; give each worker its own.
type Certifier struct {
	// e[i] = exp(−|zᵢ|) at the last t evaluated, reused for ψ(t).
	e []float64
}

// Certify returns the certificate for kernel vector alpha, training labels
// y (0 or 1) and noise level q ∈ (0, ½). Σα ≈ 1 is not assumed. It allocates
// a workspace; loops should reuse a Certifier.
func Certify(alpha []float64, y []int, q float64) Certificate {
	var c Certifier
	return c.Certify(alpha, y, q)
}

// Certify returns the certificate for kernel vector alpha, training labels
// y (0 or 1) and noise level q ∈ (0, ½) (SCIENCE.md §4). It panics if the
// lengths differ, a label is not 0 or 1, an αᵢ is not finite or q is outside
// (0, ½): those are bugs of the caller, which validates its configuration
// once.
//
// With s = −1 for class 1 and s = +1 for class 0, the bound minimised over
// t ≥ 0 is
//
//	ψ(t) = −s·t/2 + Σᵢ log(1 − πᵢ + πᵢ e^{s·t·αᵢ})
//	     = −s·t/2 + Σᵢ [softplus(s·t·αᵢ + ℓᵢ) − softplus(ℓᵢ)],
//
// ℓᵢ = logit πᵢ = ±ln((1−q)/q), so ψ(0) = 0 and terms with αᵢ = 0 vanish
// exactly. With wᵢ = sigmoid(zᵢ), zᵢ = s·t·αᵢ + ℓᵢ (the tilted mean of y′ᵢ),
//
//	ψ′(t) = −s/2 + s·Σ αᵢwᵢ,   ψ″(t) = Σ αᵢ² wᵢ(1 − wᵢ),
//
// so ψ is convex and ψ′(0) = s(μ − ½) ≤ 0. Newton starts from the Gaussian
// step t₀ = |μ − ½|/(q(1−q)Σα²) and keeps a bracket on the sign of ψ′,
// bisecting (or doubling while no upper end is known) when a step leaves it.
// If ψ′ stays negative as t → ∞ the minimum is the limit: ψ′(∞) = −s/2 + s·Σ
// of the αᵢ with sαᵢ > 0; when it is < 0 the other class is impossible
// (LogEpsImpossible), when it is 0 the infimum is Σ log πᵢ over those αᵢ.
func (c *Certifier) Certify(alpha []float64, y []int, q float64) Certificate {
	if len(alpha) != len(y) {
		panic(fmt.Sprintf("analytic: %d kernel weights for %d labels", len(alpha), len(y)))
	}
	if !(q > 0 && q < 0.5) {
		panic(fmt.Sprintf("analytic: noise level q = %v outside (0, 1/2)", q))
	}
	logit := math.Log1p(-q) - math.Log(q) // ln((1−q)/q) > 0
	m := model{
		alpha: alpha,
		y:     y,
		ell:   [2]float64{-logit, logit},               // logit πᵢ for yᵢ = 0, 1
		logPi: [2]float64{math.Log(q), math.Log1p(-q)}, // log πᵢ for yᵢ = 0, 1
	}
	m.softplusEll = [2]float64{softplus(m.ell[0]), softplus(m.ell[1])}
	st := m.summarise()
	cert := Certificate{Class: 0}
	m.s = 1
	if st.mean >= 0.5 {
		cert.Class, m.s = 1, -1
	}
	slope0 := m.s * (st.mean - 0.5) // ψ′(0) ≤ 0
	if slope0 >= 0 {
		return cert // μ = ½: the minimum is ψ(0) = 0
	}
	// ψ′(∞) and the limit of ψ: the terms with s·αᵢ > 0 grow like s·t·αᵢ + log πᵢ.
	slopeInf, limit := -m.s/2+st.posSum, st.posLogPi
	if m.s < 0 {
		slopeInf, limit = -m.s/2-st.negSum, st.negLogPi
	}
	switch {
	case slopeInf < 0:
		cert.LogEps = LogEpsImpossible
		return cert
	case slopeInf == 0:
		cert.LogEps = min(limit, 0)
		return cert
	}
	if cap(c.e) < len(alpha) {
		c.e = make([]float64, len(alpha))
	}
	e := c.e[:len(alpha)]
	t, passes := m.minimise(e, -slope0/(q*(1-q)*st.sumSq))
	cert.LogEps = min(m.psi(e, t), 0)
	cert.Iterations = passes
	return cert
}

// model is one Certify call's problem: ψ for a kernel, labels, q and side s.
type model struct {
	alpha       []float64
	y           []int
	s           float64    // −1 for class 1, +1 for class 0
	ell         [2]float64 // ℓ = logit π by label
	logPi       [2]float64 // log π by label
	softplusEll [2]float64 // softplus(ℓ) = −log(1−π) by label
}

// summary holds the label-weighted sums of α that decide the class and the
// behaviour of ψ at 0 and at ∞.
type summary struct {
	mean               float64 // μ = Σ αᵢπᵢ
	sumSq              float64 // Σ αᵢ²
	posSum, negSum     float64 // Σ αᵢ over αᵢ > 0, resp. αᵢ < 0
	posLogPi, negLogPi float64 // Σ log πᵢ over αᵢ > 0, resp. αᵢ < 0
}

// summarise computes the summary in one pass and validates α and y.
func (m *model) summarise() summary {
	var st summary
	pi := [2]float64{math.Exp(m.logPi[0]), math.Exp(m.logPi[1])}
	for i, a := range m.alpha {
		yi := m.y[i]
		if yi != 0 && yi != 1 {
			panic(fmt.Sprintf("analytic: label y[%d] = %d is not 0 or 1", i, yi))
		}
		if math.IsNaN(a) || math.IsInf(a, 0) {
			panic(fmt.Sprintf("analytic: kernel weight α[%d] = %v is not finite", i, a))
		}
		st.mean += a * pi[yi]
		st.sumSq += a * a
		switch {
		case a > 0:
			st.posSum += a
			st.posLogPi += m.logPi[yi]
		case a < 0:
			st.negSum += a
			st.negLogPi += m.logPi[yi]
		}
	}
	return st
}

// minimise finds t ≥ 0 near the minimiser of ψ starting from t0 > 0, given
// ψ′(0) < 0 < ψ′(∞). It returns the last t evaluated, whose e-values are
// left in e, and the number of passes.
func (m *model) minimise(e []float64, t0 float64) (float64, int) {
	lo, hi := 0.0, math.Inf(1) // ψ′(lo) < 0 ≤ ψ′(hi)
	t := t0
	if !(t > 0 && t < math.MaxFloat64) {
		t = 1
	}
	passes := 0
	for passes < maxPasses {
		d1, d2 := m.derivatives(e, t)
		passes++
		if d1 < 0 {
			lo = t
		} else {
			hi = t
		}
		if d1*d1 <= 2*tolerance*d2 {
			break
		}
		next := t - d1/d2 // NaN or ±Inf when d2 = 0: rejected below
		if !(next > lo && next < hi) {
			if math.IsInf(hi, 1) {
				next = 2 * t
			} else {
				next = lo + (hi-lo)/2
			}
		}
		if next == t { // the bracket has shrunk to rounding
			break
		}
		t = next
	}
	return t, passes
}

// derivatives returns ψ′(t) and ψ″(t) and stores e[i] = exp(−|zᵢ|).
func (m *model) derivatives(e []float64, t float64) (d1, d2 float64) {
	st := m.s * t
	var sw float64 // Σ αᵢwᵢ
	for i, a := range m.alpha {
		z := st*a + m.ell[m.y[i]]
		ei := math.Exp(-math.Abs(z))
		e[i] = ei
		inv := 1 / (1 + ei)
		w := inv // sigmoid(z) for z ≥ 0
		if z < 0 {
			w = ei * inv
		}
		sw += a * w
		d2 += a * a * ei * inv * inv // w(1−w) = e^{−|z|}/(1+e^{−|z|})²
	}
	return -m.s/2 + m.s*sw, d2
}

// psi returns ψ(t), reusing e[i] = exp(−|zᵢ|) left by derivatives(e, t):
// softplus(z) = max(z, 0) + log1p(e^{−|z|}).
func (m *model) psi(e []float64, t float64) float64 {
	st := m.s * t
	sum := -st / 2
	for i, a := range m.alpha {
		yi := m.y[i]
		z := st*a + m.ell[yi]
		sum += max(z, 0) + math.Log1p(e[i]) - m.softplusEll[yi]
	}
	return sum
}

// softplus returns log(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}
