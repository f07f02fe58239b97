package attacks

import (
	"errors"
	"fmt"
	"math"

	"flipcert/analytic"
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
// The search spends one probe per prefix: an O(n) pass for the moments,
// plus a white-box Chernoff bound when Berry–Esseen does not decide and a
// cheap test does not show the Chernoff bound hopeless. It first probes
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
	rival := 1 - class
	if k > 2 {
		a.scores = grow(a.scores, k)
		analytic.ExpectedScores(a.scores, p.Alpha, p.Y, k, q)
		rival = -1
		for j, s := range a.scores {
			if j != class && (rival < 0 || s > a.scores[rival]) {
				rival = j
			}
		}
	}
	a.rank.build(p.Alpha, p.Y, k, class, rival)
	a.rankOf = keyOf(p, class, rival)
	a.startLabels(p.Y)
	s := search{a: a, rank: &a.rank, p: p, q: q, class: class, rival: rival}
	for _, v := range p.Alpha {
		s.abs += math.Abs(v)
		s.maxAbs = max(s.maxAbs, math.Abs(v))
	}
	s.mu = margin(p.AlphaErr, len(p.Alpha), s.abs)
	total := len(a.rank.moves)
	lo := 0 // r = 0 is the clean labels, whose smoothed prediction is class
	if radius >= 1 {
		r := min(radius, total)
		if s.proof(r) {
			return a.outcome(r, true, class, rival).withProbes(s.probes),
				fmt.Errorf("%w: %d relabelings give class %d against a certified radius of %d (class %d, q = %g)",
					ErrContradiction, r, rival, radius, class, q)
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
	return a.outcome(hi, true, class, rival).withProbes(s.probes), nil
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

// search is one Smoothed call's probing.
type search struct {
	a            *Attacker
	rank         *ranked // the greedy order of class against rival
	p            RidgePoint
	q            float64
	class, rival int
	abs, maxAbs  float64 // Σ|α̂ᵢ| and max|α̂ᵢ|
	mu           float64 // the attacks' margin (docs/science.md §11)
	probes       int
}

// proof reports whether the labels attacked by the first r moves provably
// change the smoothed prediction, as Smoothed documents: Berry–Esseen from
// the moments of one pass over the labels, then, where that does not decide
// and the Chernoff bound is not hopeless, the white-box Chernoff bounds of
// the rival's class at r = 0.
func (s *search) proof(r int) bool {
	a, p := s.a, s.p
	a.apply(p.Y, r)
	s.probes++
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
	far := 0.0
	for c := range k {
		if c != s.rival && c != s.class {
			a.tails[c] = pairTail(&a.sums, s.q, k, s.rival, c, s.mu, n, s.maxAbs).upper()
			far = up(far + a.tails[c])
		}
	}
	if up(2*bound+far) < 1 {
		return true
	}
	a.logBounds = grow(a.logBounds, k)
	a.white.Negligible = negligibleRival
	a.white.LogBounds(a.logBounds, p.Alpha, a.labels, k, s.q, p.AlphaErr, s.rival, 0)
	sum := 2 * min(bound, chernoffUp(a.logBounds[s.class]))
	for c := range k {
		if c != s.rival && c != s.class {
			sum = up(sum + min(a.tails[c], chernoffUp(a.logBounds[c])))
		}
	}
	return sum < 1
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
func (s *search) predict(berryEsseen bool) int {
	k, q := s.p.Classes, s.q
	pr := q / float64(k-1)
	keep := 1 - q - pr
	a, b, c := 1-q, q-pr, pr // the law of a term labelled class
	near, far := (a+c)*b+4*a*c, 2*pr
	nearThird := a*math.Pow(b+2*c, 3) + b*math.Pow(math.Abs(a-c), 3) + c*math.Pow(2*a+b, 3)
	farThird := 2 * pr
	if k == 2 { // D = 2S − 1: twice a Bernoulli(π) term
		near, nearThird = 4*q*(1-q), 8*q*(1-q)*(q*q+(1-q)*(1-q))
	}
	var own, riv, sum, v, third float64
	for i, x := range s.p.Alpha {
		sum += x
		x2, x3 := x*x, x*x*math.Abs(x)
		switch s.p.Y[i] {
		case s.class:
			own += x
			v += x2 * near
			third += x3 * nearThird
		case s.rival:
			riv += x
			v += x2 * near
			third += x3 * nearThird
		default:
			v += x2 * far
			third += x3 * farThird
		}
	}
	d := keep * (own - riv)
	if k == 2 {
		d = 2*(q*sum+keep*riv) - 1 // class 0: riv = Σ_{yᵢ=1}αᵢ
		if s.class == 1 {
			d = 2*(q*sum+keep*own) - 1
		} else {
			d = -d
		}
	}
	z := math.Sqrt(2 * math.Ln2)
	if cb := shevtsova * third / math.Pow(v, 1.5); berryEsseen && cb < 0.5 {
		z = min(z, math.Sqrt2*math.Erfcinv(1-2*cb))
	}
	if r := s.rank.crossing(d/keep, -(z*math.Sqrt(v)+s.p.AlphaErr)/keep); r >= 0 {
		return r
	}
	return len(s.rank.moves) + 1
}
