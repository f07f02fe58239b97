package whitebox_test

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/analytic"
	"flipcert/radius"
	"flipcert/whitebox"
)

// tinyCase draws a tiny problem: n kernel weights around 1/n (a few
// negative) and labels that mostly carry class 0 or, for K = 2, mostly 1, so
// that the smoothed prediction is robust to a few relabellings at most.
func tinyCase(rng *rand.Rand, n, classes int) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	major := rng.IntN(classes)
	for i := range n {
		alpha[i] = (1 + 0.9*rng.NormFloat64()) / float64(n)
		y[i] = major
		if rng.Float64() < 0.3 {
			y[i] = rng.IntN(classes)
		}
	}
	return alpha, y
}

// TestAgainstEnumeration computes the smoothed classifier of tiny binary and
// three-class problems exactly, for every relabelling of every subset of
// points (newSmoothed), and checks that the white-box bound at every r is at
// least the largest probability of a wrong class over the relabellings of at
// most r points, and that the white-box radius never exceeds the true radius
// (the largest r at which that probability stays below ½), and that the
// radius search finds the last r whose fixed-r bound is below ½. In a third of
// the cases the certificate is given a perturbed kernel vector α̂ and the
// bound E = Σ|α̂ᵢ − αᵢ|, and the truth is that of the exact α.
func TestAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var cz whitebox.Certifier
	type stat struct{ cases, certified, exact, gapSum, gapMax int }
	stats := map[int]*stat{2: {}, 3: {}}
	qs := map[int][]float64{2: {0.05, 0.1, 0.2, 0.3, 0.4}, 3: {0.05, 0.1, 0.3, 0.5}}
	for trial := range 600 {
		classes := 2 + trial%2
		n := 8 + rng.IntN(5)
		if classes == 3 {
			n = 6 + rng.IntN(4)
		}
		q := qs[classes][rng.IntN(len(qs[classes]))]
		alpha, y := tinyCase(rng, n, classes)
		computed, alphaErr := alpha, 0.0
		if trial%3 == 2 {
			computed = make([]float64, n)
			for i, a := range alpha {
				computed[i] = a + 0.01*rng.NormFloat64()/float64(n)
				alphaErr += math.Abs(computed[i] - a)
			}
		}
		cert := analytic.Certify(computed, y, classes, q, alphaErr)
		ex := newSmoothed(alpha, classes, q, cert.Class)
		worst := ex.worst(y)
		scan, near := -1, false // the last r whose fixed-r bound certifies
		for r := 0; r <= n; r++ {
			b := cz.LogBounds(nil, computed, y, classes, q, alphaErr, cert.Class, r)
			if !(b >= logOf(worst[r])) {
				t.Fatalf("trial %d (K = %d, q = %g, α = %v, E = %g, y = %v): bound at r = %d is %v, below the log of the exact worst case %v",
					trial, classes, q, alpha, alphaErr, y, r, b, logOf(worst[r]))
			}
			if b < -math.Ln2 {
				scan = r
			}
			near = near || math.Abs(b+math.Ln2) < 1e-6
		}
		got, want := cz.Radius(computed, y, classes, q, alphaErr, cert.Class), trueRadius(worst)
		if got != scan && !near {
			t.Fatalf("trial %d (K = %d, q = %g): radius %d, but the fixed-r bounds certify up to %d", trial, classes, q, got, scan)
		}
		if got > want {
			t.Fatalf("trial %d (K = %d, q = %g, α = %v, E = %g, y = %v): white-box radius %d above the true radius %d (worst %v)",
				trial, classes, q, alpha, alphaErr, y, got, want, worst)
		}
		s := stats[classes]
		s.cases++
		if got >= 0 {
			s.certified++
			gap := want - got
			s.gapSum += gap
			s.gapMax = max(s.gapMax, gap)
			if gap == 0 {
				s.exact++
			}
		}
	}
	for _, k := range []int{2, 3} {
		s := stats[k]
		t.Logf("K = %d: %d cases, %d certified, %d at the true radius, gap mean %.2f max %d",
			k, s.cases, s.certified, s.exact, float64(s.gapSum)/float64(max(s.certified, 1)), s.gapMax)
		if s.certified < s.cases/3 {
			t.Errorf("K = %d: only %d of %d cases certified: the test data do not exercise the certificate", k, s.certified, s.cases)
		}
	}
}

