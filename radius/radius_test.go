package radius

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/gonum/floats"
)

func mustTable(t testing.TB, q float64, classes, maxFlips int) *Table {
	t.Helper()
	tab, err := NewTable(q, classes, maxFlips)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// floatBelow returns the largest double strictly below x.
func floatBelow(x *big.Float) float64 {
	f, acc := x.Float64()
	if acc != big.Below {
		f = math.Nextafter(f, math.Inf(-1))
	}
	return f
}

// floatAtOrAbove returns the smallest double ≥ x.
func floatAtOrAbove(x *big.Float) float64 {
	f, acc := x.Float64()
	if acc == big.Below {
		f = math.Nextafter(f, math.Inf(1))
	}
	return f
}

// TestScienceExamples checks the worked examples of docs/science.md §5 and §8.
func TestScienceExamples(t *testing.T) {
	const n = 13007
	for _, tc := range []struct {
		q          float64
		classes    int
		eps        float64
		tight, div int
	}{
		{0.4, 2, 1e-3, 58, 34},
		{0.4, 2, 1e-6, 139, 76},
		{0.4, 2, 1e-12, 305, 161},
		{0.4, 2, 1e-20, 528, 275},
		{0.1, 2, 1e-3, 2, 1},
		{0.1, 2, 1e-6, 5, 3},
		{0.1, 2, 1e-12, 13, 7},
		{0.1, 2, 1e-20, 24, 12},
		{0.4, 3, 1e-3, 10, 6},
		{0.4, 3, 1e-6, 25, 14},
		{0.4, 3, 1e-12, 56, 29},
		{0.4, 10, 1e-3, 3, 1},
		{0.4, 10, 1e-6, 7, 4},
		{0.4, 10, 1e-12, 16, 9},
	} {
		tab := mustTable(t, tc.q, tc.classes, n)
		logEps := math.Log(tc.eps)
		if got := tab.Radius(logEps); got != tc.tight {
			t.Errorf("q=%v K=%d ε=%v: Radius = %d, want %d", tc.q, tc.classes, tc.eps, got, tc.tight)
		}
		if got := tab.RadiusKL(logEps); got != tc.div {
			t.Errorf("q=%v K=%d ε=%v: RadiusKL = %d, want %d", tc.q, tc.classes, tc.eps, got, tc.div)
		}
	}
}

// TestBinaryAgainstReference holds the binary table to the 320-bit reference
// at radii spread over 1..13,007: every threshold at or below the exact one
// (no radius above the exact radius), and the threshold at r−1 above the
// exact one at r (never more than one flip below it). The radii include the
// three where a table built from log-gamma differences certified one flip
// too many.
func TestBinaryAgainstReference(t *testing.T) {
	const n = 13007
	rs := []int{1, 2, 3, 5, 8, 13, 21, 40, 77, 150, 300, 600, 1000, 1567, 1827, 2000, 3000, 4500, 6000, 8000, 10000, 12000, 12967, 13007}
	qs := []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.49}
	if testing.Short() {
		rs = []int{1, 40, 1567, 1827, 12967}
		qs = []float64{0.01, 0.1, 0.49}
	}
	worstGap, worstShare := 0.0, 0.0
	for _, q := range qs {
		tab := mustTable(t, q, 2, n)
		for _, r := range rs {
			ref := refLogThreshold(binomialLevels(q, r))
			checkThreshold(t, tab, r, ref, fmt.Sprintf("q=%v", q))
			// The shortfall, also as a share of the step from r−1 to r: the
			// share of bounds with exact radius r−1 or more… that get one less.
			gap, _ := newF().Sub(ref, bigF(tab.MaxLogEps(r))).Float64()
			worstGap = max(worstGap, gap)
			worstShare = max(worstShare, gap/(tab.MaxLogEps(r-1)-tab.MaxLogEps(r)))
		}
	}
	t.Logf("largest shortfall of a threshold below the exact one: %.3g nats, %.3g of the step from r−1 to r",
		worstGap, worstShare)
}

