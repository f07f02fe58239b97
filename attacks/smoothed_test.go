package attacks

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"flipcert/analytic"
	"flipcert/radius"
)

// smoothing enumerates the smoothed ridge classifier on tiny data: every
// label vector of n points in K classes, coded in base K, with the exact
// classifier's class on each.
type smoothing struct {
	n, classes int
	q          float64
	class      []int // exact class of each label vector
}

func newSmoothing(alpha []float64, classes int, q float64) smoothing {
	n := len(alpha)
	total := int(math.Pow(float64(classes), float64(n)))
	s := smoothing{n: n, classes: classes, q: q, class: make([]int, total)}
	for code := range total {
		s.class[code] = exactClass(alpha, s.decode(code), classes)
	}
	return s
}

func (s smoothing) decode(code int) []int {
	z := make([]int, s.n)
	for i := range z {
		z[i] = code % s.classes
		code /= s.classes
	}
	return z
}

// probs returns P(h(y′) = c) for every c, y′ the noisy labels of z: each label
// kept with probability 1−q, else one of the other K−1 classes uniformly.
func (s smoothing) probs(z []int) []float64 {
	p := s.q / float64(s.classes-1)
	out := make([]float64, s.classes)
	for code, c := range s.class {
		w := 1.0
		for i, v := range s.decode(code) {
			if v == z[i] {
				w *= 1 - s.q
			} else {
				w *= p
			}
		}
		out[c] += w
	}
	return out
}

// predict is the exact smoothed prediction at labels z: the most probable
// class, ties to the lowest index.
func (s smoothing) predict(z []int) int {
	pr := s.probs(z)
	c := 0
	for k := range pr {
		if pr[k] > pr[c] {
			c = k
		}
	}
	return c
}

// fewest returns the fewest label changes of y after which the exact smoothed
// prediction is not class (−1 if none), by brute force.
func (s smoothing) fewest(y []int, class int) int {
	best := -1
	for code := range s.class {
		z := s.decode(code)
		dist := 0
		for i := range z {
			if z[i] != y[i] {
				dist++
			}
		}
		if (best < 0 || dist < best) && s.predict(z) != class {
			best = dist
		}
	}
	return best
}

func TestSmoothedAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var a Attacker
	found := 0
	const trials = 24
	for trial := range trials {
		classes := 2 + trial%2
		n := 9
		if classes == 3 {
			n = 6
		}
		q := []float64{0.02, 0.05, 0.1}[trial%3]
		alpha, y := make([]float64, n), make([]int, n)
		for i := range n {
			alpha[i] = (1 + 0.8*rng.NormFloat64()) / float64(n)
			y[i] = 0
			if rng.Float64() < 0.3 {
				y[i] = 1 + rng.IntN(classes-1)
			}
		}
		s := newSmoothing(alpha, classes, q)
		cert := analytic.Certify(alpha, y, classes, q, 0)
		tab, err := radius.NewTable(q, classes, n)
		if err != nil {
			t.Fatal(err)
		}
		r := -1
		if !cert.Abstain() {
			r = tab.Radius(cert.LogEps)
		}
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes}
		out, err := a.Smoothed(p, q, cert.Class, r)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		if out.Flips < 0 {
			continue
		}
		found++
		if !out.Proven || out.Flips <= r || out.To == cert.Class || len(out.Relabels) != out.Flips {
			t.Fatalf("trial %d: outcome %+v against class %d, radius %d", trial, out, cert.Class, r)
		}
		z := applied(t, y, out.Relabels)
		if pr := s.probs(z); !(pr[out.To] > 0.5) {
			t.Fatalf("trial %d: attacked labels give class %d probability %v, not above ½", trial, out.To, pr[out.To])
		}
		if least := s.fewest(y, cert.Class); out.Flips < least {
			t.Fatalf("trial %d: %d flips proven, but no fewer than %d change the smoothed prediction", trial, out.Flips, least)
		}
		// A radius claiming what the attack refutes is a contradiction.
		if _, err := a.Smoothed(p, q, cert.Class, out.Flips); !errors.Is(err, ErrContradiction) {
			t.Fatalf("trial %d: radius %d against an attack of %d flips: error %v", trial, out.Flips, out.Flips, err)
		}
	}
	t.Logf("%d of %d trials found an attack", found, trials)
	if found < trials/2 {
		t.Fatalf("only %d of %d trials found an attack", found, trials)
	}
}

// TestSmoothedIsFirstSuccess scans every prefix of the order on mid-sized
// data: the search's answer is the first prefix whose certificate succeeds.
func TestSmoothedIsFirstSuccess(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	var a Attacker
	var cz analytic.Certifier
	for trial := range 6 {
		classes := 2 + trial%3
		n := 1500
		alpha, y := gaussianKernel(rng, n, classes)
		for i := range y {
			if rng.Float64() < 0.5 {
				y[i] = 0
			}
		}
		q := []float64{0.1, 0.3}[trial%2]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: 1e-10}
		cert := cz.Certify(alpha, y, classes, q, p.AlphaErr)
		out, err := a.Smoothed(p, q, cert.Class, -1)
		if err != nil {
			t.Fatal(err)
		}
		if out.Flips < 0 {
			t.Fatalf("trial %d: no attack", trial)
		}
		// The strongest rival, as documented: the other class, or the
		// largest expected score but the class's.
		rival := 1 - cert.Class
		if classes > 2 {
			mu := make([]float64, classes)
			analytic.ExpectedScores(mu, alpha, y, classes, q)
			rival = -1
			for j := range mu {
				if j != cert.Class && (rival < 0 || mu[j] > mu[rival]) {
					rival = j
				}
			}
		}
		order := Order(alpha, y, classes, cert.Class, rival)
		z := append([]int(nil), y...)
		first := -1
		for r := 0; r <= len(order); r++ {
			if r > 0 {
				z[order[r-1].Index] = order[r-1].To
			}
			c := cz.Certify(alpha, z, classes, q, p.AlphaErr)
			if c.Class != cert.Class && !c.Abstain() {
				first = r
				break
			}
		}
		if out.Flips != first {
			t.Fatalf("trial %d (K = %d, q = %g): %d flips in %d probes, first success at %d", trial, classes, q, out.Flips, out.Probes, first)
		}
		for k, r := range out.Relabels {
			if r != order[k] {
				t.Fatalf("trial %d: relabeling %d is %+v, the order's %+v", trial, k, r, order[k])
			}
		}
		t.Logf("K = %d q = %g: %d flips, %d probes", classes, q, out.Flips, out.Probes)
	}
}
