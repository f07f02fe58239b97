package attacks

import (
	"math"

	"flipcert/internal/roundoff"
)

// probeScratch is the smoothed attack's memory beside the class sums of the
// labels it probes.
type probeScratch struct {
	order          greedy
	clean, mid     moments // of the clean labels, and of a probe's formed from them
	lo, hi         moments // a box that holds the probe's sums as classSums.set forms them
	tailLo, tailHi []tail  // by class k ≠ rival: the tail of s_rival − s_k at the box's corners
	uppers         []float64
	// The scan's Σα̂ᵢ, Σ|α̂ᵢ| and max|α̂ᵢ|, of the point of order's key.
	total, abs, maxAbs float64
}

// moments holds, per class k, Σα̂ᵢ, Σα̂ᵢ² and Σ|α̂ᵢ|³ over the points
// labelled k.
type moments struct{ s1, s2, s3 []float64 }

// reset sets the sums to 0 for K classes.
func (m *moments) reset(classes int) {
	m.s1, m.s2, m.s3 = grow(m.s1, classes), grow(m.s2, classes), grow(m.s3, classes)
	clear(m.s1)
	clear(m.s2)
	clear(m.s3)
}

// proof reports whether the labels attacked by the first r moves provably
// change the smoothed prediction, as Smoothed documents: Berry–Esseen from
// the moments of the attacked labels, then, where that does not decide, the
// Chernoff bounds of the classes against the rival — unless cheaper bounds
// on them decide (startProves, chernoffHalf). The moments are those of one
// pass over the attacked labels (classSums.set) wherever the verdict might
// rest on their rounding; elsewhere they are formed from the clean labels'
// and the moves', within a box known to hold the pass's (quick).
func (s *search) proof(r int) bool {
	s.note(rankCall{r: max(r, s.last)})
	s.last = r
	s.probes++
	if verdict, ok := s.quick(r); ok {
		return verdict
	}
	return s.exact(r)
}

// exact is proof from one pass over the attacked labels: the verdict of the
// attack as documented, bit for bit.
func (s *search) exact(r int) bool {
	a, p := s.a, s.p
	ps := &a.sums.probe
	s.label(r)
	n, k := len(p.Alpha), p.Classes
	a.sums.set(p.Alpha, a.labels, k)
	if k == 2 {
		t := binaryTail(&a.sums, s.q, s.class, s.mu, n, s.maxAbs)
		if t.upper() < 0.5 {
			return true
		}
		if t.lower() >= 0.5 || t.chernoffHopeless() {
			return false
		}
		return chernoffUp(a.white.LogBounds(nil, p.Alpha, a.labels, 2, s.q, p.AlphaErr, s.rival, 0)) < 0.5
	}
	main := pairTail(&a.sums, s.q, k, s.rival, s.class, s.mu, n, s.maxAbs)
	bound := main.upper()
	if 2*main.lower() >= 1 || bound >= 0.5 && main.chernoffHopeless() {
		return false
	}
	a.tails = grow(a.tails, k)
	ps.tailLo, ps.tailHi = grow(ps.tailLo, k), grow(ps.tailHi, k)
	ps.tailLo[s.class], ps.tailHi[s.class] = main, main
	far := 0.0
	for c := range k {
		if c != s.rival && c != s.class {
			t := pairTail(&a.sums, s.q, k, s.rival, c, s.mu, n, s.maxAbs)
			ps.tailLo[c], ps.tailHi[c] = t, t
			a.tails[c] = t.upper()
			far = up(far + a.tails[c])
		}
	}
	if up(2*bound+far) < 1 || s.startProves(bound, a.tails) {
		return true
	}
	if bound >= 0.5 && s.chernoffHalf(main) {
		return false
	}
	a.logBounds = grow(a.logBounds, k)
	a.white.Negligible = negligibleRival
	enough := func(logBounds []float64) bool { return s.verdict(bound, logBounds, true) }
	a.white.LogBoundsUntil(a.logBounds, p.Alpha, a.labels, k, s.q, p.AlphaErr, s.rival, 0, enough)
	return enough(a.logBounds) || s.verdict(bound, a.logBounds, false)
}

// verdict returns the verdict for K ≥ 3 from the Berry–Esseen bounds (bound
// of class, a.tails of the third classes) and the logs of the white-box
// Chernoff bounds:
//
//	2·min(bound, C(class)) + Σ_k min(tails[k], C(k)) < 1,   C = chernoffUp,
//
// summed with outward rounding. inflated takes each C(k) a little larger,
// by more than math.Exp's error, so that the verdict from bounds at least
// the final ones is a proof of the verdict from the final ones.
func (s *search) verdict(bound float64, logBounds []float64, inflated bool) bool {
	c := func(logEps float64) float64 {
		if inflated {
			return chernoffUp(logEps)*(1+0x1p-40) + 0x1p-1000
		}
		return chernoffUp(logEps)
	}
	sum := 2 * min(bound, c(logBounds[s.class]))
	for k := range s.p.Classes {
		if k != s.rival && k != s.class {
			sum = up(sum + min(s.a.tails[k], c(logBounds[k])))
		}
	}
	return sum < 1
}

