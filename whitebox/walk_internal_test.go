package whitebox

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"flipcert/analytic"
)

// termLogMGF returns log E e^{t·loss} of one term written from its
// definition: for K = 2 the binary score's term log(1 − π + π·e^{s·t·α}),
// π = 1−q if the label is 1 else q, s = −1 against class 1 and +1 against
// class 0; for K ≥ 3 the margin term log E e^{−t·α·X} of rival j against
// class c, X = 1 if the noisy label is c, −1 if it is j, 0 otherwise.
func termLogMGF(a float64, label, classes int, q float64, c, j int, t float64) float64 {
	if classes == 2 {
		s := 1.0
		if c == 1 {
			s = -1
		}
		pi := q
		if label == 1 {
			pi = 1 - q
		}
		return math.Log(1 - pi + pi*math.Exp(s*t*a))
	}
	p := q / float64(classes-1)
	var sum float64
	for to := range classes {
		w := p
		if to == label {
			w = 1 - q
		}
		x := 0.0
		switch to {
		case c:
			x = 1
		case j:
			x = -1
		}
		sum += w * math.Exp(-t*a*x)
	}
	return math.Log(sum)
}

// bruteWorst returns max over every labelling z within r changes of y of
// Σᵢ log E e^{…} (the exponent's sum of terms at t, without its linear part),
// minus the same sum at y: the largest increment any r relabellings give.
func bruteWorst(alpha []float64, y []int, classes int, q float64, c, j int, t float64, r int) float64 {
	n := len(alpha)
	clean := 0.0
	for i, a := range alpha {
		clean += termLogMGF(a, y[i], classes, q, c, j, t)
	}
	best := 0.0
	z := make([]int, n)
	total := int(math.Pow(float64(classes), float64(n)))
	for code := range total {
		d, sum := 0, 0.0
		for i := range z {
			z[i] = code % classes
			code /= classes
			if z[i] != y[i] {
				d++
			}
			sum += termLogMGF(alpha[i], z[i], classes, q, c, j, t)
		}
		if d <= r {
			best = max(best, sum-clean)
		}
	}
	return best
}

// walkAt returns the walk's sum of the r largest increments of rival j at t.
func walkAt(cz *Certifier, j int, t float64, r int) float64 {
	for i := range cz.rivals {
		rv := &cz.rivals[i]
		if rv.j == j {
			cz.evaluate(rv, t)
			cz.walk(rv, r, func(int) bool { return false })
			return rv.cum[min(r, len(rv.cum)-1)]
		}
	}
	panic("no such rival")
}

// TestWorstAtFixedT checks the heart of the certificate on tiny problems: at
// a fixed t the walk's sum of the r largest increments, merged from the
// sorted streams, is the largest increase of the exponent over every
// relabelling of at most r points to any class, found by enumerating them.
func TestWorstAtFixedT(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var cz Certifier
	for trial := range 120 {
		classes := 2 + trial%3
		n := []int{0, 0, 9, 7, 6}[classes]
		q := []float64{0.05, 0.2, 0.4}[trial%3]
		alpha, y := make([]float64, n), make([]int, n)
		for i := range n {
			alpha[i] = rng.NormFloat64() / 3
			y[i] = rng.IntN(classes)
		}
		class := analytic.Certify(alpha, y, classes, q, 0).Class
		if cz.setup(alpha, y, classes, q, 0, class) != normal {
			continue
		}
		for _, rv := range cz.rivals {
			for _, tt := range []float64{0.3, 2, 9} {
				for r := 0; r <= n; r++ {
					got := walkAt(&cz, rv.j, tt, r)
					want := bruteWorst(alpha, y, classes, q, class, rv.j, tt, r)
					if math.Abs(got-want) > 1e-12*(1+want) {
						t.Fatalf("trial %d (K = %d, q = %g, class %d, rival %d), t = %g, r = %d: walk %.15g, enumeration %.15g",
							trial, classes, q, class, rv.j, tt, r, got, want)
					}
				}
			}
		}
	}
}

