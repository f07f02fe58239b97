package analytic

import (
	"fmt"
	"math"
	"math/big"

	"flipcert/decide"
)

// LogEpsImpossible is the LogEps of a certificate whose other class has
// probability exactly zero: class 0 when even setting every label with
// αᵢ > 0 to 1 gives S = Σ_{αᵢ>0} αᵢ < ½ (for instance α ≡ 0, where S ≡ 0).
// The Chernoff bound then tends to 0 as t → ∞. It stands in for log 0 = −Inf
// so that certificates survive JSON and arithmetic; it lies far below any
// attainable log-probability (≥ n·log q), and package radius maps it to the
// full training-set size.
const LogEpsImpossible = -1e300

// logHalf is the abstention threshold log ½.
const logHalf = -math.Ln2

// tolerance bounds the certified optimality gap: Certify stops once LogEps
// is provably within tolerance of min_{t≥0} ψ(t), an absolute error in log ε
// (a relative 1e−9 in ε) that is always on the safe, looser side.
const tolerance = 1e-9

// maxPasses caps the passes over α; a capped run still returns a valid
// (looser) bound, since every t ≥ 0 gives one.
const maxPasses = 100

// productChunk is how many factors 1 + e^{−|z|} ∈ (1, 2] are multiplied
// before taking a log (2^512 is far from overflow), and how many terms each
// partial sum of a binary pass takes, which bounds its rounding (newSearch).
const productChunk = 512

// Certificate is the analytic certificate of one test point.
type Certificate struct {
	// Class is the predicted class. For two classes it is 1 if μ = Σ αᵢπᵢ ≥ ½,
	// else 0 (docs/science.md §4); for K ≥ 3 it is the argmax of the
	// expected scores μ_c (ExpectedScores), lowest index on ties — also when
	// the certificate abstains.
	Class int
	// LogEps is the natural log of the bound on the probability that the
	// smoothed base classifier does not return Class: for two classes the
	// Chernoff bound on the other side of ½ (P(S ≤ ½) for class 1, P(S ≥ ½)
	// for class 0), for K ≥ 3 the union of the K−1 pairwise Chernoff bounds
	// (docs/science.md §8). It is ≤ 0 (t = 0 gives the trivial bound 1) and
	// finite; LogEpsImpossible when that probability is exactly zero.
	LogEps float64
	// Iterations counts the exact passes over α (n exps each) spent
	// minimising the bound: usually 1, also for K classes when the pass all
	// rivals share settles them; 0 when the minimum is found in closed form.
	// The surrogate's steps, a few hundred exps each, are not counted.
	Iterations int
}

// Abstain reports whether the certificate is too weak to predict: LogEps ≥ log ½.
func (c Certificate) Abstain() bool { return c.LogEps >= logHalf }