// checkThreshold compares the table at r with the exact log threshold ref.
func checkThreshold(t *testing.T, tab *Table, r int, ref *big.Float, name string) {
	t.Helper()
	if got := tab.MaxLogEps(r); bigF(got).Cmp(ref) > 0 {
		t.Errorf("%s r=%d: MaxLogEps = %.17g above the exact %s", name, r, got, ref.Text('g', 20))
	}
	if got := tab.MaxLogEps(r - 1); bigF(got).Cmp(ref) < 0 {
		t.Errorf("%s r=%d: MaxLogEps(r−1) = %.17g below the exact threshold at r %s: more than one flip lost",
			name, r, got, ref.Text('g', 20))
	}
	// The same seen as radii, at the doubles on either side of the exact
	// threshold: the exact radius is ≥ r just below it and < r at or above it.
	if got := tab.Radius(floatAtOrAbove(ref)); got >= r {
		t.Errorf("%s: log ε = %.17g at the exact threshold for r=%d: Radius = %d, exact radius < %d",
			name, floatAtOrAbove(ref), r, got, r)
	}
	if got := tab.Radius(floatBelow(ref)); got < r-1 {
		t.Errorf("%s: log ε = %.17g below the exact threshold for r=%d: Radius = %d, exact radius ≥ %d",
			name, floatBelow(ref), r, got, r)
	}
}

// TestReportedCounterExample reproduces the independent 45-digit check: at
// q = 0.01 and log ε = −7060.99778478736 the worst attacked mass against 1,567
// flips is 0.500000000000223, so 1,567 is not certified.
func TestReportedCounterExample(t *testing.T) {
	const q, logEps = 0.01, -7060.99778478736
	mass, _ := refWorstMass(binomialLevels(q, 1567), bigExp(bigF(logEps))).Float64()
	if math.Abs(mass-0.500000000000223) > 1e-15 {
		t.Fatalf("reference worst mass at r=1567 = %.17g, the 45-digit check found 0.500000000000223", mass)
	}
	tab := mustTable(t, q, 2, 13007)
	if got := tab.Radius(logEps); got != 1566 {
		t.Errorf("Radius = %d, want 1566 (1567 is not certified; 1566 is: exact threshold %s)",
			got, refLogThreshold(binomialLevels(q, 1566)).Text('g', 20))
	}
}

// TestMulticlassAgainstEnumeration holds the K-class table to thresholds from
// a direct sum over (A, B, C) at every r ≤ 24 and a few larger r, where the
// table's window has long dropped the far tails.
func TestMulticlassAgainstEnumeration(t *testing.T) {
	const maxR = 24
	for _, tc := range []struct {
		classes int
		qs      []float64
		extra   []int
	}{
		{2, []float64{0.05, 0.3}, nil},
		{3, []float64{0.01, 0.2, 0.4, 0.66}, []int{60}},
		{4, []float64{0.1, 0.7}, nil},
		{10, []float64{0.005, 0.05, 0.4, 0.85}, []int{60, 100}},
	} {
		for _, q := range tc.qs {
			name := fmt.Sprintf("K=%d q=%v", tc.classes, q)
			tab := mustTable(t, q, tc.classes, 200)
			prev := bigF(-math.Ln2)
			for r := 1; r <= maxR; r++ {
				ref := refLogThreshold(multinomialLevels(q, tc.classes, r))
				// An attacker with r changes can spend r−1 of them, so the exact
				// threshold never rises with r (docs/science.md §10 "The radius table").
				if ref.Cmp(prev) > 0 {
					t.Errorf("%s: exact threshold rises from r=%d to %d", name, r-1, r)
				}
				prev = ref
				checkThreshold(t, tab, r, ref, name)
			}
			for _, r := range tc.extra {
				checkThreshold(t, tab, r, refLogThreshold(multinomialLevels(q, tc.classes, r)), name)
			}
		}
	}
}

// TestMulticlassAgainstConvolution holds the K-class table to thresholds from
// the whole attacked law of Z in 320 bits, for radii where the table keeps
// only a narrow window of it.
func TestMulticlassAgainstConvolution(t *testing.T) {
	const maxR = 300
	for _, tc := range []struct {
		q       float64
		classes int
	}{{0.66, 3}, {0.5, 10}} {
		tab := mustTable(t, tc.q, tc.classes, maxR)
		convolvedLevels(tc.q, tc.classes, maxR, func(r int, ls levels) {
			if r%100 == 0 {
				checkThreshold(t, tab, r, refLogThreshold(ls), fmt.Sprintf("K=%d q=%v", tc.classes, tc.q))
			}
		})
	}
}