// TestMixedWorstSet builds a three-class problem whose worst pair of
// relabellings takes one point of each kind: against rival 1, point 0
// (class 0, α = 0.3) moves from favours to opposes, point 1 (class 2,
// α = 0.38) from neutral to opposes, and points 2–8 (class 0, α = 0.2) from
// favours to opposes. Ordered by their effect on the expected margin (2α,
// α, 2α: 0.6, 0.38, 0.4) the first two are point 0 and one of class 0's
// 0.2s, but at the t that minimises the bound after two relabellings, point
// 1's increment exceeds theirs, so the worst pair is {0, 1}. The bound must
// be the minimum over t of the enumerated worst case, and above the bound of
// the pair {0, 2}.
func TestMixedWorstSet(t *testing.T) {
	alpha := []float64{0.3, 0.38, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2}
	y := []int{0, 2, 0, 0, 0, 0, 0, 0, 0}
	const classes, q, r = 3, 0.1, 2
	cert := analytic.Certify(alpha, y, classes, q, 0)
	if cert.Class != 0 {
		t.Fatalf("class %d, want 0", cert.Class)
	}
	var cz Certifier
	dst := make([]float64, classes)
	cz.LogBounds(dst, alpha, y, classes, q, 0, 0, r)
	got := dst[1]
	// min over t of the rival's exponent with the worst pair found by
	// enumeration (golden-section search on a convex function), and with the
	// pair {0, 2} fixed.
	exponent := func(t float64, z []int) float64 {
		s := 0.0
		for i, a := range alpha {
			s += termLogMGF(a, z[i], classes, q, 0, 1, t)
		}
		return s
	}
	clean := func(t float64) float64 { return exponent(t, y) }
	worst := func(t float64) float64 { return clean(t) + bruteWorst(alpha, y, classes, q, 0, 1, t, r) }
	greedy := func(t float64) float64 {
		z := append([]int(nil), y...)
		z[0], z[2] = 1, 1
		return exponent(t, z)
	}
	want, tw := goldenMin(worst, 0, 20)
	pair, _ := goldenMin(greedy, 0, 20)
	if !(got >= want-1e-9 && got <= want+1e-7) {
		t.Errorf("bound %.12g, enumerated minimum %.12g", got, want)
	}
	if !(want > pair+1e-4) {
		t.Errorf("worst pair's minimum %.6g not above the gain-ordered pair's %.6g", want, pair)
	}
	// At the minimiser the worst pair is {0, 1}: point 1's increment
	// exceeds point 2's.
	d := func(i, to int) float64 {
		return termLogMGF(alpha[i], to, classes, q, 0, 1, tw) - termLogMGF(alpha[i], y[i], classes, q, 0, 1, tw)
	}
	if !(d(1, 1) > d(2, 1)) {
		t.Errorf("at t = %g point 1's increment %g is not above point 2's %g", tw, d(1, 1), d(2, 1))
	}
}

// goldenMin minimises a convex f on [lo, hi] by golden-section search.
func goldenMin(f func(float64) float64, lo, hi float64) (float64, float64) {
	g := (math.Sqrt(5) - 1) / 2
	a, b := hi-g*(hi-lo), lo+g*(hi-lo)
	fa, fb := f(a), f(b)
	for range 90 {
		if fa < fb {
			hi, b, fb = b, a, fa
			a = hi - g*(hi-lo)
			fa = f(a)
		} else {
			lo, a, fa = a, b, fb
			b = lo + g*(hi-lo)
			fb = f(b)
		}
	}
	return min(fa, fb), (a + b) / 2
}

// TestRoundingAgainstReference checks the padded bound of one pass and walk
// against the exponent written from its definition (termLogMGF per term,
// every increment by trying every new label, the r largest summed, all sums
// compensated), whose own error is a few ulps per term, far inside the pads:
// the padded value must lie above the reference, and above it by no more
// than the pads' worst case. Weights span many decades and q runs from
// 1e−6 to just below its limit.
func TestRoundingAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	var cz Certifier
	for trial := range 24 {
		classes := 2 + trial%2
		n := 3000
		qMax := float64(classes-1) / float64(classes)
		q := []float64{1e-6, 0.05, 0.3, qMax - 1e-7}[trial%4]
		alpha, y := make([]float64, n), make([]int, n)
		for i := range n {
			alpha[i] = rng.NormFloat64() * math.Pow(10, -1-5*rng.Float64())
			y[i] = rng.IntN(classes)
		}
		class := analytic.Certify(alpha, y, classes, q, 0).Class
		if cz.setup(alpha, y, classes, q, 0, class) != normal {
			continue
		}
		for _, rv := range cz.rivals {
			for _, tt := range []float64{0.1, 10, 1000} {
				for _, r := range []int{0, 5, 200} {
					ref := referenceExponent(alpha, y, classes, q, class, rv.j, tt, r)
					walkAt(&cz, rv.j, tt, r)
					got := cz.value(cz.rivalOf(rv.j), r)
					if !(got >= ref) || got-ref > 1e-8*(1+math.Abs(ref)) {
						t.Errorf("trial %d (K = %d, q = %g, rival %d), t = %g, r = %d: padded %.17g, reference %.17g, difference %g",
							trial, classes, q, rv.j, tt, r, got, ref, got-ref)
					}
				}
			}
		}
	}
}

func (cz *Certifier) rivalOf(j int) *rival {
	for i := range cz.rivals {
		if cz.rivals[i].j == j {
			return &cz.rivals[i]
		}
	}
	panic("no such rival")
}

// referenceExponent returns the exponent of rival j against class c at t
// after the r relabellings that raise it most, from the definitions.
func referenceExponent(alpha []float64, y []int, classes int, q float64, c, j int, t float64, r int) float64 {
	var sum, comp float64
	add := func(x float64) { // Neumaier
		s := sum + x
		if math.Abs(sum) >= math.Abs(x) {
			comp += (sum - s) + x
		} else {
			comp += (x - s) + sum
		}
		sum = s
	}
	if classes == 2 {
		s := 1.0
		if c == 1 {
			s = -1
		}
		add(-s * t / 2)
	}
	var deltas []float64
	for i, a := range alpha {
		base := termLogMGF(a, y[i], classes, q, c, j, t)
		add(base)
		best := 0.0
		for to := range classes {
			best = max(best, termLogMGF(a, to, classes, q, c, j, t)-base)
		}
		deltas = append(deltas, best)
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(deltas)))
	for _, d := range deltas[:r] {
		add(d)
	}
	return sum + comp
}