// Certify returns the certificate for kernel vector alpha, training labels
// y ∈ {0, …, classes−1}, noise level q ∈ (0, (classes−1)/classes) and a bound
// alphaErr ≥ 0 on Σᵢ|α̂ᵢ − αᵢ|, the distance of the computed kernel vector
// from the exact one (0 trusts alpha as exact; +Inf yields LogEps = 0). The
// bound holds for the exact kernel vector: every exponent ψ(t) is raised by
// t·alphaErr, since each term's log-moment-generating function moves by at
// most t·|δᵢ| when αᵢ moves by δᵢ (the terms are bounded by 1 in absolute
// value; docs/science.md §10 "Margins of the analytic certificate"). Σα ≈ 1 is not assumed.
//
// Certify is a thin wrapper around a fresh Certifier: for two classes it
// does not allocate; for K ≥ 3 it allocates the Certifier's scratch memory,
// which a long-lived Certifier reuses. It is safe for concurrent use. It
// panics if the lengths differ, classes < 2, a label is outside
// {0, …, classes−1}, an αᵢ is not finite, q is outside its range or
// alphaErr is negative or NaN: those are bugs of the caller, which
// validates its configuration once.
//
// Two classes (docs/science.md §4): with s = −1 for class 1 and s = +1 for
// class 0, the bound minimised over t ≥ 0 is
//
//	ψ(t) = −s·t/2 + Σᵢ log(1 − πᵢ + πᵢ e^{s·t·αᵢ})
//	     = −s·t/2 + Σᵢ [softplus(zᵢ) − softplus(ℓᵢ)],   zᵢ = s·t·αᵢ + ℓᵢ,
//
// with ℓᵢ = logit πᵢ = ±ln((1−q)/q), so ψ(0) = 0 and terms with αᵢ = 0 are
// constant. With wᵢ = sigmoid(zᵢ), the tilted mean of y′ᵢ, and βᵢ = s·αᵢ,
//
//	ψ′ = −s/2 + Σ βᵢwᵢ,  ψ″ = Σ βᵢ² wᵢ(1−wᵢ),  ψ‴ = Σ βᵢ³ wᵢ(1−wᵢ)(1−2wᵢ),
//
// so ψ is convex and ψ′(0) = s(μ − ½) ≤ 0. The search for its minimiser
// runs on a cheap surrogate of ψ′ built from at most 256 bins of α, starting
// where the cubic Taylor model of ψ at 0 is stationary; the exact passes
// (one exp per term each, yielding ψ too) then start close to the optimum
// and continue with safeguarded Halley steps if needed. Because each
// wᵢ(1−wᵢ) changes by at most a factor e^{|Δz|}, one pass at t bounds ψ″
// everywhere: ψ″(t)e^{−B|u−t|} ≤ ψ″(u) ≤ ψ″(t)e^{B|u−t|}, B = max|αᵢ|. That
// yields a certified upper bound on ψ near t (returned, saving the pass that
// would evaluate it) and a lower bound on min ψ; the search stops when they
// are within tolerance, so LogEps is within 1e−9 of the optimal Chernoff
// exponent, on the safe side. ψ, ψ′ and ψ″ are padded for rounding error,
// as for K classes (docs/science.md §10 "Margins of the analytic certificate").
//
// If ψ′ < 0 for every t, the minimum is the limit t → ∞, where ψ′ tends to
// −s/2 + Σ of the βᵢ > 0 (+ alphaErr): when that is < 0 the other class is
// impossible (LogEpsImpossible); when it is 0, ψ tends to log P(S = S_ext),
// S_ext the extreme value of S, and the bound is exact. The sign of that
// limit is settled in exact arithmetic when rounding could decide it.
//
// K ≥ 3 classes: see Certifier.Certify.
func Certify(alpha []float64, y []int, classes int, q float64, alphaErr float64) Certificate {
	if classes == 2 {
		checkArgs(len(alpha), len(y), classes, q, alphaErr)
		return certifyBinary(alpha, y, q, alphaErr)
	}
	var cz Certifier
	return cz.Certify(alpha, y, classes, q, alphaErr)
}

// checkArgs panics on the misuse Certify and ExpectedScores document.
func checkArgs(nAlpha, nY, classes int, q, alphaErr float64) {
	if nAlpha != nY {
		panic(fmt.Sprintf("analytic: %d kernel weights for %d labels", nAlpha, nY))
	}
	if classes < 2 {
		panic(fmt.Sprintf("analytic: %d classes, need at least 2", classes))
	}
	if hi := float64(classes-1) / float64(classes); !(q > 0 && q < hi) {
		panic(fmt.Sprintf("analytic: noise level q = %v outside (0, %v) for %d classes", q, hi, classes))
	}
	if !(alphaErr >= 0) {
		panic(fmt.Sprintf("analytic: kernel-vector error %v is negative or NaN", alphaErr))
	}
}