// TestTwoClassesIsBinomial checks that the K-class levels of §8 at K = 2 are
// the binomial levels of §5: the two references agree.
func TestTwoClassesIsBinomial(t *testing.T) {
	for _, q := range []float64{0.01, 0.3, 0.49} {
		for _, r := range []int{1, 7, 30} {
			a := refThreshold(binomialLevels(q, r))
			b := refThreshold(multinomialLevels(q, 2, r))
			diff := newF().Sub(a, b)
			diff.Quo(diff, a)
			if d, _ := diff.Float64(); math.Abs(d) > 1e-80 {
				t.Errorf("q=%v r=%d: binomial and two-class thresholds differ by %g relative", q, r, d)
			}
		}
	}
}

// bruteWorstMass is the binary Neyman-Pearson worst case in plain float64 for
// small r: fill the levels K = 0, 1, … (clean K ~ Bin(r, 1−q), attacked
// K ~ Bin(r, q)) with clean mass eps, the last level fractionally.
func bruteWorstMass(r int, q, eps float64) float64 {
	left, mass := eps, 0.0
	for k := 0; k <= r; k++ {
		clean, attacked := binomPMF(r, k, 1-q), binomPMF(r, k, q)
		if clean <= left {
			left -= clean
			mass += attacked
			continue
		}
		return mass + attacked*left/clean
	}
	return mass
}

// binomPMF returns C(r,k) pᵏ(1−p)^{r−k} in plain float64 (fine for small r).
func binomPMF(r, k int, p float64) float64 {
	c := 1.0
	for j := 1; j <= k; j++ {
		c *= float64(r-k+j) / float64(j)
	}
	return c * math.Pow(p, float64(k)) * math.Pow(1-p, float64(r-k))
}

// bruteRadius is the largest r ≤ maxFlips such that every r′ ≤ r keeps the
// worst attacked mass below ½, or −1.
func bruteRadius(q, eps float64, maxFlips int) int {
	for r := 0; r <= maxFlips; r++ {
		if bruteWorstMass(r, q, eps) >= 0.5 {
			return r - 1
		}
	}
	return maxFlips
}

// TestRadiusMatchesBruteForce compares the binary table with direct
// enumeration over a grid of (q, ε); radii up to maxFlips = 40 exercise the
// cap too.
func TestRadiusMatchesBruteForce(t *testing.T) {
	const maxFlips = 40
	eps := floats.LogSpan(make([]float64, 97), 3.7e-41, 0.71)
	for _, q := range []float64{1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.49} {
		tab := mustTable(t, q, 2, maxFlips)
		for _, e := range eps {
			want := bruteRadius(q, e, maxFlips)
			if got := tab.Radius(math.Log(e)); got != want {
				t.Errorf("q=%v ε=%v: Radius = %d, brute force %d", q, e, got, want)
			}
		}
	}
}

func TestMonotone(t *testing.T) {
	for _, tc := range []struct {
		q          float64
		classes, n int
	}{
		{1e-4, 2, 13007}, {0.05, 2, 13007}, {0.4, 2, 13007}, {0.4999, 2, 13007},
		{0.005, 10, 5000}, {0.5, 10, 5000}, {0.89, 10, 5000},
	} {
		tab := mustTable(t, tc.q, tc.classes, tc.n)
		for r := 1; r <= tc.n; r++ {
			if tab.MaxLogEps(r) > tab.MaxLogEps(r-1) {
				t.Fatalf("q=%v K=%d: MaxLogEps(%d) = %v > MaxLogEps(%d) = %v",
					tc.q, tc.classes, r, tab.MaxLogEps(r), r-1, tab.MaxLogEps(r-1))
			}
		}
		prevTight, prevKL := -1, -1
		for logEps := 0.0; logEps > -6000; logEps -= 0.37 {
			tight, div := tab.Radius(logEps), tab.RadiusKL(logEps)
			if tight < prevTight || div < prevKL {
				t.Fatalf("q=%v K=%d log ε=%v: radii %d, %d decreased from %d, %d",
					tc.q, tc.classes, logEps, tight, div, prevTight, prevKL)
			}
			if div > tight {
				t.Errorf("q=%v K=%d log ε=%v: KL radius %d exceeds tight radius %d", tc.q, tc.classes, logEps, div, tight)
			}
			prevTight, prevKL = tight, div
		}
	}
}