// quick decides the verdict of proof at r without a pass over the points,
// where it can (ok): from the moments of the clean labels and of the moves
// it forms a box that holds the moments classSums.set would form, and
// decides only what every point of the box decides alike, by a margin that
// exceeds the rounding of the decisions themselves.
func (s *search) quick(r int) (verdict, ok bool) {
	if !s.box(r) {
		return false, false
	}
	if s.p.Classes == 2 {
		return s.quickBinary()
	}
	ps := &s.a.sums.probe
	k := s.p.Classes
	main := s.span(s.class)
	slop := main.slop()
	bLo, bHi := main.upperLo(), main.upperHi()
	lLo, lHi := main.lowerLo(), main.lowerHi()
	// As exact: fail if 2·lower ≥ 1 or bound ≥ ½ and Chernoff is hopeless.
	fail := atLeast(2*lLo, 2*lHi, 1, 2*slop).or(atLeast(bLo, bHi, 0.5, slop).and(main.hopeless()))
	if fail != no {
		return false, fail == yes
	}
	ps.uppers = grow(ps.uppers, k)
	ps.tailLo, ps.tailHi = grow(ps.tailLo, k), grow(ps.tailHi, k)
	ps.tailLo[s.class], ps.tailHi[s.class] = main.lo, main.hi
	farLo, farHi := 0.0, 0.0
	for c := range k {
		if c != s.rival && c != s.class {
			t := s.span(c)
			ps.tailLo[c], ps.tailHi[c] = t.lo, t.hi
			slop := t.slop()
			ps.uppers[c] = min(t.upperHi()+slop, 1)
			farLo, farHi = up(farLo+max(t.upperLo()-slop, 0)), up(farHi+ps.uppers[c])
		}
	}
	bound := min(bHi+slop, 1)
	switch {
	case up(2*bound+farHi) < 1:
		return true, true
	case !(up(2*max(bLo-slop, 0)+farLo) >= 1):
		return false, false
	}
	if s.startProves(bound, ps.uppers) {
		return true, true
	}
	return false, false
}

// quickBinary is quick for K = 2, the box formed.
func (s *search) quickBinary() (verdict, ok bool) {
	b := s.binarySpan()
	slop := b.slop()
	switch atLeast(b.upperLo(), b.upperHi(), 0.5, slop) {
	case no:
		return true, true
	case unsure:
		return false, false
	}
	fail := atLeast(b.lowerLo(), b.lowerHi(), 0.5, slop).or(b.hopeless())
	return false, fail == yes
}

// box sets the probe scratch's mid, lo and hi to the moments of the labels
// attacked by the first r moves, formed from the clean labels' and the
// moves', and a box about them that holds those of classSums.set: each of
// its sums of the terms of a class in index order is within
// γ_{n+1}·Σ|terms| of its exact value, and so is each formed here, within
// γ_{n+2r+4} of Σ|terms| over every point and every move. It reports false
// if the sums are not finite.
func (s *search) box(r int) bool {
	ps := &s.a.sums.probe
	p, k := s.p, s.p.Classes
	mid, lo, hi := &ps.mid, &ps.lo, &ps.hi
	mid.reset(k)
	copy(mid.s1, ps.clean.s1)
	copy(mid.s2, ps.clean.s2)
	copy(mid.s3, ps.clean.s3)
	var m1, m2, m3 float64
	for _, mv := range s.g.prefix(p, r) {
		i := mv.index
		a, from, to := p.Alpha[i], p.Y[i], int(mv.to)
		x := math.Abs(a)
		a2 := a * a
		a3 := a2 * x
		mid.s1[from] -= a
		mid.s1[to] += a
		mid.s2[from] -= a2
		mid.s2[to] += a2
		mid.s3[from] -= a3
		mid.s3[to] += a3
		m1, m2, m3 = m1+x, m2+a2, m3+a3
	}
	var all2, all3 float64
	for l := range k {
		all2 += ps.clean.s2[l]
		all3 += ps.clean.s3[l]
	}
	g := 2.1 * roundoff.Gamma(len(p.Alpha)+2*r+8)
	d1, d2, d3 := g*(1.01*s.abs+m1), g*(1.01*all2+m2), g*(1.01*all3+m3)
	if !(d1+d2+d3 < math.Inf(1)) {
		return false
	}
	lo.reset(k)
	hi.reset(k)
	for l := range k {
		lo.s1[l], hi.s1[l] = mid.s1[l]-d1, mid.s1[l]+d1
		lo.s2[l], hi.s2[l] = max(mid.s2[l]-d2, 0), mid.s2[l]+d2
		lo.s3[l], hi.s3[l] = max(mid.s3[l]-d3, 0), mid.s3[l]+d3
	}
	return true
}

