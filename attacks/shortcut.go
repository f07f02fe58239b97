package attacks

import (
	"math"

	"flipcert/internal/roundoff"
)

// A probe of the smoothed attack with K ≥ 3 that Berry–Esseen alone does not
// decide asks package whitebox for the Chernoff bounds of every class
// against the rival (LogBounds at r = 0), a few exact passes over the labels.
// Its verdict is a monotone function of those bounds, and each bound has
// cheap upper and lower estimates, so most probes can be decided without
// them; the shortcuts below decide a probe only where they prove what the
// bounds themselves would give, so that the attack's outcome is the same
// bit for bit (docs/science.md §11 "Smoothed probes without passes").

// startProves reports that the probe's verdict is proven, whatever the
// white-box bounds turn out to be, from upper bounds on them that cost no
// pass. bound is (an upper bound on) the Berry–Esseen bound on
// P(s_rival ≤ s_class) and uppers[k] on those of the third classes; the
// tails of s_rival − s_k for every k ≠ rival are in the probe scratch, at
// the corners of a box that holds them (or both the same). The verdict is
//
//	2·min(bound, C(class)) + Σ_k min(tails[k], C(k)) < 1,
//
// each C(k) = chernoffUp of the white-box bound of class k, summed with
// outward rounding, and it only grows with each C(k); C(class) ≤ ∞ leaves
// bound. What bounds the white-box bound of a third class is
// whiteStart.bound's.
//
// It tries Bennett's bound with the largest range of a term first, then,
// where that does not prove the verdict, the finer bound of cellBound.
func (s *search) startProves(bound float64, uppers []float64) bool {
	w, ok := s.whiteStart()
	if !ok {
		return false
	}
	for _, fine := range []bool{false, true} {
		est := 2 * bound
		for c := range s.p.Classes {
			if c == s.rival || c == s.class {
				continue
			}
			// The computed exponential of a smaller log is below this
			// one's by more than its error, or both are subnormal.
			ch := chernoffUp(min(w.bound(s, c, fine), 0))*(1+0x1p-40) + 0x1p-1000
			est = up(est + min(uppers[c], ch))
		}
		if est < 1 {
			return true
		}
	}
	return false
}

// whiteStart is what is known, without a pass, of whitebox.LogBounds at
// r = 0 for the rival as the class and every other class as a rival
// (docs/science.md §14). It first evaluates every class k at
// t₀ = (μ − E)/v of the class with the largest Gaussian estimate
// −(μ − E)²/(2v) (μ = E D and v = Var D of D = s_rival − s_k, E the kernel
// error; a class with μ ≤ E as whitebox forms it is trivial, with bound 1),
// and keeps for each the least of its padded exponents met (docs/science.md
// §14 "Margins"), each at most
//
//	ψ_k(t) + 2·(pad + padPerT·t) + t·E + rounding.
//
// Bennett's inequality, each term of −(D − E D) being at most B = 2·max|α̂ᵢ|
// above its mean, gives ψ_k(t) ≤ −t·μ + v·(e^{tB} − 1 − tB)/B², convex in t,
// so its largest value over an interval of t is at an end. t₀ is known to
// the rounding of the sums it comes from: the interval [tLo, tHi].
//
// This rests on how LogBounds searches: its first point and first round of
// Newton steps. Should they change, the bounds here still bound the
// probabilities (every verdict stays a proof) but no longer the white-box
// bounds, and the attack's outcomes could differ from the direct
// computation's: TestQuickAgreesWithExact and the equality tests would show
// it.
type whiteStart struct {
	tLo, tHi     float64
	pad, padPerT float64
	slopeErr     float64 // whitebox's ψ′(0) is within this of E − μ
	curveErr     float64 // and ψ″(0) within this relative of v
	union        float64 // an upper bound on the union of the bounds at t₀
}

