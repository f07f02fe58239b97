package attacks

import (
	"errors"
	"fmt"
	"math"

	"flipcert/internal/roundoff"
)

// ErrContradiction reports an attack that succeeds within a certified
// radius: the certificate and the attack cannot both be right, so one of them
// has a bug.
var ErrContradiction = errors.New("attacks: an attack succeeds within the certified radius")

// Smoothed attacks the smoothed ridge classifier at noise q (docs/science.md
// §4, §8, §11, §14). class and radius are the clean analytic certificate's
// class (analytic.Certificate.Class, also when it abstains) and the radius
// certified for it (−1 if none): the larger of the Neyman-Pearson and
// white-box radii when both are computed.
//
// The rival j is the strongest: the other class for K = 2, else the argmax
// of the expected scores μ_k over k ≠ class (analytic.ExpectedScores, ties
// to the lower index). The attack relabels prefixes of Order(…, class, j),
// which move μ_class − μ_j towards j fastest, and looks for the fewest r
// whose attacked labels provably change the smoothed prediction. With a(k)
// an upper bound on P(s_j ≤ s_k) under the attacked labels — the smaller of
// the Berry–Esseen bound (Shevtsova's constant 0.56) and the white-box
// Chernoff bound at r = 0 (whitebox.Certifier.LogBounds) — a prefix is
// proven when
//
//	K = 2: a(class) < ½, so P(h = class) < ½ and the prediction is j;
//	K ≥ 3: 2·a(class) + Σ_{k∉{j,class}} a(k) < 1,
//
// since P(h = class) ≤ P(s_j ≤ s_class) and P(h = j) ≥ 1 − Σ_{k≠j} P(s_j ≤ s_k):
// then P(h = j) > P(h = class) and class is not the prediction. Both bounds
// hold for the exact kernel vector (the Berry–Esseen one through a shift of
// the threshold by AlphaErr) and are rounded outwards: Proven is true
// whenever Flips ≥ 0, a deterministic proof. To is j, a class the attacked
// smoothed classifier provably prefers to class (for K = 2, its
// prediction).
//
// The search spends one probe per prefix: the moments of the attacked
// labels, formed from those of the clean labels and the moves taken, plus a
// white-box Chernoff bound when Berry–Esseen does not decide and cheaper
// bounds do not decide it either (see proof). Where no white-box bound is
// needed, the whole attack costs two passes over the points (three for an
// Attacker's first point) and the probes' moves. It first probes
// r = radius (for radius ≥ 1), which must fail if certificate and attack
// are both right: if it succeeds, Smoothed returns that outcome with an
// error wrapping ErrContradiction. Then it probes the prefix where a
// Gaussian model of the margin predicts the Berry–Esseen (or Chernoff)
// bound to cross ½, gallops away from it with doubling steps until success
// and failure are bracketed, and bisects. Flips is the smallest r of the
// bracket that succeeds: the fewest, if success is monotone in r, which the
// greedy order makes it in practice but nothing guarantees; every reported r
// is proven. Flips is −1 if all helpful moves do not suffice. Probes counts
// the prefixes examined.
//
// It panics on a malformed point, on q outside (0, (K−1)/K) or class outside
// 0..K−1.
func (a *Attacker) Smoothed(p RidgePoint, q float64, class, radius int) (Outcome, error) {
	p.check()
	k := p.Classes
	if hi := float64(k-1) / float64(k); !(q > 0 && q < hi) {
		panic(fmt.Sprintf("attacks: noise level q = %v outside (0, %v)", q, hi))
	}
	if class < 0 || class >= k {
		panic(fmt.Sprintf("attacks: class %d outside 0..%d", class, k-1))
	}
	s := search{a: a, g: &a.sums.probe.order, p: p, q: q, class: class, record: true}
	s.scan()
	s.chooseRival()
	s.g.pair(p, class, s.rival)
	s.g.history = s.g.history[:0]
	a.rankOf = s.g.key // Sampled extends the outcome along this order
	s.mu = margin(p.AlphaErr, len(p.Alpha), s.abs)
	total := s.g.size()
	lo := 0 // r = 0 is the clean labels, whose smoothed prediction is class
	if radius >= 1 {
		r := min(radius, total)
		if s.proof(r) {
			return s.outcome(r).withProbes(s.probes),
				fmt.Errorf("%w: %d relabelings give class %d against a certified radius of %d (class %d, q = %g)",
					ErrContradiction, r, s.rival, radius, class, q)
		}
		lo = r
	}
	if lo == total {
		return none(class).withProbes(s.probes), nil
	}
	hi := total + 1 // the smallest success found; total + 1 while none is
	guess := min(max(s.predict(true), lo+1), total)
	if s.proof(guess) {
		hi = guess
		for step := 1; hi-lo > 1; step *= 2 {
			r := max(hi-step, lo+1)
			if !s.proof(r) {
				lo = r
				break
			}
			hi = r
		}
	} else {
		lo = guess
		for step := 1; hi > total; step *= 2 {
			if lo == total {
				return none(class).withProbes(s.probes), nil
			}
			r := min(lo+step, total)
			if s.proof(r) {
				hi = r
			} else {
				lo = r
			}
		}
	}
	for hi-lo > 1 {
		r := lo + (hi-lo)/2
		if s.proof(r) {
			hi = r
		} else {
			lo = r
		}
	}
	return s.outcome(hi).withProbes(s.probes), nil
}