// TestKLMatchesDefinition scans r directly against the inequality, with ε in
// ordinary floating point, for K = 2 and K = 10.
func TestKLMatchesDefinition(t *testing.T) {
	const maxFlips = 5000
	for _, tc := range []struct {
		q       float64
		classes int
	}{{1e-3, 2}, {0.1, 2}, {0.3, 2}, {0.45, 2}, {0.05, 10}, {0.6, 10}} {
		p := tc.q / float64(tc.classes-1)
		perChange := (1 - tc.q - p) * math.Log((1-tc.q)/p)
		tab := mustTable(t, tc.q, tc.classes, maxFlips)
		for _, e := range floats.LogSpan(make([]float64, 50), 1.3e-250, 0.49) {
			budget := -0.5 * math.Log(4*e*(1-e))
			want := -1
			for r := 0; r <= maxFlips && float64(r)*perChange < budget; r++ {
				want = r
			}
			if got := tab.RadiusKL(math.Log(e)); got != want {
				t.Errorf("q=%v K=%d ε=%v: RadiusKL = %d, want %d", tc.q, tc.classes, e, got, want)
			}
		}
	}
}

// TestKLNearInteger builds bounds whose KL budget is within rounding of a
// whole number of flips: at q = ¼, r flips cost r·½ln 3, and
// ε = (1 − √(1 − 3⁻ʳ))/2 makes −½ln(4ε(1−ε)) exactly that. For the doubles
// around each such log ε the exact ratio x = budget/(½ln 3) is computed in
// 320 bits: RadiusKL must be below x (never a flip that only rounding
// supports) and at most one below ⌈x⌉−1. Some of these doubles put the plain
// float64 quotient on or above the integer while the exact x is below it;
// there RadiusKL must take the conservative side.
func TestKLNearInteger(t *testing.T) {
	const q = 0.25
	tab := mustTable(t, q, 2, 1000)
	perFlip := newF().Mul(bigF(0.5), bigLog(bigF(3)))
	trapped := 0
	for _, m := range []int{1, 2, 3, 5, 8, 13, 40, 100, 400} {
		// log ε_m in 320 bits: 4ε(1−ε) = y = 3^−m, ε = y/(2(1 + √(1−y))).
		y := newF().Quo(bigInt(1), bigPow(bigF(3), m))
		root := newF().Sub(bigInt(1), y)
		root.Sqrt(root).Add(root, bigInt(1)).Mul(root, bigInt(2))
		eps := newF().Quo(y, root)
		center, _ := bigLog(eps).Float64()
		for k := -8; k <= 8; k++ {
			logEps := center
			for range abs(k) {
				logEps = math.Nextafter(logEps, math.Copysign(math.Inf(1), float64(k)))
			}
			// Exact x for this double: budget = −½ ln(4ε(1−ε)).
			e := bigExp(bigF(logEps))
			four := newF().Sub(bigInt(1), e)
			four.Mul(four, e).Mul(four, bigInt(4))
			x := bigLog(four)
			x.Neg(x).Quo(x, bigInt(2)).Quo(x, perFlip)
			// The largest r < x: ⌊x⌋, less one if x is a whole number.
			fl, _ := x.Int64()
			exact := int(fl)
			if x.IsInt() {
				exact--
			}
			got := tab.RadiusKL(logEps)
			if got > exact || got < exact-1 {
				t.Errorf("m=%d log ε=%.17g: RadiusKL = %d, exact x = %s, want %d or %d",
					m, logEps, got, x.Text('g', 25), exact-1, exact)
			}
			// The plain float64 formula, as a program without margins computes it.
			e64 := math.Exp(logEps)
			naive := -0.5 * math.Log(4*e64*(1-e64)) / ((1 - 2*q) * math.Log((1-q)/q))
			if naive >= float64(exact+1) {
				trapped++
				if got != exact {
					t.Errorf("m=%d log ε=%.17g: float64 quotient %.17g admits %d flips but exact x = %s: RadiusKL = %d",
						m, logEps, naive, exact+1, x.Text('g', 25), got)
				}
			}
		}
	}
	t.Logf("%d constructed bounds where float64 rounding alone would certify one more flip", trapped)
	if trapped == 0 {
		t.Error("no constructed log ε put the float64 quotient on the wrong side of an integer; the test shows nothing")
	}
}