// whiteStart returns what is known of whitebox at t₀, and false where a
// class's triviality or the order of the classes is in doubt.
func (s *search) whiteStart() (whiteStart, bool) {
	p := s.p
	k, n := p.Classes, len(p.Alpha)
	if s.q < 0x1p-400 || !(s.maxAbs > 0) { // whitebox certifies nothing below q = 2⁻⁵⁰⁰
		return whiteStart{}, false
	}
	// whitebox's pads: γ = (L + m/L + 2K + 128)·2⁻⁵² with L ≤ 512 and m ≤ n
	// terms, pad = γ·m·(2 + log(1/p)), padPerT = 2γ·Σ|α̂ᵢ|.
	gamma := float64(512+n+2*k+128) * 0x1p-52
	w := whiteStart{
		tLo: math.Inf(1), pad: gamma * float64(n) * (2 - math.Log(s.q/float64(k-1))) * 1.01,
		padPerT:  2 * gamma * s.abs * 1.01,
		slopeErr: 4 * roundoff.Gamma(n+4*k+64) * (s.abs + p.AlphaErr),
		curveErr: 4 * roundoff.Gamma(n+4*k+64),
	}
	// The interval of t₀: the union of the intervals of every class that
	// could come first.
	first := math.Inf(1) // the least upper bound on (μ − E)²/v over the classes
	for c := range k {
		if c == s.rival {
			continue
		}
		lo, hi, vLo, _ := w.slope(s, c)
		switch {
		case hi < 0:
			continue // trivial: whitebox gives the class the bound 1, which the verdict allows
		case !(lo > 0 && vLo > 0x1p-900):
			return w, false // trivial or not, rounding decides
		}
		first = min(first, hi*hi/vLo*(1+16*roundoff.Unit))
	}
	for c := range k {
		if c == s.rival {
			continue
		}
		lo, hi, vLo, vHi := w.slope(s, c)
		if hi < 0 || lo*lo/vHi*(1-16*roundoff.Unit) > first {
			continue // trivial, or certainly not the first
		}
		w.tLo = min(w.tLo, lo/vHi*(1-8*roundoff.Unit))
		w.tHi = max(w.tHi, hi/vLo*(1+8*roundoff.Unit))
	}
	if !(w.tLo <= w.tHi) || math.IsInf(w.tHi, 0) {
		return w, false
	}
	// The union of the bounds at t₀, as whitebox forms it to decide which
	// classes are negligible.
	top, sum := math.Inf(-1), 0.0
	for c := range k {
		if _, hi, _, _ := w.slope(s, c); c != s.rival && hi >= 0 {
			top = max(top, w.at(s, c, w.tLo, w.tHi))
		}
	}
	for c := range k {
		if _, hi, _, _ := w.slope(s, c); c != s.rival && hi >= 0 {
			sum += math.Exp(w.at(s, c, w.tLo, w.tHi) - top)
		}
	}
	w.union = top + math.Log(sum)
	w.union += 1e-9 * (1 + math.Abs(w.union))
	return w, true
}

// slope returns the ranges of −ψ′(0) and ψ″(0) of class c as whitebox forms
// them.
func (w *whiteStart) slope(s *search, c int) (lo, hi, vLo, vHi float64) {
	ps := &s.a.sums.probe
	tl, th := ps.tailLo[c], ps.tailHi[c]
	return tl.mean - tl.slack - w.slopeErr, th.mean + th.slack + w.slopeErr,
		tl.variance * (1 - tl.rel) * (1 - w.curveErr), th.variance * (1 + th.rel) * (1 + w.curveErr)
}

// at returns an upper bound on class c's padded exponent at every t in
// [tLo, tHi].
func (w *whiteStart) at(s *search, c int, tLo, tHi float64) float64 {
	ps := &s.a.sums.probe
	tl, th := ps.tailLo[c], ps.tailHi[c]
	mean, variance := tl.mean-tl.slack, th.variance*(1+th.rel)
	e, b := s.p.AlphaErr, 2*s.maxAbs
	return max(startBound(tLo, mean, variance, b, w.pad, w.padPerT, e, s.abs),
		startBound(tHi, mean, variance, b, w.pad, w.padPerT, e, s.abs))
}

// bound returns an upper bound on the white-box bound of the third class c
// (0 for a trivial one): the least of its bound at t₀ and what whitebox's
// first round of Newton steps leaves it. That round gives c a pass at the
// Newton step t₁ = t₀ − ψ′/ψ″ from its padded derivatives at t₀ unless it is
// negligible (its bound below the union at t₀ by e^{−10}), already within
// 10⁻¹⁰ of a lower bound on its minimum, or t₁ is within 10⁻¹² of t₀; so its
// bound is at most the largest of its exponent at t₁, the union less 10 and
// its minimum plus 10⁻¹⁰. At t₀, ψ′(t) and ψ″(t) follow from ψ′(0) and
// ψ″(0): ψ″ varies at rate at most B, so ψ″(t) ∈ ψ″(0)·[e^{−Bt}, e^{Bt}] and
// ψ′(t) − ψ′(0) ∈ ψ″(0)·[1 − e^{−Bt}, e^{Bt} − 1]/B; whitebox's computed
// derivatives are within (γ_{n+16} + (2tB + 32)·4u) of them, relatively
// (ψ″) or of Σ|α̂ᵢ| (ψ′), and ψ′ is raised by E and padPerT.
func (w *whiteStart) bound(s *search, c int, fine bool) float64 {
	lo, hi, vLo, vHi := w.slope(s, c)
	if hi < 0 {
		return 0
	}
	at := func(tLo, tHi float64) float64 {
		v := w.at(s, c, tLo, tHi)
		if fine {
			v = min(v, w.cellBound(s, c, tLo, tHi))
		}
		return v
	}
	start := at(w.tLo, w.tHi)
	b := 2 * s.maxAbs
	grow := math.Exp(b * w.tHi)
	if !(grow < math.Inf(1)) {
		return start
	}
	rel := roundoff.Gamma(len(s.p.Alpha)+16) + (2*w.tHi*b+32)*4*roundoff.Unit
	e := s.p.AlphaErr
	// The padded ψ′ at t₀ lies in [d1Lo, d1Hi], ψ″ in [d2Lo, d2Hi]; with
	// the range [lo, hi] of μ − E as slope gives it, ψ′(0) = −μ lies in
	// [−(hi − E), −(lo + E)].
	d1Lo := -(hi - e) + vLo*(-math.Expm1(-b*w.tLo))/b - rel*s.abs + e
	d1Hi := -(lo + e) + vHi*math.Expm1(b*w.tHi)/b + rel*s.abs + e + w.padPerT
	d2Lo, d2Hi := vLo/grow*(1-rel), vHi*grow*(1+rel)
	if !(d1Hi < 0 && d2Lo > 0) {
		return start
	}
	t1Lo := (w.tLo + -d1Hi/d2Hi) * (1 - 1e-11)
	t1Hi := (w.tHi + -d1Lo/d2Lo) * (1 + 1e-11)
	round := max(at(t1Lo, t1Hi)+1e-9, w.union-negligibleRival)
	return min(start, round)
}