// certifyBinary is Certify for two classes (docs/science.md §4).
func certifyBinary(alpha []float64, y []int, q, alphaErr float64) Certificate {
	m, st := newModel(alpha, y, q)
	cert := Certificate{Class: 0}
	if m.s < 0 {
		cert.Class = 1
	}
	slope0 := m.s*(st.mean-0.5) + alphaErr // ψ′(0), ≤ 0 unless padded
	if slope0 >= 0 {
		return cert // the minimum is ψ(0) = 0
	}
	// ψ′(∞): the terms with βᵢ > 0 grow like t·βᵢ + log πᵢ, the others vanish.
	slopeInf := -m.s/2 + st.posSum
	if m.s < 0 {
		slopeInf = -m.s/2 - st.negSum // ≥ ½: S can always fall below ½
	}
	slopeInf += alphaErr
	// For class 0 its sign says whether S ≥ ½ is possible at all. The serial
	// sum posSum and the two additions err by at most (n+2)u(½ + posSum + E)
	// (u = 2⁻⁵³); within that of 0 the sign is settled in exact arithmetic,
	// so that no certificate rests on rounding (docs/science.md §10 "Margins of the analytic certificate").
	if band := float64(len(alpha)+3) * 0x1p-52 * (0.5 + st.posSum + alphaErr); m.s > 0 && math.Abs(slopeInf) <= band {
		slopeInf = float64(exactSlopeInf(alpha, alphaErr))
	}
	switch {
	case slopeInf < 0:
		cert.LogEps = LogEpsImpossible
		return cert
	case slopeInf == 0:
		// ψ(t) + alphaErr·t decreases to the same limit as ψ(t) − ψ′(∞)·t.
		cert.LogEps = min(extremeLogProb(alpha, y, q, m.s), 0)
		return cert
	}
	// Cubic Taylor model at 0: ψ′(t) ≈ ψ′(0) + κ₂t + κ₃t²/2 with κ₂ = ψ″(0)
	// = q(1−q)Σα² and κ₃ = ψ‴(0) = s·q(1−q)(1−2q)·Σ αᵢ³(1−2yᵢ). Its smallest
	// positive root, in the cancellation-free form; Newton's step if none.
	k2 := q * (1 - q) * st.sumSq
	k3 := m.s * q * (1 - q) * (1 - 2*q) * st.cubeSigned
	t0 := -slope0 / k2
	if disc := k2*k2 - 2*k3*slope0; disc >= 0 {
		t0 = -2 * slope0 / (k2 + math.Sqrt(disc))
	}
	s := m.search(st, q, alphaErr)
	var buf [2 * binsPerLabel]node
	sur := newSurrogate(&m, st.minA, st.maxA, alphaErr, buf[:])
	cert.LogEps, cert.Iterations = m.minimise(&s, sur.root(t0, newBracket(), 1e-12))
	return cert
}

// model is one binary Certify call's ψ: a kernel, labels, q and side s.
type model struct {
	alpha       []float64
	y           []int
	s           float64    // −1 for class 1, +1 for class 0
	sumAlpha    float64    // Σ αᵢ
	ell         [2]float64 // ℓ = logit π by label
	softplusEll [2]float64 // softplus(ℓ) = −log(1−π) by label
}

// newModel returns the model of kernel alpha, labels y and noise level q on
// the side opposite to the predicted class, with the summary of alpha.
func newModel(alpha []float64, y []int, q float64) (model, summary) {
	logit := math.Log1p(-q) - math.Log(q) // ln((1−q)/q) > 0
	m := model{
		alpha: alpha,
		y:     y,
		s:     1,
		ell:   [2]float64{-logit, logit}, // logit πᵢ for yᵢ = 0, 1
	}
	m.softplusEll = [2]float64{softplus(m.ell[0]), softplus(m.ell[1])}
	st := summarise(alpha, y, q)
	if decide.Binary(st.mean) == 1 {
		m.s = -1
	}
	m.sumAlpha = st.sum
	return m, st
}

// search returns the constants of the minimisation of m's ψ raised by
// alphaErr·t. The rounding of each pass (see eval) is bounded as for K = 2
// classes and p = q (newSearch): each term of ψ is a difference of two
// non-negative parts, max(z, 0) and softplus(ℓ), each at most
// t|αᵢ| + log(1/q) + log 2.
func (m *model) search(st summary, q, alphaErr float64) search {
	return newSearch(len(m.alpha), productChunk, 2, q, st.posSum-st.negSum, max(-st.minA, st.maxA), alphaErr, tolerance)
}