func (o Outcome) withProbes(n int) Outcome {
	o.Probes = n
	return o
}

// grow returns s resliced to length n, reallocated if too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// search is one Smoothed call's probing (or a Sampled call's extension of
// its outcome).
type search struct {
	a            *Attacker
	g            *greedy // the greedy order of class against rival
	p            RidgePoint
	q            float64
	class, rival int
	record       bool    // the order is the one Attacker.rank would hold: note the calls in its history
	abs, maxAbs  float64 // Σ|α̂ᵢ| and max|α̂ᵢ|
	total        float64 // Σα̂ᵢ
	mu           float64 // the attacks' margin (docs/science.md §11)
	probes       int
	last         int  // the prefix of the last probe
	labeled      bool // a.labels hold the clean labels with a.applied moves
}

// scan makes the pass over the points that serves every probe: Σα̂ᵢ, Σ|α̂ᵢ|
// and max|α̂ᵢ|, the moments of the clean labels by class (as classSums.set
// forms them) and the cells of the greedy order. The cells are counted
// below a bound on max|α̂ᵢ|: 16 times the last point's, which kernel vectors
// of one model seldom exceed, else (or if it is exceeded) max|α̂ᵢ| from a
// pass of its own. It panics on a NaN weight.
func (s *search) scan() {
	p := s.p
	ps := &s.a.sums.probe
	if guess := 16 * ps.maxAbs; guess > 0 && guess <= math.MaxFloat64 {
		if s.count(guess) {
			return
		}
	}
	var top uint64
	for _, v := range p.Alpha {
		top = max(top, math.Float64bits(v)&^(1<<63))
	}
	s.count(math.Float64frombits(top))
}

// count is scan with the cells counted below bound, and reports whether
// every |α̂ᵢ| is at most bound.
func (s *search) count(bound float64) bool {
	p, k := s.p, s.p.Classes
	ps := &s.a.sums.probe
	g := s.g
	g.startScan(k, bound)
	ps.clean.reset(k)
	c1, c2, c3 := ps.clean.s1, ps.clean.s2, ps.clean.s3
	count, mass := g.count, g.mass
	var total, abs float64
	var top uint64
	for i, v := range p.Alpha {
		l := p.Y[i]
		x := math.Abs(v)
		v2 := v * v
		c1[l] += v
		c2[l] += v2
		c3[l] += v2 * x
		total += v
		abs += x
		top = max(top, math.Float64bits(x))
		if x != 0 {
			at := (2*l+int(math.Float64bits(v)>>63))*cells + g.cell(v)
			count[at]++
			mass[at] += x
		}
	}
	if top > math.Float64bits(math.Inf(1)) {
		for i, v := range p.Alpha {
			if math.IsNaN(v) {
				panic(fmt.Sprintf("attacks: kernel weight α[%d] is NaN", i))
			}
		}
	}
	if top > math.Float64bits(bound) {
		return false
	}
	s.total, s.abs, s.maxAbs = total, abs, math.Float64frombits(top)
	ps.total, ps.abs, ps.maxAbs = total, abs, s.maxAbs
	return true
}