// cellBound returns an upper bound on class c's padded exponent at every t
// in [tLo, tHi] from the cells of the scan and the probe's moves. By
// Bennett's inequality for each term on its own, each of its centred terms
// Zᵢ ≤ bᵢ has log E e^{tZᵢ} ≤ log1p(Var Zᵢ·t²·g(t·bᵢ)), g(x) =
// (eˣ − 1 − x)/x² growing with x. A term of the clean labels has the law of
// its label's role (docs/science.md §8): for the rival and c one of
// variance v·α̂ᵢ² (v that of the law (1−q, q−p, p)) and bᵢ = 2|α̂ᵢ|, for the
// others variance 2p·α̂ᵢ² about a mean of 0, so bᵢ = |α̂ᵢ|; a moved term has
// at most the former, so
// counting every term by its clean role and each moved term once more over
// bounds the sum. In a cell of n terms, |α̂ᵢ| ≤ a, α̂ᵢ² ≤ a·|α̂ᵢ| and, the log
// being concave, the sum of the n logs is at most n·log1p(Σ/n). The
// exponent is −t·μ plus these sums, −t·μ largest at tLo and the sums at
// tHi.
func (w *whiteStart) cellBound(s *search, c int, tLo, tHi float64) float64 {
	g, p := s.g, s.p
	k := p.Classes
	tl := s.a.sums.probe.tailLo[c]
	mean := tl.mean - tl.slack
	if !(mean > 0) {
		return math.Inf(1)
	}
	pr := s.q / float64(k-1)
	a, b, cc := 1-s.q, s.q-pr, pr
	near, far := (a+cc)*b+4*a*cc, 2*pr
	var sum float64
	for cell := 4; cell < cells; cell++ {
		var count int32
		var nearMass, farMass float64
		for seg := range 2 * k {
			at := seg*cells + cell
			count += g.count[at]
			if l := seg / 2; l == s.rival || l == c {
				nearMass += g.mass[at]
			} else {
				farMass += g.mass[at]
			}
		}
		if count == 0 {
			continue
		}
		// The cell's upper edge, unscaled and rounded up.
		edge := math.Float64frombits((g.top-uint64(cell)+1)<<50) / g.scale / g.scale2
		edge = edge*(1+0x1p-50) + 0x1p-1070
		x := tHi * edge
		if 2*x > 700 {
			return math.Inf(1)
		}
		n := float64(count)
		sum += n * math.Log1p(tHi*tHi*edge*(bennett(2*x)*near*nearMass+bennett(x)*far*farMass)/n)
	}
	for _, m := range g.prefix(p, s.last) {
		x := math.Abs(p.Alpha[m.index])
		if 2*tHi*x > 700 {
			return math.Inf(1)
		}
		sum += math.Log1p(near * x * x * tHi * tHi * bennett(2*tHi*x))
	}
	lin := -tLo * mean
	lift := 2*(w.pad+w.padPerT*tHi) + tHi*p.AlphaErr
	return lin + sum + lift + 1e-9*(math.Abs(lin)+sum+lift+1)
}