// summary holds the sums of α that decide the class, the search's start and
// the behaviour of ψ at ∞.
type summary struct {
	mean           float64 // μ = Σ αᵢπᵢ
	sum            float64 // Σ αᵢ
	sumSq          float64 // Σ αᵢ²
	cubeSigned     float64 // Σ αᵢ³(1−2yᵢ)
	posSum, negSum float64 // Σ αᵢ over αᵢ > 0, resp. αᵢ < 0
	minA, maxA     float64 // min αᵢ, max αᵢ
}

// summarise computes the summary in one branch-free pass and validates α
// and y. Σαᵢ, which enters every ψ′, is summed in chunks of productChunk
// (newSearch).
func summarise(alpha []float64, y []int, q float64) summary {
	st := summary{minA: math.Inf(1), maxA: math.Inf(-1)}
	pi := [2]float64{q, 1 - q}
	var check float64 // a − a is NaN exactly when a is NaN or ±Inf
	for start := 0; start < len(alpha); start += productChunk {
		var chunkSum float64
		for i, a := range alpha[start:min(start+productChunk, len(alpha))] {
			yi := y[start+i]
			if uint(yi) > 1 {
				panic(fmt.Sprintf("analytic: label y[%d] = %d is not 0 or 1", start+i, yi))
			}
			a2 := a * a
			st.mean += a * pi[yi]
			chunkSum += a
			st.sumSq += a2
			st.cubeSigned += float64(1-2*yi) * a2 * a
			st.posSum += max(a, 0)
			st.negSum += min(a, 0)
			st.minA, st.maxA = min(st.minA, a), max(st.maxA, a)
			check += a - a
		}
		st.sum += chunkSum
	}
	if check != 0 {
		for i, a := range alpha {
			if math.IsNaN(a) || math.IsInf(a, 0) {
				panic(fmt.Sprintf("analytic: kernel weight α[%d] = %v is not finite", i, a))
			}
		}
	}
	return st
}

// exactSlopeInf returns the sign of ψ′(∞) = −½ + Σ_{αᵢ>0} αᵢ + alphaErr for
// class 0 (s = +1), computed without rounding: every double is a multiple
// of 2⁻¹⁰⁷⁴ below 2¹⁰²⁴, so a 2,200-bit mantissa holds any sum of fewer than
// 2¹⁰⁰ of them exactly. It costs n big additions and runs only when the
// floating-point sum is too close to 0 to tell.
func exactSlopeInf(alpha []float64, alphaErr float64) int {
	var sum, x big.Float
	sum.SetPrec(2200).SetFloat64(-0.5)
	for _, a := range alpha {
		if a > 0 {
			sum.Add(&sum, x.SetFloat64(a))
		}
	}
	return sum.Add(&sum, x.SetFloat64(alphaErr)).Sign()
}

// extremeLogProb returns an upper bound on log P(S = S_ext), S_ext the
// extreme value of S towards the other class (every label 1 where s·αᵢ > 0
// and 0 where s·αᵢ < 0): the limit of ψ as t → ∞, the terms tending to
// log πᵢ and log(1−πᵢ) respectively. Each log errs by at most 8u of its size
// and the serial sum of these non-positive terms by (n−1)u of its own, so the
// computed sum is raised by a relative (n+8)·2u (docs/science.md §10 "Margins of the analytic certificate").
func extremeLogProb(alpha []float64, y []int, q, s float64) float64 {
	logPi := [2]float64{math.Log(q), math.Log1p(-q)} // log πᵢ by label
	var sum float64
	for i, a := range alpha {
		switch {
		case s*a > 0:
			sum += logPi[y[i]]
		case s*a < 0:
			sum += logPi[1-y[i]] // log(1−πᵢ)
		}
	}
	return sum * (1 - float64(len(alpha)+8)*0x1p-52)
}

// softplus returns log(1 + eˣ) without overflow.
func softplus(x float64) float64 {
	return max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}
