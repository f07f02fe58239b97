package attacks

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"flipcert/analytic"
	"flipcert/radius"
	"flipcert/whitebox"
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
	const trials = 120
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
		// The claim: P(h = To) > P(h = class), and for K = 2 above ½; the
		// smoothed prediction is then not class.
		z := applied(t, y, out.Relabels)
		if pr := s.probs(z); !(pr[out.To] > pr[cert.Class]) || classes == 2 && !(pr[out.To] > 0.5) || s.predict(z) == cert.Class {
			t.Fatalf("trial %d: attacked labels give class %d probability %v and class %d %v", trial, out.To, pr[out.To], cert.Class, pr[cert.Class])
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

// beTest is the Berry–Esseen bound on P(s_j ≤ s_k) (K ≥ 3) or, for K = 2,
// on P(h = k) under labels z, written out per point from the noise law
// (without the attacks' outward rounding): Φ̄((ED − E)/σ) + 0.56·β for the
// margin D whose non-positivity the event implies.
func beTest(alpha []float64, z []int, classes int, q, alphaErr float64, j, k int) float64 {
	var mean, variance, third float64
	for i, a := range alpha {
		m, v, th := lawMoments(termValues(classes, k, a), termProbs(classes, z[i], j, k, q))
		mean, variance, third = mean+m, variance+v, third+th
	}
	if classes == 2 {
		if k == 1 {
			mean += 0.5
		} else {
			mean -= 0.5
		}
	}
	sd := math.Sqrt(variance)
	if mean-alphaErr <= 0 {
		return 1
	}
	return min(1, 0.5*math.Erfc((mean-alphaErr)/sd/math.Sqrt2)+0.56*third/(sd*sd*sd))
}

// proofScore is the criterion of Smoothed written independently of the
// attack's code: with a(k) the smaller of beTest and the white-box Chernoff
// bound, a(class) − ½ for K = 2 and 2·a(class) + Σ_{k∉{rival,class}} a(k) − 1
// for K ≥ 3; a prefix is proven when it is negative.
func proofScore(alpha []float64, z []int, classes int, q, alphaErr float64, class, rival int) float64 {
	var wz whitebox.Certifier
	logs := make([]float64, classes)
	wz.LogBounds(logs, alpha, z, classes, q, alphaErr, rival, 0)
	a := func(k int) float64 {
		return min(beTest(alpha, z, classes, q, alphaErr, rival, k), math.Exp(logs[k]))
	}
	if classes == 2 {
		return a(class) - 0.5
	}
	sum := 2 * a(class)
	for k := range classes {
		if k != class && k != rival {
			sum += a(k)
		}
	}
	return sum - 1
}

// TestSmoothedIsFirstSuccess scans every prefix of the order on mid-sized
// data: the attack's answer is where proofScore first turns negative (up to
// 1e−9, the attack rounding outwards), and it is never later than the first
// prefix whose analytic certificate certifies another class, which the
// attack's criterion subsumes.
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
		if out.Flips < 1 {
			t.Fatalf("trial %d: attack of %d flips", trial, out.Flips)
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
		if out.To != rival {
			t.Fatalf("trial %d: attack towards %d, the strongest rival is %d", trial, out.To, rival)
		}
		order := Order(alpha, y, classes, cert.Class, rival)
		prefix := func(r int) []int {
			z := append([]int(nil), y...)
			for _, m := range order[:r] {
				z[m.Index] = m.To
			}
			return z
		}
		score := func(r int) float64 { return proofScore(alpha, prefix(r), classes, q, p.AlphaErr, cert.Class, rival) }
		if s := score(out.Flips); !(s < 1e-9) {
			t.Errorf("trial %d (K = %d, q = %g): %d flips, but the criterion there is %g", trial, classes, q, out.Flips, s)
		}
		if s := score(out.Flips - 1); s < -1e-9 {
			t.Errorf("trial %d (K = %d, q = %g): %d flips, but %d already prove (criterion %g)", trial, classes, q, out.Flips, out.Flips-1, s)
		}
		first := -1
		for r := 0; r <= len(order); r++ {
			c := cz.Certify(alpha, prefix(r), classes, q, p.AlphaErr)
			if c.Class != cert.Class && !c.Abstain() {
				first = r
				break
			}
		}
		if first >= 0 && out.Flips > first {
			t.Errorf("trial %d (K = %d, q = %g): %d flips, but the analytic certificate proves %d", trial, classes, q, out.Flips, first)
		}
		for k, r := range out.Relabels {
			if r != order[k] {
				t.Fatalf("trial %d: relabeling %d is %+v, the order's %+v", trial, k, r, order[k])
			}
		}
		t.Logf("K = %d q = %g: %d flips (analytic certificate: %d), %d probes", classes, q, out.Flips, first, out.Probes)
	}
}