// TestCleanBound checks that the white-box bound at r = 0 is the analytic
// certificate's bound, computed independently. Both are upper bounds on the
// same optimum of padded exponents, analytic's within 1e−9 of its own, and
// each pad is about 1.5·10⁻¹³·n·(log(1/p) + 2) nats plus a share of the
// exponent's size (docs/science.md §10 "Margins of the analytic certificate", §14), so the two may differ by that
// much either way and by no more.
func TestCleanBound(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var cz whitebox.Certifier
	for trial := range 60 {
		classes := []int{2, 3, 5}[trial%3]
		n := 200 + rng.IntN(2000)
		q := []float64{0.01, 0.05, 0.2, 0.4}[rng.IntN(4)]
		alpha, y := gaussianKernel(rng, n, classes, 0.3*rng.Float64())
		alphaErr := []float64{0, 1e-9}[trial%2]
		cert := analytic.Certify(alpha, y, classes, q, alphaErr)
		got := cz.LogBounds(nil, alpha, y, classes, q, alphaErr, cert.Class, 0)
		p := q / float64(classes-1)
		tol := 1e-9 + 4e-13*float64(n)*(2-math.Log(p)) + 1e-12*math.Abs(cert.LogEps)
		if math.Abs(got-cert.LogEps) > tol {
			t.Errorf("trial %d (K = %d, n = %d, q = %g): white-box bound %.12g, analytic %.12g, diff %g", trial, classes, n, q, got, cert.LogEps, got-cert.LogEps)
		}
	}
}

// gaussianKernel draws a ridge-like kernel vector: mostly small weights with
// a few heavy ones, labels tilted towards class 0 by tilt.
func gaussianKernel(rng *rand.Rand, n, classes int, tilt float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	for i := range n {
		alpha[i] = rng.NormFloat64() / float64(n)
		if rng.IntN(100) == 0 {
			alpha[i] *= 20
		}
		y[i] = rng.IntN(classes)
		if rng.Float64() < tilt {
			y[i] = 0
			alpha[i] = math.Abs(alpha[i]) + 0.5/float64(n)
		}
	}
	return alpha, y
}

// binaryKernel draws a binary ridge-like kernel vector summing to about 1
// (as with an unpenalised intercept): weights around 1/n with a spread of
// 1.5/n and one in a hundred four times larger, and labels of one class
// but for a share minority of the other.
func binaryKernel(rng *rand.Rand, n int, minority float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	major := rng.IntN(2)
	for i := range n {
		alpha[i] = (1 + 1.5*rng.NormFloat64()) / float64(n)
		if rng.IntN(100) == 0 {
			alpha[i] *= 4
		}
		y[i] = major
		if rng.Float64() < minority {
			y[i] = 1 - major
		}
	}
	return alpha, y
}

