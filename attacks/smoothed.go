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

// Smoothed attacks the smoothed ridge classifier at noise q through the
// analytic certificate (docs/science.md §4, §8, §11). class and radius are
// the clean analytic certificate's class (analytic.Certificate.Class, also
// when it abstains) and its certified radius (−1 if not certified).
//
// The rival j is the strongest: the other class for K = 2, else the argmax
// of the expected scores μ_k over k ≠ class (analytic.ExpectedScores, ties
// to the lower index). The attack relabels prefixes of Order(…, class, j),
// which move μ_class − μ_j towards j fastest, and looks for the fewest r such
// that the analytic certificate computed on the attacked labels (same α, q
// and AlphaErr) certifies a class other than class without abstaining. That
// certificate bounds the probability of every class but its own below ½, so
// the smoothed classifier of the attacked labels provably predicts it:
// Proven is true whenever Flips ≥ 0, a deterministic proof. To is that class.
//
// The search spends one certificate (one or a few passes over α) per probe
// and counts them in Probes. It first probes r = radius (for radius ≥ 1),
// which must fail if certificate and attack are both right: if it succeeds,
// Smoothed returns that outcome with an error wrapping ErrContradiction.
// Then it probes the prefix a Gaussian model of the margin predicts
// (−(μ_class − μ_j)(r) ≥ z·σ + E, z = √(2 ln 2)), gallops away from it
// with doubling steps until success and failure are bracketed, and bisects.
// Flips is the smallest r of the bracket that succeeds: the fewest, if
// success is monotone in r, which the greedy order makes it in practice but
// nothing guarantees; every reported r is proven. Flips is −1 if all helpful
// moves do not suffice.
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
	a.startLabels(p.Y)
	s := search{a: a, p: p, q: q, class: class}
	total := len(a.rank.moves)
	lo := 0 // r = 0 is the clean labels, whose certificate has class itself
	if radius >= 1 {
		r := min(radius, total)
		if cert, ok := s.probe(r); ok {
			return a.outcome(r, true, class, cert.Class).withProbes(s.probes),
				fmt.Errorf("%w: %d relabelings give class %d against a certified radius of %d (class %d, q = %g)",
					ErrContradiction, r, cert.Class, radius, class, q)
		}
		lo = r
	}
	if lo == total {
		return none(class).withProbes(s.probes), nil
	}
	hi := total + 1 // the smallest success found; total + 1 while none is
	guess := min(max(s.predict(rival), lo+1), total)
	to := -1
	if cert, ok := s.probe(guess); ok {
		hi, to = guess, cert.Class
		for step := 1; hi-lo > 1; step *= 2 {
			r := max(hi-step, lo+1)
			cert, ok := s.probe(r)
			if !ok {
				lo = r
				break
			}
			hi, to = r, cert.Class
		}
	} else {
		lo = guess
		for step := 1; hi > total; step *= 2 {
			if lo == total {
				return none(class).withProbes(s.probes), nil
			}
			r := min(lo+step, total)
			cert, ok := s.probe(r)
			if ok {
				hi, to = r, cert.Class
			} else {
				lo = r
			}
		}
	}
	for hi-lo > 1 {
		r := lo + (hi-lo)/2
		if cert, ok := s.probe(r); ok {
			hi, to = r, cert.Class
		} else {
			lo = r
		}
	}
	return a.outcome(hi, true, class, to).withProbes(s.probes), nil
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
	a      *Attacker
	p      RidgePoint
	q      float64
	class  int
	probes int
}

// probe computes the analytic certificate of the labels attacked by the
// first r moves and reports whether it certifies a class other than
// s.class.
func (s *search) probe(r int) (analytic.Certificate, bool) {
	s.a.apply(s.p.Y, r)
	s.probes++
	cert := s.a.certifier.Certify(s.p.Alpha, s.a.labels, s.p.Classes, s.q, s.p.AlphaErr)
	return cert, cert.Class != s.class && !cert.Abstain()
}

// predict returns the fewest moves after which a Gaussian model of the
// margin D = s_class − s_rival under the noise puts the rival ahead by z
// standard deviations plus the kernel error, z = √(2 ln 2), where
// e^{−z²/2} = ½ (len(moves) + 1 if it never does): the rival's Chernoff
// bound against class is then about ½, and the other classes, further
// behind, add little to the certificate's union. With p = q/(K−1),
// keep = 1−q−p and Xᵢ the term of point i in D (docs/science.md §8),
//
//	E D = keep·(Σ_{yᵢ=class}αᵢ − Σ_{yᵢ=rival}αᵢ),  Var D = Σᵢ αᵢ²·Var Xᵢ,
//	Var Xᵢ = 1−q+p − keep² if yᵢ ∈ {class, rival}, else 2p,
//
// and each move lowers E D by keep times its gain. For K = 2 the binary rule
// compares s₁ with ½: E D = ±(2μ₁ − 1) with μ₁ = q·Σαᵢ + keep·Σ_{yᵢ=1}αᵢ.
// Var D changes little as labels move between roles, so it is taken at the
// clean labels. It is a guess for where to start probing; nothing rests on
// it.
func (s *search) predict(rival int) int {
	k, q := s.p.Classes, s.q
	pr := q / float64(k-1)
	keep := 1 - q - pr
	near, far := 1-q+pr-keep*keep, 2*pr
	var own, riv, sum, v float64
	for i, x := range s.p.Alpha {
		sum += x
		switch s.p.Y[i] {
		case s.class:
			own += x
			v += x * x * near
		case rival:
			riv += x
			v += x * x * near
		default:
			v += x * x * far
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
	if r := s.a.rank.crossing(d/keep, -(z*math.Sqrt(v)+s.p.AlphaErr)/keep); r >= 0 {
		return r
	}
	return len(s.a.rank.moves) + 1
}