// TestSmoothedMonteCarlo refits the smoothed classifier on the attacked
// labels of mid-sized problems by sampling: 40,000 noisy label vectors,
// each scored by the exact ridge rule. A proven attack claims
// P(h = To) > P(h = From) (for K = 2, P(h = From) < ½); the samples must not
// contradict it by more than six standard errors.
func TestSmoothedMonteCarlo(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 18))
	var a Attacker
	var cz analytic.Certifier
	const samples = 40000
	for trial := range 9 {
		classes := []int{2, 3, 5}[trial%3]
		n := 600
		alpha, y := gaussianKernel(rng, n, classes)
		for i := range y {
			if rng.Float64() < 0.5 {
				y[i] = 0
			}
		}
		q := []float64{0.05, 0.2, 0.4}[trial/3]
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes}
		cert := cz.Certify(alpha, y, classes, q, 0)
		out, err := a.Smoothed(p, q, cert.Class, -1)
		if err != nil {
			t.Fatal(err)
		}
		if out.Flips < 0 || !out.Proven {
			t.Fatalf("trial %d: outcome %+v", trial, out)
		}
		z := applied(t, y, out.Relabels)
		noisy := make([]int, n)
		var from, to float64
		for range samples {
			for i, k := range z {
				noisy[i] = k
				if rng.Float64() < q {
					noisy[i] = (k + 1 + rng.IntN(classes-1)) % classes
				}
			}
			switch exactClass(alpha, noisy, classes) {
			case out.From:
				from++
			case out.To:
				to++
			}
		}
		from, to = from/samples, to/samples
		se := math.Sqrt((from + to) / samples)
		if to-from < -6*se || classes == 2 && from > 0.5+6*math.Sqrt(0.25/samples) {
			t.Errorf("trial %d (K = %d, q = %g): %d flips proven, but P(h = %d) ≈ %.4f, P(h = %d) ≈ %.4f", trial, classes, q, out.Flips, out.From, from, out.To, to)
		}
		t.Logf("K = %d q = %g: %d flips, P(h = from) ≈ %.4f, P(h = to) ≈ %.4f", classes, q, out.Flips, from, to)
	}
}

// heavyTailedKernel draws a kernel vector whose weights lie around 1/n
// with a few points carrying most of the weight (so that Berry–Esseen is
// weak and Chernoff decides), its labels leaning towards one class with
// probability lean.
func heavyTailedKernel(rng *rand.Rand, n, classes int, lean float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	major := rng.IntN(classes)
	for i := range n {
		alpha[i] = (1 + rng.NormFloat64()) / float64(n)
		if rng.IntN(50) == 0 {
			alpha[i] *= 40 * rng.ExpFloat64()
		}
		y[i] = rng.IntN(classes)
		if rng.Float64() < lean {
			y[i] = major
		}
	}
	return alpha, y
}

// TestSmoothedDoesNotAllocate checks that an Attacker that has attacked a
// problem once attacks it again, and verifies the outcome by sampling,
// without allocating: the white-box bounds, the passes and the ranked
// fallback included.
func TestSmoothedDoesNotAllocate(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 50))
	var cz analytic.Certifier
	for _, classes := range []int{2, 3, 10} {
		for _, q := range []float64{0.01, 0.3} {
			alpha, y := heavyTailedKernel(rng, 3000, classes, 0.6)
			p := RidgePoint{Alpha: alpha, Y: y, Classes: classes, AlphaErr: 1e-9}
			class := cz.Certify(alpha, y, classes, q, p.AlphaErr).Class
			var a Attacker
			attack := func() {
				out, _ := a.Smoothed(p, q, class, 1)
				ps := &a.sums.probe
				s := search{a: &a, g: &ps.order, p: p, q: q, class: class, rival: ps.order.rival, record: true,
					total: ps.total, abs: ps.abs, maxAbs: ps.maxAbs, mu: margin(p.AlphaErr, len(alpha), ps.abs)}
				for r := max(out.Flips-3, 0); r <= out.Flips+3 && out.Flips > 0; r++ {
					s.exact(r) // the pass and, near the answer, the white-box bounds
				}
				s.rankedCrossing(true)
			}
			attack()
			if n := testing.AllocsPerRun(5, attack); n != 0 {
				t.Errorf("K = %d, q = %g: %v allocations per attack", classes, q, n)
			}
		}
	}
}

// TestSmoothedEdges attacks degenerate problems: one or two points, every
// weight zero, every label one class, classes with no points, one weight far
// above the rest, and weights at the ends of the exponent range. No case may
// panic; a proven attack needs more flips than the radius and no more than
// the points, and a contradiction is reported only for flips within it.
func TestSmoothedEdges(t *testing.T) {
	var a Attacker
	cases := []struct {
		alpha []float64
		y     []int
		k     int
	}{
		{[]float64{1}, []int{0}, 2},
		{[]float64{0.7}, []int{1}, 3},
		{[]float64{0.6, 0.4}, []int{0, 1}, 2},
		{[]float64{0, 0, 0, 0}, []int{0, 1, 2, 0}, 3},
		{[]float64{0.2, 0.3, 0.5, -0.1, 0.1}, []int{2, 2, 2, 2, 2}, 3},
		{[]float64{0.25, 0.25, 0.25, 0.25}, []int{0, 0, 9, 9}, 10},
		{[]float64{0.9, 1e-9, 2e-9, -1e-9, 3e-9, 0.1}, []int{0, 1, 2, 1, 2, 1}, 3},
		{[]float64{0x1p-1070, 0x1p-1065, -0x1p-1068, 0x1p-1060}, []int{0, 1, 0, 1}, 2},
		{[]float64{0x1p1000, 0x1p998, -0x1p999, 0x1p1001}, []int{0, 1, 2, 1}, 3},
	}
	for i, c := range cases {
		for _, q := range []float64{0.01, 0.3} {
			if q >= float64(c.k-1)/float64(c.k) {
				continue
			}
			p := RidgePoint{Alpha: c.alpha, Y: c.y, Classes: c.k}
			for class := range c.k {
				for _, r := range []int{-1, 0, 1, 3} {
					out, err := a.Smoothed(p, q, class, r)
					switch {
					case err != nil && (!errors.Is(err, ErrContradiction) || out.Flips > r):
						t.Errorf("edge case %d, q = %g, class %d, radius %d: %v with %d flips", i, q, class, r, err, out.Flips)
					case err == nil && out.Proven && (out.Flips <= r || out.Flips > len(c.alpha)):
						t.Errorf("edge case %d, q = %g, class %d, radius %d: proven with %d flips of %d points", i, q, class, r, out.Flips, len(c.alpha))
					}
				}
			}
		}
	}
}