// TestCrudeRadius checks the white-box radius against the crude form of the
// Neyman-Pearson bound: one relabelling raises each exponent by at most
// log ρ, ρ = (1−q)/p the largest likelihood ratio of one changed label, so
// log ε + r·log ρ < log ½ certifies r (log ε the analytic bound), and the
// white-box radius must reach it. It also reports how often the tight
// Neyman-Pearson radius, which the caller combines with the white-box one by
// taking the larger, is the larger.
func TestCrudeRadius(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var cz whitebox.Certifier
	npWins := 0
	const trials = 40
	for trial := range trials {
		classes := []int{2, 3, 10}[trial%3]
		n := 500 + rng.IntN(3000)
		q := []float64{0.001, 0.05, 0.2, 0.4}[rng.IntN(4)]
		alpha, y := gaussianKernel(rng, n, classes, 0.2+0.3*rng.Float64())
		cert := analytic.Certify(alpha, y, classes, q, 0)
		if cert.Abstain() {
			continue
		}
		p := q / float64(classes-1)
		logRho := math.Log1p(-q) - math.Log(p)
		crude := int(math.Ceil((-math.Ln2-cert.LogEps-1e-6)/logRho)) - 1
		got := cz.Radius(alpha, y, classes, q, 0, cert.Class)
		if got < min(crude, n) {
			t.Errorf("trial %d (K = %d, q = %g): white-box radius %d below the crude radius %d (log ε = %g)", trial, classes, q, got, crude, cert.LogEps)
		}
		tab, err := radius.NewTable(q, classes, n)
		if err != nil {
			t.Fatal(err)
		}
		if np := tab.Radius(cert.LogEps); np > got {
			npWins++
		}
	}
	t.Logf("the Neyman-Pearson radius is the larger in %d of %d cases", npWins, trials)
}

// greedyFlips returns y with the r most influential helpful flips of a
// binary problem applied: against class 1 the labels 1 with α > 0 and 0
// with α < 0, against class 0 the opposite, largest |α| first (ties to the
// lower index).
func greedyFlips(alpha []float64, y []int, class, r int) []int {
	var idx []int
	for i, a := range alpha {
		if (a > 0) == (y[i] == class) && a != 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int { return cmp.Compare(math.Abs(alpha[j]), math.Abs(alpha[i])) })
	z := slices.Clone(y)
	for _, i := range idx[:min(r, len(idx))] {
		z[i] = 1 - z[i]
	}
	return z
}

// TestBinaryGreedy checks the binary certificate against package analytic:
// for two classes every increment is one increasing function of |αᵢ|, so the
// worst relabelling of r points is the same at every t — the r largest
// helpful flips — and the white-box bound at r is the analytic bound of the
// labels with those flips applied (1 once the flips change the analytic
// class). The white-box radius is then the last r whose analytic bound is
// below ½, up to the two certificates' rounding where a bound lies within
// 1e−6 of log ½.
func TestBinaryGreedy(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var cz whitebox.Certifier
	for trial := range 24 {
		n := 300 + rng.IntN(3000)
		q := []float64{0.001, 0.05, 0.2, 0.4}[trial%4]
		alpha, y := binaryKernel(rng, n, 0.1+0.15*rng.Float64())
		alphaErr := []float64{0, 1e-10}[trial%2]
		cert := analytic.Certify(alpha, y, 2, q, alphaErr)
		ref := func(r int) float64 {
			c := analytic.Certify(alpha, greedyFlips(alpha, y, cert.Class, r), 2, q, alphaErr)
			if c.Class != cert.Class {
				return 0
			}
			return c.LogEps
		}
		for _, r := range []int{1, 3, 10, 30, 100} {
			got, want := cz.LogBounds(nil, alpha, y, 2, q, alphaErr, cert.Class, r), ref(r)
			tol := 1e-9 + 4e-13*float64(n)*(2-math.Log(q)) + 1e-12*math.Abs(want)
			if math.Abs(got-want) > tol {
				t.Errorf("trial %d (n = %d, q = %g), r = %d: white-box bound %.12g, analytic on the flipped labels %.12g", trial, n, q, r, got, want)
			}
		}
		got := cz.Radius(alpha, y, 2, q, alphaErr, cert.Class)
		if got <= 0 || got >= n {
			t.Errorf("trial %d (n = %d, q = %g): radius %d does not exercise the search", trial, n, q, got)
		}
		// The largest r with ref(r) < log ½, by bisection (ref rises with r).
		lo, hi := -1, n+1
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if ref(mid) < -math.Ln2 {
				lo = mid
			} else {
				hi = mid
			}
		}
		near := func(r int) bool { return r >= 0 && r <= n && math.Abs(ref(r)+math.Ln2) < 1e-6 }
		if got != min(lo, n) && !near(got) && !near(got+1) {
			t.Errorf("trial %d (n = %d, q = %g): white-box radius %d, analytic on the flipped labels %d", trial, n, q, got, lo)
		}
	}
}