// startBound returns an upper bound on the white-box bound of a class at t
// (see startProves): with mean ≤ μ, variance ≥ v, b ≥ the largest range of a
// term about its mean, and whitebox's pads,
//
//	−t·mean + variance·t²·g(tb) + 2·(pad + padPerT·t) + t·E,   g(x) = (eˣ − 1 − x)/x²,
//
// raised by 10⁻¹² of its parts' sizes for the rounding of its evaluation and
// of whitebox's, and +Inf where eˣ overflows.
func startBound(t, mean, variance, b, pad, padPerT, alphaErr, abs float64) float64 {
	x := t * b
	if x > 700 {
		return math.Inf(1)
	}
	lin := -t * mean
	quad := variance * t * t * bennett(x)
	lift := 2*(pad+padPerT*t) + t*alphaErr
	return lin + quad + lift + 1e-12*(math.Abs(lin)+quad+lift+t*abs+1)
}

// bennett returns an upper bound on g(x) = (eˣ − 1 − x)/x², x ≥ 0, within
// a few ulps: the series up to x³ and a bound on its tail where the
// difference would cancel.
func bennett(x float64) float64 {
	if x <= 0.5 {
		return 0.5 + x*(1.0/6+x*(1.0/24+x*math.Exp(x)/120)) // the tail after x³ is at most x³eˣ/120
	}
	return (math.Expm1(x) - x) / (x * x) * (1 + 1e-14)
}

// chernoffHalf reports that the white-box bound of class itself (the
// Chernoff bound on P(s_rival ≤ s_class) at the attacked labels) is at
// least ½, so that with a Berry–Esseen bound of at least ½ the verdict
// fails: every bound whitebox returns is at least min_t ψ(t), ψ the exact
// exponent of D = s_rival − s_class (it pads each computed ψ above it), and
// one pass at t₀ = E D/Var D gives ψ, ψ′ and ψ″ there, and ψ″ varies at
// rate at most B = 2·max|α̂ᵢ| (as in package analytic's search), so with
// c = |ψ′|·B/ψ″ < 1,
//
//	min_t ψ(t) ≥ ψ(t₀) − ψ″/B²·(c + (1−c)·log1p(−c)),
//
// each of ψ, |ψ′| and ψ″ taken to the unfavourable end of its rounding.
// main is the tail of D at the attacked labels, a.labels.
func (s *search) chernoffHalf(main tail) bool {
	p, labels := s.p, s.a.labels
	if !(main.mean > 0 && main.variance > 0 && s.maxAbs > 0) {
		return false
	}
	t := main.mean / main.variance
	k := p.Classes
	pr := s.q / float64(k-1)
	// Each term's loss −sign(αᵢ)·Xᵢ, Xᵢ = 1 if the noisy label is rival,
	// −1 if it is class: P(+1) and P(−1) by label role and sign.
	chunk := max(1, min(512, int(1000/math.Log2(1/pr))))
	var psi, d1, d2 float64
	prod, count := 1.0, 0
	for i, a := range p.Alpha {
		if a == 0 {
			continue
		}
		pj, pc := pr, pr
		switch labels[i] {
		case s.rival:
			pj = 1 - s.q
		case s.class:
			pc = 1 - s.q
		}
		pb, ps := pc, pj
		if a < 0 {
			pb, ps = pj, pc
		}
		x := math.Abs(a)
		e := math.Exp(-t * x)
		g := pb + (1-pj-pc)*e + ps*e*e
		wb, w0, ws := pb/g, (1-pj-pc)*e/g, ps*e*e/g
		psi += t * x
		d1 += x * (wb - ws)
		d2 += x * x * ((wb+ws)*w0 + 4*wb*ws)
		prod *= g
		if count++; count == chunk {
			psi += math.Log(prod)
			prod, count = 1, 0
		}
	}
	psi += math.Log(prod)
	// Rounding, generously: as whitebox's pads, four times over, for ψ;
	// each weight within (2x + 32)u, so ψ′ and ψ″ within that and γ_n.
	n := len(p.Alpha)
	gamma := 4 * float64(chunk+n/chunk+2*k+128) * 0x1p-52
	x := t * s.maxAbs
	rel := roundoff.Gamma(n+16) + (2*x+32)*4*roundoff.Unit
	psi -= gamma*float64(n)*(2-math.Log(pr)) + 2*gamma*s.abs*t
	d1 = math.Abs(d1) + rel*s.abs
	d2 *= 1 - rel
	b := 2 * s.maxAbs
	if !(d2 > 0) {
		return false
	}
	c, scale := d1*b/d2, d2/(b*b)
	var h float64 // c + (1−c)·log1p(−c), from above
	switch {
	case c < 1e-3:
		h = c * c * (1.0/2 + c*(1.0/6+c*(1.0/12+c*(1.0/20+c/15))))
	case c < 1:
		h = (c + (1-c)*math.Log1p(-c)) * (1 + 1e-9)
	default:
		return false
	}
	floor := psi - scale*h
	return floor-1e-9*(1+math.Abs(floor)) > -math.Ln2+1e-9
}