func abs(k int) int { return max(k, -k) }

func TestEdges(t *testing.T) {
	const n = 13007
	justBelowHalf := math.Nextafter(-math.Ln2, math.Inf(-1))
	for _, classes := range []int{2, 10} {
		tab := mustTable(t, 0.4, classes, n)
		for _, tc := range []struct {
			name       string
			logEps     float64
			tight, div int
		}{
			{"ε = 1/2", -math.Ln2, -1, -1},
			{"ε just below 1/2", justBelowHalf, 0, 0},
			{"ε = 1", 0, -1, -1},
			{"ε > 1", 1, -1, -1},
			{"log ε = -1e5", -1e5, n, n},
			{"log ε = -1e300", -1e300, n, n},
			{"ε = 0", math.Inf(-1), n, n},
		} {
			if got := tab.Radius(tc.logEps); got != tc.tight {
				t.Errorf("K=%d %s: Radius = %d, want %d", classes, tc.name, got, tc.tight)
			}
			if got := tab.RadiusKL(tc.logEps); got != tc.div {
				t.Errorf("K=%d %s: RadiusKL = %d, want %d", classes, tc.name, got, tc.div)
			}
		}
	}
	// maxFlips = 0: only "certified at 0" or not.
	zero := mustTable(t, 0.2, 2, 0)
	if got := zero.Radius(-100); got != 0 {
		t.Errorf("maxFlips 0: Radius(-100) = %d, want 0", got)
	}
	if got := zero.Radius(0); got != -1 {
		t.Errorf("maxFlips 0: Radius(0) = %d, want -1", got)
	}
	// Noise levels at the far ends of the range stay sound and finite.
	for _, tc := range []struct {
		q       float64
		classes int
	}{{1e-300, 2}, {MinQ(3), 3}, {math.Nextafter(0.5, 0), 2}, {math.Nextafter(0.9, 0), 10}} {
		tab := mustTable(t, tc.q, tc.classes, 50)
		for r := range 51 {
			if v := tab.MaxLogEps(r); math.IsNaN(v) || math.IsInf(v, 0) || v > -math.Ln2 {
				t.Errorf("q=%v K=%d: MaxLogEps(%d) = %v", tc.q, tc.classes, r, v)
			}
		}
	}
}

// TestSmallestNoise: q/(K−1) must be a normal float64 (MinQ); below it
// math.Log is off by up to 35 nats and q = 5e-324 certified a flip that the
// exact table refuses.
func TestSmallestNoise(t *testing.T) {
	for _, k := range []int{2, 3, 10} {
		if _, err := NewTable(MinQ(k), k, 10); err != nil {
			t.Errorf("K=%d: MinQ refused: %v", k, err)
		}
		below := math.Nextafter(MinQ(k), 0)
		if _, err := NewTable(below, k, 10); !errors.Is(err, ErrNoise) || !strings.Contains(err.Error(), "2⁻¹⁰²²") {
			t.Errorf("K=%d: q = %v: err = %v, want ErrNoise naming 2⁻¹⁰²²", k, below, err)
		}
	}
	if _, err := NewTable(5e-324, 2, 200); err == nil {
		t.Error("q = 5e-324 accepted")
	}
}