// TestRadiusIsLargest checks the radius search against the bound at fixed r
// for K = 2, 3 and 10: the radius is certified by LogBounds and the next r
// is not, up to the rounding of bounds within 1e−6 of log ½. The two
// minimise over t along different paths (a joint search over t and r, and
// Newton steps at fixed r).
func TestRadiusIsLargest(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var cz whitebox.Certifier
	inside := 0
	for trial := range 30 {
		classes := []int{2, 3, 10}[trial%3]
		n := 500 + rng.IntN(4000)
		q := []float64{0.001, 0.05, 0.2, 0.4}[rng.IntN(4)]
		alpha, y := gaussianKernel(rng, n, classes, 0.2+0.3*rng.Float64())
		cert := analytic.Certify(alpha, y, classes, q, 0)
		got := cz.Radius(alpha, y, classes, q, 0, cert.Class)
		bound := func(r int) float64 { return cz.LogBounds(nil, alpha, y, classes, q, 0, cert.Class, r) }
		if got >= 0 && got < n {
			if b := bound(got); !(b < -math.Ln2) && b+math.Ln2 > 1e-6 {
				t.Errorf("trial %d (K = %d, n = %d, q = %g): radius %d, but the bound there is %g", trial, classes, n, q, got, b)
			}
		}
		if got < n {
			if b := bound(got + 1); b < -math.Ln2-1e-6 {
				t.Errorf("trial %d (K = %d, n = %d, q = %g): radius %d, but the bound at %d is %g", trial, classes, n, q, got, got+1, b)
			}
		}
		if got > 0 && got < n {
			inside++
		}
	}
	if inside < 20 {
		t.Errorf("only %d of 30 radii lie strictly between 0 and n: the data do not exercise the search", inside)
	}
}

// TestReuse checks that a Certifier's scratch memory carries nothing from
// one call to the next: the same problems in a different order, and with a
// fresh Certifier each, give identical results.
func TestReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	type problem struct {
		alpha   []float64
		y       []int
		classes int
		q       float64
		class   int
	}
	var ps []problem
	for trial := range 12 {
		classes := []int{2, 3, 10, 4}[trial%4]
		alpha, y := gaussianKernel(rng, 200+rng.IntN(2000), classes, 0.3)
		q := []float64{0.05, 0.4}[trial%2]
		ps = append(ps, problem{alpha, y, classes, q, analytic.Certify(alpha, y, classes, q, 0).Class})
	}
	var shared whitebox.Certifier
	got := make([][2]float64, len(ps))
	for k := len(ps) - 1; k >= 0; k-- {
		p := ps[k]
		got[k] = [2]float64{float64(shared.Radius(p.alpha, p.y, p.classes, p.q, 0, p.class)), shared.LogBounds(nil, p.alpha, p.y, p.classes, p.q, 0, p.class, 7)}
	}
	for k, p := range ps {
		var fresh whitebox.Certifier
		want := [2]float64{float64(fresh.Radius(p.alpha, p.y, p.classes, p.q, 0, p.class)), fresh.LogBounds(nil, p.alpha, p.y, p.classes, p.q, 0, p.class, 7)}
		if got[k] != want {
			t.Errorf("problem %d: reused Certifier gives %v, a fresh one %v", k, got[k], want)
		}
	}
}