// chooseRival sets the rival: the other class for K = 2, else the argmax
// of the expected scores μ_k over k ≠ class (ties to the lower index),
// formed from the scan as analytic.ExpectedScores forms them
// (docs/science.md §8).
func (s *search) chooseRival() {
	a, k := s.a, s.p.Classes
	if k == 2 {
		s.rival = 1 - s.class
		return
	}
	a.scores = grow(a.scores, k)
	pr := s.q / float64(k-1)
	keep := 1 - s.q - pr
	s.rival = -1
	for j := range a.scores {
		a.scores[j] = pr*s.total + keep*a.sums.probe.clean.s1[j]
		if j != s.class && (s.rival < 0 || a.scores[j] > a.scores[s.rival]) {
			s.rival = j
		}
	}
}

// note records a call the attack as written with ranked would have made.
func (s *search) note(c rankCall) {
	if s.record {
		s.g.history = append(s.g.history, c)
	}
}

// label sets a.labels to the clean labels with the first r moves of the
// order applied, changing only the labels where the prefix they hold and
// the new one differ.
func (s *search) label(r int) {
	a, y := s.a, s.p.Y
	if !s.labeled {
		a.startLabels(y)
		s.labeled = true
	}
	a.relabel(y, s.g.prefix(s.p, max(r, a.applied)), r)
}

// outcome returns the Outcome of the first r moves: proven, from class to
// rival.
func (s *search) outcome(r int) Outcome {
	s.note(rankCall{r: r})
	a := s.a
	a.relabels = a.relabels[:0]
	for _, m := range s.g.prefix(s.p, r) {
		a.relabels = append(a.relabels, Relabel{Index: int(m.index), To: int(m.to)})
	}
	return Outcome{Flips: r, Proven: true, From: s.class, To: s.rival, Relabels: a.relabels}
}

// negligibleRival is how far below the union of the Chernoff bounds a
// rival's bound is left unimproved: e^{−10} of the union, where the criterion
// needs a few digits of a sum of at most K − 1 bounds.
const negligibleRival = 10

// chernoffUp returns an upper bound on e^{logEps}: math.Exp is trusted to
// four ulps.
func chernoffUp(logEps float64) float64 {
	return up(math.Exp(logEps) * (1 + 0x1p-49))
}