// span is the range of a tail over the box: lo has the least mean,
// variance and third moment, hi the largest (docs/science.md §11 "Smoothed
// probes without passes").
type span struct{ lo, hi tail }

// span returns the range over the box of the tail of s_rival − s_c.
func (s *search) span(c int) span {
	ps := &s.a.sums.probe
	n, k := len(s.p.Alpha), s.p.Classes
	return span{
		lo: pairTailOf(ps.lo.s1[s.rival], ps.hi.s1[c], ps.lo.s2, ps.lo.s3, s.q, k, s.rival, c, s.mu, n, s.maxAbs),
		hi: pairTailOf(ps.hi.s1[s.rival], ps.lo.s1[c], ps.hi.s2, ps.hi.s3, s.q, k, s.rival, c, s.mu, n, s.maxAbs),
	}
}

// binarySpan returns the range over the box of the binary tail: its mean
// grows with s1 for class 0 and falls with it for class 1.
func (s *search) binarySpan() span {
	ps := &s.a.sums.probe
	n := len(s.p.Alpha)
	low, high := ps.lo.s1, ps.hi.s1
	if s.class == 1 {
		low, high = high, low
	}
	return span{
		lo: binaryTailOf(low, ps.lo.s2, ps.lo.s3, s.q, s.class, s.mu, n, s.maxAbs),
		hi: binaryTailOf(high, ps.hi.s2, ps.hi.s3, s.q, s.class, s.mu, n, s.maxAbs),
	}
}

// upperHi and upperLo bound tail.upper over the box (it falls with the
// mean, grows with the third moment, and with the variance grows in its
// normal term and falls in β); lowerLo and lowerHi bound tail.lower.
func (b span) upperHi() float64 { return b.lo.upperOf(b.hi.variance, b.lo.variance, b.hi.third) }
func (b span) upperLo() float64 { return b.hi.upperOf(b.lo.variance, b.hi.variance, b.lo.third) }
func (b span) lowerLo() float64 {
	return min(b.hi.lowerOf(b.lo.variance, b.lo.variance, b.hi.third), b.hi.lowerOf(b.hi.variance, b.lo.variance, b.hi.third))
}
func (b span) lowerHi() float64 {
	return max(b.lo.lowerOf(b.lo.variance, b.hi.variance, b.lo.third), b.lo.lowerOf(b.hi.variance, b.hi.variance, b.lo.third))
}

// slop bounds how far the rounding of the Berry–Esseen estimates can take
// them from a function that is monotone over the box: a few ulps of the
// standardised mean, (|E D| + slack)/σ, through a normal density below ½,
// and far less elsewhere; 10⁻⁹ leaves room for every other rounding. It is
// +Inf where the variance may be 0.
func (b span) slop() float64 {
	sd := math.Sqrt(b.lo.variance)
	if !(sd > 0) {
		return math.Inf(1)
	}
	return 1e-9 + 1e-13*(max(math.Abs(b.lo.mean), math.Abs(b.hi.mean))+max(b.lo.slack, b.hi.slack))/sd
}

// hopeless returns whether tail.chernoffHopeless holds over the box: its
// floor falls with the mean and grows with the variance.
func (b span) hopeless() maybe {
	hi := tail{mean: b.hi.mean, slack: b.hi.slack, variance: b.lo.variance, rate: b.lo.rate}
	lo := tail{mean: b.lo.mean, slack: b.lo.slack, variance: b.hi.variance, rate: b.lo.rate}
	floorLo, floorHi := hi.floor(), lo.floor()
	m := max(math.Abs(b.lo.mean), math.Abs(b.hi.mean)) + max(b.lo.slack, b.hi.slack)
	v, rate := b.hi.variance, b.lo.rate
	slop := 1e-12 + 1e-13*(v/(rate*rate)+m*m/b.lo.variance)
	slopLo, slopHi := slop+1e-13*math.Abs(floorLo), slop+1e-13*math.Abs(floorHi)
	if math.IsInf(floorLo, 0) {
		slopLo = 0
	}
	if math.IsInf(floorHi, 0) {
		slopHi = 0
	}
	if !(slop < math.Inf(1)) {
		return unsure
	}
	return atLeast(floorLo, floorHi, hopeless, max(slopLo, slopHi))
}

// maybe is a decision over a box: yes or no wherever in it, or unsure.
type maybe int8

const (
	no maybe = iota
	yes
	unsure
)

// atLeast returns whether a value known to lie in [lo, hi], up to slop, is
// at least x.
func atLeast(lo, hi, x, slop float64) maybe {
	switch {
	case lo-slop >= x:
		return yes
	case hi+slop < x:
		return no
	}
	return unsure
}

func (m maybe) or(o maybe) maybe {
	switch {
	case m == yes || o == yes:
		return yes
	case m == no && o == no:
		return no
	}
	return unsure
}

func (m maybe) and(o maybe) maybe {
	switch {
	case m == no || o == no:
		return no
	case m == yes && o == yes:
		return yes
	}
	return unsure
}