// TestEdgeCases covers the bounds that need no search: a rival tied with
// the class in expectation has the bound 1 (and the others keep theirs), a
// binary class 0 whose other side no labelling reaches is certified at
// every r, and a noise level too small for the rounding bounds certifies
// nothing.
func TestEdgeCases(t *testing.T) {
	var cz whitebox.Certifier
	// K = 3: classes 0 and 2 carry equal weights, so μ₀ = μ₂ and class 0
	// (lowest index) is predicted with rival 2 tied.
	alpha, y := []float64{0.5, 0.5, 0.3}, []int{0, 2, 1}
	dst := make([]float64, 3)
	if u := cz.LogBounds(dst, alpha, y, 3, 0.1, 0, 0, 0); u != 0 || dst[2] != 0 || !(dst[1] < 0) || !math.IsInf(dst[0], -1) {
		t.Errorf("tied rival: union %v, rival bounds %v", u, dst)
	}
	// P(s₀ ≤ s₁) by enumeration of the 27 noisy labellings must lie below
	// e^{dst[1]}.
	var pr float64
	for code := range 27 {
		noisy := []int{code % 3, code / 3 % 3, code / 9}
		w := 1.0
		var s [3]float64
		for m := range 3 {
			if noisy[m] == y[m] {
				w *= 0.9
			} else {
				w *= 0.05
			}
			s[noisy[m]] += alpha[m]
		}
		if s[0] <= s[1] {
			pr += w
		}
	}
	if !(dst[1] >= math.Log(pr)) {
		t.Errorf("rival 1: bound %v below the log of the exact probability %v", dst[1], math.Log(pr))
	}
	if r := cz.Radius(alpha, y, 3, 0.1, 0, 0); r != -1 {
		t.Errorf("tied rival: radius %d, want -1", r)
	}
	// K = 2: the positive weights add up to 0.3 < ½, so S ≥ ½ is impossible.
	alpha, y = []float64{0.1, 0.2, -0.4, 0}, []int{1, 1, 0, 1}
	if r := cz.Radius(alpha, y, 2, 0.3, 0.01, 0); r != 4 {
		t.Errorf("impossible other class: radius %d, want 4", r)
	}
	if b := cz.LogBounds(nil, alpha, y, 2, 0.3, 0.01, 0, 2); b != analytic.LogEpsImpossible {
		t.Errorf("impossible other class: bound %v", b)
	}
	// With a kernel error of 0.25 it is no longer certainly impossible.
	if r := cz.Radius(alpha, y, 2, 0.3, 0.25, 0); r == 4 {
		t.Errorf("other class possible within the kernel error: radius %d", r)
	}
	if r := cz.Radius([]float64{1, 0.5}, []int{1, 1}, 2, 1e-200, 0, 1); r != -1 {
		t.Errorf("q = 1e-200: radius %d, want -1", r)
	}
}

// TestPanics checks the documented misuse.
func TestPanics(t *testing.T) {
	var cz whitebox.Certifier
	alpha, y := []float64{0.5, 0.5}, []int{1, 0}
	for name, f := range map[string]func(){
		"lengths":  func() { cz.Radius(alpha, []int{1}, 2, 0.1, 0, 1) },
		"classes":  func() { cz.Radius(alpha, y, 1, 0.1, 0, 0) },
		"q":        func() { cz.Radius(alpha, y, 2, 0.5, 0, 1) },
		"alphaErr": func() { cz.Radius(alpha, y, 2, 0.1, math.NaN(), 1) },
		"class":    func() { cz.Radius(alpha, y, 2, 0.1, 0, 2) },
		"label":    func() { cz.Radius(alpha, []int{1, 2}, 2, 0.1, 0, 1) },
		"weight":   func() { cz.Radius([]float64{math.Inf(1), 0}, y, 2, 0.1, 0, 1) },
		"r":        func() { cz.LogBounds(nil, alpha, y, 2, 0.1, 0, 1, -1) },
		"dst":      func() { cz.LogBounds(make([]float64, 3), alpha, y, 2, 0.1, 0, 1, 0) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
