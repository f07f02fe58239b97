package analytic

import "math"

// binsPerLabel is the resolution of the surrogate: per label, α is binned
// into this many equal-width bins over [min α, max α].
const binsPerLabel = 128

// surrogateSteps caps the Halley steps on the surrogate.
const surrogateSteps = 40

// node is one non-empty bin: count weights with mean a and spread
// Σ(αᵢ − a)² in it, all with the same label.
type node struct {
	a, spread, count float64
	label            int
}

// surrogate approximates ψ′, ψ″, ψ‴ from at most 2·binsPerLabel bins
// instead of n terms, so that the search for the minimiser costs a few
// hundred exps per step; only the final passes use every term. A bin stands
// for its terms through a second-order expansion about its mean a:
// Σ h(αᵢ) ≈ count·h(a) + ½h″(a)·spread, applied to ψ′, whose root is what
// matters; ψ″ and ψ‴ only set the step length and take the leading term.
type surrogate struct {
	nodes [2 * binsPerLabel]node
	n     int
	s     float64
	ell   [2]float64
}

// newSurrogate bins m's kernel; lo and hi are min α and max α.
func newSurrogate(m *model, lo, hi float64) surrogate {
	sur := surrogate{s: m.s, ell: m.ell}
	scale := 0.0
	if hi > lo {
		scale = binsPerLabel / (hi - lo)
	}
	// Accumulate count, Σα and Σα² in the node slots of bin k of label y,
	// nodes[y·binsPerLabel + k], then turn them into means and spreads and
	// pack the non-empty ones to the front.
	for i, a := range m.alpha {
		k := 0
		if x := (a - lo) * scale; x > 0 { // false for NaN: a subnormal hi − lo
			k = int(min(x, binsPerLabel-1))
		}
		nd := &sur.nodes[(m.y[i]&1)*binsPerLabel+k]
		nd.count++
		nd.a += a
		nd.spread += a * a
	}
	for j := range sur.nodes {
		nd := sur.nodes[j] // sur.n ≤ j: packing never overwrites an unread slot
		if nd.count == 0 {
			continue
		}
		mean := nd.a / nd.count
		sur.nodes[sur.n] = node{a: mean, spread: max(nd.spread-nd.a*mean, 0), count: nd.count, label: j / binsPerLabel}
		sur.n++
	}
	return sur
}

// derivatives returns the surrogate ψ′, ψ″, ψ‴ at t. For h(α) = α·w(s·t·α+ℓ)
// (ψ′ = −s/2 + s·Σh), h″ = 2·st·v + α·(st)²·v·(1−2w), v = w(1−w).
func (sur *surrogate) derivatives(t float64) (d1, d2, d3 float64) {
	st := sur.s * t
	var sumW, sum2, sum3 float64
	for _, nd := range sur.nodes[:sur.n] {
		_, v, tanh := sigmoidParts(st*nd.a + sur.ell[nd.label&1])
		a2v := nd.a * nd.a * v
		sumW += nd.count*nd.a*(1+tanh)/2 + nd.spread*st*v*(1-nd.a*st*tanh/2)
		sum2 += nd.count*a2v + nd.spread*v
		sum3 += nd.count * a2v * nd.a * tanh
	}
	return -sur.s/2 + sur.s*sumW, sum2, -sur.s * sum3
}

// root runs safeguarded Halley on the surrogate ψ′ from t0 and returns its
// root, the starting point of the exact passes.
func (sur *surrogate) root(t0 float64) float64 {
	br := newBracket()
	t := sane(t0)
	for range surrogateSteps {
		d1, d2, d3 := sur.derivatives(t)
		next := br.next(t, d1, d2, d3)
		if math.Abs(next-t) <= 1e-12*t {
			return next
		}
		t = next
	}
	return t
}