// predict returns the fewest moves after which a Gaussian model of the
// margin D = s_class − s_rival under the noise puts the rival ahead by z
// standard deviations plus the kernel error (len(moves) + 1 if it never
// does), where z is √(2 ln 2), at which the Gaussian form of the Chernoff
// bound is ½, or, with berryEsseen, the smaller of that and z_BE with
// Φ̄(z_BE) = ½ − C₀β, at which the Berry–Esseen bound is (β = Σ E|·|³/σ³ and
// C₀ = 0.56; only if C₀β < ½). With p = q/(K−1), keep = 1−q−p and Xᵢ the
// term of point i in D (docs/science.md §8),
//
//	E D = keep·(Σ_{yᵢ=class}αᵢ − Σ_{yᵢ=rival}αᵢ),  Var D = Σᵢ αᵢ²·Var Xᵢ,
//
// Var Xᵢ and E|Xᵢ − EXᵢ|³ those of the laws of pairTail, and each move lowers
// E D by keep times its gain. For K = 2 the binary rule compares s₁ with ½:
// E D = ±(2μ₁ − 1) with μ₁ = q·Σαᵢ + keep·Σ_{yᵢ=1}αᵢ, and D = 2S − 1. The
// moments change little as labels move between roles, so they are taken at
// the clean labels. It is a guess for where to probe; nothing rests on it.
//
// The sums are those of one pass over the points in index order (see
// target); here Var D and Σ E|·|³ are formed from the moments by class,
// within rounding of them, and the answer is the pass's wherever that
// rounding, and that of the partial sums of the gains, cannot change it
// (greedy.crossing); elsewhere the pass is made and package ranked asked.
func (s *search) predict(berryEsseen bool) int {
	c, k := &s.a.sums.probe.clean, s.p.Classes
	m := newMarginModel(k, s.q)
	m.own, m.riv, m.sum = c.s1[s.class], c.s1[s.rival], s.total
	var rest2, rest3 float64
	for l := range k {
		if l != s.class && l != s.rival {
			rest2 += c.s2[l]
			rest3 += c.s3[l]
		}
	}
	m.v = m.near*(c.s2[s.class]+c.s2[s.rival]) + m.far*rest2
	m.third = m.nearThird*(c.s3[s.class]+c.s3[s.rival]) + m.farThird*rest3
	v, t := s.target(&m, s.q, berryEsseen)
	// Both sums of positive terms are within 2γ_{n+K+8} of their exact
	// values, the pass's as well: bound the effect on t.
	n := len(s.p.Alpha)
	rel := 2.1 * roundoff.Gamma(n+k+8)
	keep := 1 - s.q - s.q/float64(k-1)
	cb := shevtsova * m.third / math.Pow(m.v, 1.5)
	dz := 5.1*3.1*rel*cb + 1e-13 // |dz/dcb| ≤ 2√2·√π where z_BE ≤ √(2 ln 2)
	slack := 2 * ((dz+math.Sqrt(2*math.Ln2)*rel)*math.Sqrt(m.v)/keep + 8*roundoff.Unit*math.Abs(t))
	r, ok := s.g.crossing(s.p, v, t, slack)
	if !ok || !(slack < math.Inf(1)) {
		r = s.rankedCrossing(berryEsseen)
	}
	s.note(rankCall{r: -1, berryEsseen: berryEsseen, q: s.q})
	if r >= 0 {
		return r
	}
	return s.g.size() + 1
}

// rankedCrossing returns the crossing of predict as the attack as written
// with ranked finds it, from the exact crossing problem and the order in
// the state it would be in (in Attacker.spare).
func (s *search) rankedCrossing(berryEsseen bool) int {
	s.replay(&s.a.spare)
	return s.a.spare.crossing(s.exactTarget(s.q, berryEsseen))
}

// replay brings rk to the state in which the attack as written with ranked
// would have left its order: Attacker.rank after the calls of its history,
// or one built afresh.
func (s *search) replay(rk *ranked) {
	rk.build(s.p.Alpha, s.p.Y, s.p.Classes, s.class, s.rival)
	if !s.record {
		return
	}
	for _, c := range s.g.history {
		if c.r >= 0 {
			rk.prefix(c.r)
		} else {
			rk.crossing(s.exactTarget(c.q, c.berryEsseen))
		}
	}
}

// exactTarget returns predict's crossing problem at noise q from the sums of
// one pass over the points in index order.
func (s *search) exactTarget(q float64, berryEsseen bool) (v, t float64) {
	m := newMarginModel(s.p.Classes, q)
	for i, x := range s.p.Alpha {
		m.add(x, s.p.Y[i] == s.class, s.p.Y[i] == s.rival)
	}
	return s.target(&m, q, berryEsseen)
}

// target returns predict's crossing problem at noise q from the model's
// sums: the start v = E D/keep and the threshold t = −(z·σ + E)/keep that
// the gains must take it below.
func (s *search) target(m *marginModel, q float64, berryEsseen bool) (v, t float64) {
	keep := 1 - q - q/float64(s.p.Classes-1)
	d := keep * (m.own - m.riv)
	if s.p.Classes == 2 {
		d = 2*(q*m.sum+keep*m.riv) - 1 // class 0: riv = Σ_{yᵢ=1}αᵢ
		if s.class == 1 {
			d = 2*(q*m.sum+keep*m.own) - 1
		} else {
			d = -d
		}
	}
	z := math.Sqrt(2 * math.Ln2)
	if cb := shevtsova * m.third / math.Pow(m.v, 1.5); berryEsseen && cb < 0.5 {
		z = min(z, math.Sqrt2*math.Erfcinv(1-2*cb))
	}
	return d / keep, -(z*math.Sqrt(m.v) + s.p.AlphaErr) / keep
}