func TestBadArguments(t *testing.T) {
	for _, tc := range []struct {
		q       float64
		classes int
		bound   string
	}{
		{0, 2, "0.5"}, {0.5, 2, "0.5"}, {-0.1, 2, "0.5"}, {0.7, 2, "0.5"}, {math.NaN(), 2, "0.5"}, {math.Inf(1), 2, "0.5"},
		{2.0 / 3, 3, "0.666"}, {0.9, 10, "0.9"}, {1, 10, "0.9"},
	} {
		_, err := NewTable(tc.q, tc.classes, 10)
		if !errors.Is(err, ErrNoise) || !strings.Contains(fmt.Sprint(err), tc.bound) {
			t.Errorf("NewTable(%v, %d): err = %v, want ErrNoise naming the bound %s", tc.q, tc.classes, err, tc.bound)
		}
	}
	for _, tc := range []struct {
		q                 float64
		classes, maxFlips int
	}{{0.1, 1, 10}, {0.1, 0, 10}, {0.1, 2, -1}} {
		if _, err := NewTable(tc.q, tc.classes, tc.maxFlips); err == nil {
			t.Errorf("NewTable(%v, %d, %d): no error", tc.q, tc.classes, tc.maxFlips)
		}
	}
	for name, f := range map[string]func(){
		"RadiusKL NaN":  func() { mustTable(t, 0.1, 2, 10).RadiusKL(math.NaN()) },
		"Radius NaN":    func() { mustTable(t, 0.1, 2, 10).Radius(math.NaN()) },
		"MaxLogEps(-1)": func() { mustTable(t, 0.1, 2, 10).MaxLogEps(-1) },
		"MaxLogEps(11)": func() { mustTable(t, 0.1, 2, 10).MaxLogEps(11) },
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

// TestLazyConcurrent asks a fresh table for radii and thresholds from several
// goroutines at once and compares each answer with a table built in full
// beforehand; it also checks that a small radius does not build the whole
// table.
func TestLazyConcurrent(t *testing.T) {
	const q, classes, n = 0.05, 10, 50000
	full := mustTable(t, q, classes, n)
	full.MaxLogEps(n)
	lazy := mustTable(t, q, classes, n)
	if got := lazy.Radius(-30); got != full.Radius(-30) {
		t.Fatalf("Radius(-30) = %d, full table %d", got, full.Radius(-30))
	}
	if built := len(*lazy.thresholds.Load()); built > 200 {
		t.Errorf("Radius(-30) = %d built %d thresholds", lazy.Radius(-30), built)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				logEps := -float64((i*37+g*101)%3000) * 1.7
				if got, want := lazy.Radius(logEps), full.Radius(logEps); got != want {
					t.Errorf("goroutine %d: Radius(%v) = %d, full table %d", g, logEps, got, want)
				}
				r := (i*7919 + g*104729) % 2000
				if got, want := lazy.MaxLogEps(r), full.MaxLogEps(r); got != want {
					t.Errorf("goroutine %d: MaxLogEps(%d) = %v, full table %v", g, r, got, want)
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkBuild measures building thresholds: the whole binary table for
// MNIST 1/7's 13,007 labels, and a ten-class table for 50,000 labels up to
// the radius a bound needs (log ε = −1,000 or −10,000) and in full.
func BenchmarkBuild(b *testing.B) {
	for _, tc := range []struct {
		q          float64
		classes, n int
		logEps     float64 // build to the radius of this bound; 0: build all
	}{
		{0.01, 2, 13007, 0}, {0.1, 2, 13007, 0}, {0.4, 2, 13007, 0},
		{0.05, 10, 50000, -1000}, {0.05, 10, 50000, -10000}, {0.05, 10, 50000, 0},
	} {
		name := fmt.Sprintf("K=%d/q=%v/n=%d/full", tc.classes, tc.q, tc.n)
		if tc.logEps != 0 {
			name = fmt.Sprintf("K=%d/q=%v/n=%d/logEps=%v", tc.classes, tc.q, tc.n, tc.logEps)
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tab, err := NewTable(tc.q, tc.classes, tc.n)
				if err != nil {
					b.Fatal(err)
				}
				if tc.logEps == 0 {
					tab.MaxLogEps(tc.n)
				} else {
					b.ReportMetric(float64(tab.Radius(tc.logEps)), "radius")
				}
			}
		})
	}
}

func BenchmarkRadius(b *testing.B) {
	tab := mustTable(b, 0.4, 2, 13007)
	tab.MaxLogEps(13007)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		logEps := -0.7
		for pb.Next() {
			logEps -= 0.01
			if logEps < -2000 {
				logEps = -0.7
			}
			tab.Radius(logEps)
		}
	})
}
