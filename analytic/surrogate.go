package analytic

import "math"

// binsPerLabel is the resolution of the binary surrogate: per label, α is
// binned into this many equal-width bins over [min α, max α].
const binsPerLabel = 128

// surrogateSteps caps the Halley steps on the surrogate.
const surrogateSteps = 40

// node is one non-empty bin: count weights with mean a and spread
// Σ(αᵢ − a)² in it, all with the same label (binary) or law (K classes).
type node struct {
	a, spread, count float64
	label            int
}

// surrogate approximates ψ′, ψ″, ψ‴ from a few hundred bins instead of n
// terms, so that the search for the minimiser costs a few hundred exps per
// step; only the final passes use every term. A bin stands
// for its terms through a second-order expansion about its mean a:
// Σ h(αᵢ) ≈ count·h(a) + ½h″(a)·spread, applied to ψ′, whose root is what
// matters; ψ″ and ψ‴ only set the step length and take the leading term.
//
// The binary surrogate (multi false) bins α by label into at most
// 2·binsPerLabel nodes; the K-class one bins |α| by the law of the term (see
// law) and evaluates through tilt.
type surrogate struct {
	nodes []node // capacity; the first n are in use
	n     int
	s     float64    // binary: the side, as in model
	ell   [2]float64 // binary: logit π by label
	multi bool       // K classes: nodes are |α| with label = law index
	laws  [3]law     // K classes: the laws by index
	slope float64    // the kernel-vector error E, added to ψ′
}

// newSurrogate bins m's kernel into buf, which must hold 2·binsPerLabel
// zero nodes; lo and hi are min α and max α; slope is the kernel-vector
// error.
func newSurrogate(m *model, lo, hi, slope float64, buf []node) surrogate {
	sur := surrogate{nodes: buf, s: m.s, ell: m.ell, slope: slope}
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
		sur.add(nd.count, nd.a, nd.spread, j/binsPerLabel)
	}
	return sur
}

// add appends a node from a bin's count, Σa and Σa². The slot it writes is
// never one still to be read by newSurrogate's packing loop.
func (sur *surrogate) add(count, sum, sumSq float64, label int) {
	mean := sum / count
	sur.nodes[sur.n] = node{a: mean, spread: max(sumSq-sum*mean, 0), count: count, label: label}
	sur.n++
}

// derivatives returns the surrogate ψ′, ψ″, ψ‴ at t.
//
// Binary: for h(α) = α·w(s·t·α+ℓ) (ψ′ = −s/2 + s·Σh), h″ = 2·st·v +
// α·(st)²·v·(1−2w), v = w(1−w).
//
// K classes: each term is F(t·|α|) with F′ = m, F″ = v, F‴ = k (see
// cumulants),
// so for h(a) = a·m(ta) (ψ′ = Σh), h″ = 2t·v + a·t²·k.
func (sur *surrogate) derivatives(t float64) (d1, d2, d3 float64) {
	if sur.multi {
		for _, nd := range sur.nodes[:sur.n] {
			_, wb, w0, ws := tilt(math.Exp(-t*nd.a), sur.laws[nd.label])
			m, v, k := cumulants(wb, w0, ws)
			a2 := nd.a * nd.a
			d1 += nd.count*nd.a*m + nd.spread*t*(v+nd.a*t*k/2)
			d2 += nd.count*a2*v + nd.spread*v
			d3 += nd.count * a2 * nd.a * k
		}
		return d1 + sur.slope, d2, d3
	}
	st := sur.s * t
	var sumW, sum2, sum3 float64
	for _, nd := range sur.nodes[:sur.n] {
		_, v, tanh := sigmoidParts(st*nd.a + sur.ell[nd.label&1])
		a2v := nd.a * nd.a * v
		sumW += nd.count*nd.a*(1+tanh)/2 + nd.spread*st*v*(1-nd.a*st*tanh/2)
		sum2 += nd.count*a2v + nd.spread*v
		sum3 += nd.count * a2v * nd.a * tanh
	}
	return -sur.s/2 + sur.s*sumW + sur.slope, sum2, -sur.s * sum3
}

// root runs safeguarded Halley on the surrogate ψ′ from t0 inside br and
// returns its root, the starting point of the exact passes, once a step is
// at most rel·t.
func (sur *surrogate) root(t0 float64, br bracket, rel float64) float64 {
	t := sane(t0)
	for range surrogateSteps {
		d1, d2, d3 := sur.derivatives(t)
		next := br.next(t, d1, d2, d3)
		if math.Abs(next-t) <= rel*t {
			return next
		}
		t = next
	}
	return t
}
