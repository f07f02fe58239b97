package radius

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/gonum/floats"
)

// binomPMF returns C(r,k) pᵏ(1−p)^{r−k} with plain float64 arithmetic (fine
// for the small r used here).
func binomPMF(r, k int, p float64) float64 {
	c := 1.0
	for j := 1; j <= k; j++ {
		c *= float64(r-k+j) / float64(j)
	}
	return c * math.Pow(p, float64(k)) * math.Pow(1-p, float64(r-k))
}

// bruteWorstMass is the Neyman-Pearson worst case written out plainly: fill
// the levels K = 0, 1, … (clean K ~ Bin(r, 1−q), attacked K ~ Bin(r, q)) with
// clean mass eps, the last level fractionally, and return the attacked mass.
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

func mustTable(t testing.TB, q float64, maxFlips int) *Table {
	t.Helper()
	tab, err := NewTable(q, maxFlips)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// TestScienceExamples checks the worked examples of docs/science.md §5.
func TestScienceExamples(t *testing.T) {
	const n = 13007
	for _, tc := range []struct {
		q          float64
		eps        float64
		tight, div int
	}{
		{0.4, 1e-3, 58, 34},
		{0.4, 1e-6, 139, 76},
		{0.4, 1e-12, 305, 161},
		{0.4, 1e-20, 528, 275},
		{0.1, 1e-3, 2, 1},
		{0.1, 1e-6, 5, 3},
		{0.1, 1e-12, 13, 7},
		{0.1, 1e-20, 24, 12},
	} {
		tab := mustTable(t, tc.q, n)
		logEps := math.Log(tc.eps)
		if got := tab.Radius(logEps); got != tc.tight {
			t.Errorf("q=%v ε=%v: Radius = %d, want %d", tc.q, tc.eps, got, tc.tight)
		}
		if got := KL(logEps, tc.q, n); got != tc.div {
			t.Errorf("q=%v ε=%v: KL = %d, want %d", tc.q, tc.eps, got, tc.div)
		}
	}
}

// TestRadiusMatchesBruteForce compares the table with direct enumeration
// over a grid of (q, ε); radii up to maxFlips = 40 exercise the cap too.
func TestRadiusMatchesBruteForce(t *testing.T) {
	const maxFlips = 40
	eps := floats.LogSpan(make([]float64, 97), 3.7e-41, 0.71)
	for _, q := range []float64{1e-3, 0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.49} {
		tab := mustTable(t, q, maxFlips)
		for _, e := range eps {
			want := bruteRadius(q, e, maxFlips)
			if got := tab.Radius(math.Log(e)); got != want {
				t.Errorf("q=%v ε=%v: Radius = %d, brute force %d", q, e, got, want)
			}
		}
	}
}

// TestThresholdsMatchBruteForce checks each stored threshold from both sides:
// just below it the brute force certifies r, just above it does not.
func TestThresholdsMatchBruteForce(t *testing.T) {
	const maxFlips = 30
	for _, q := range []float64{0.01, 0.1, 0.25, 0.4, 0.48} {
		tab := mustTable(t, q, maxFlips)
		for r := range maxFlips + 1 {
			e := math.Exp(tab.MaxLogEps(r))
			if got := bruteRadius(q, e*(1-1e-6), r); got != r {
				t.Errorf("q=%v r=%d: just below threshold brute force certifies %d", q, r, got)
			}
			if got := bruteRadius(q, e*(1+1e-6), r); got >= r {
				t.Errorf("q=%v r=%d: just above threshold brute force certifies %d", q, r, got)
			}
		}
	}
}

func TestMonotone(t *testing.T) {
	const n = 13007
	for _, q := range []float64{1e-4, 0.05, 0.4, 0.4999} {
		tab := mustTable(t, q, n)
		for r := 1; r <= n; r++ {
			if tab.MaxLogEps(r) > tab.MaxLogEps(r-1) {
				t.Fatalf("q=%v: MaxLogEps(%d) = %v > MaxLogEps(%d) = %v", q, r, tab.MaxLogEps(r), r-1, tab.MaxLogEps(r-1))
			}
		}
		prevTight, prevKL := -1, -1
		for logEps := 0.0; logEps > -6000; logEps -= 0.37 {
			tight, div := tab.Radius(logEps), KL(logEps, q, n)
			if tight < prevTight || div < prevKL {
				t.Fatalf("q=%v log ε=%v: radii %d, %d decreased from %d, %d", q, logEps, tight, div, prevTight, prevKL)
			}
			if div > tight {
				t.Errorf("q=%v log ε=%v: KL radius %d exceeds tight radius %d", q, logEps, div, tight)
			}
			prevTight, prevKL = tight, div
		}
	}
}

// TestKLMatchesDefinition scans r directly against the inequality, with ε in
// ordinary floating point.
func TestKLMatchesDefinition(t *testing.T) {
	const maxFlips = 5000
	for _, q := range []float64{1e-3, 0.1, 0.3, 0.45} {
		perFlip := (1 - 2*q) * math.Log((1-q)/q)
		for _, e := range floats.LogSpan(make([]float64, 50), 1.3e-250, 0.49) {
			budget := -0.5 * math.Log(4*e*(1-e))
			want := -1
			for r := 0; r <= maxFlips && float64(r)*perFlip < budget; r++ {
				want = r
			}
			if got := KL(math.Log(e), q, maxFlips); got != want {
				t.Errorf("q=%v ε=%v: KL = %d, want %d", q, e, got, want)
			}
		}
	}
}

func TestEdges(t *testing.T) {
	const n = 13007
	tab := mustTable(t, 0.4, n)
	justBelowHalf := math.Nextafter(-math.Ln2, math.Inf(-1))
	for _, tc := range []struct {
		name       string
		logEps     float64
		tight, div int
	}{
		{"ε = 1/2", -math.Ln2, -1, -1},
		{"ε just below 1/2", justBelowHalf, 0, 0},
		{"ε = 1", 0, -1, -1},
		{"ε > 1", 1, -1, -1},
		{"log ε = -5000", -5000, n, n},
		{"log ε = -1e300", -1e300, n, n},
		{"ε = 0", math.Inf(-1), n, n},
	} {
		if got := tab.Radius(tc.logEps); got != tc.tight {
			t.Errorf("%s: Radius = %d, want %d", tc.name, got, tc.tight)
		}
		if got := KL(tc.logEps, 0.4, n); got != tc.div {
			t.Errorf("%s: KL = %d, want %d", tc.name, got, tc.div)
		}
	}
	// maxFlips = 0: only "certified at 0" or not.
	zero := mustTable(t, 0.2, 0)
	if got := zero.Radius(-100); got != 0 {
		t.Errorf("maxFlips 0: Radius(-100) = %d, want 0", got)
	}
	if got := zero.Radius(0); got != -1 {
		t.Errorf("maxFlips 0: Radius(0) = %d, want -1", got)
	}
}

func TestBadArguments(t *testing.T) {
	for _, q := range []float64{0, 0.5, -0.1, 0.7, 1, math.NaN(), math.Inf(1)} {
		if _, err := NewTable(q, 10); !errors.Is(err, ErrNoise) {
			t.Errorf("NewTable(%v): err = %v, want ErrNoise", q, err)
		}
	}
	if _, err := NewTable(0.1, -1); err == nil {
		t.Error("NewTable(0.1, -1): no error")
	}
	for name, f := range map[string]func(){
		"KL bad q":        func() { KL(-10, 0.5, 10) },
		"KL NaN":          func() { KL(math.NaN(), 0.1, 10) },
		"KL maxFlips < 0": func() { KL(-10, 0.1, -1) },
		"Radius NaN":      func() { mustTable(t, 0.1, 10).Radius(math.NaN()) },
		"MaxLogEps(-1)":   func() { mustTable(t, 0.1, 10).MaxLogEps(-1) },
		"MaxLogEps(11)":   func() { mustTable(t, 0.1, 10).MaxLogEps(11) },
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

func BenchmarkNewTable(b *testing.B) {
	for _, q := range []float64{0.05, 0.4, 0.4999} {
		b.Run(fmt.Sprintf("q=%v", q), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := NewTable(q, 13007); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRadius(b *testing.B) {
	tab := mustTable(b, 0.4, 13007)
	b.ReportAllocs()
	logEps := -0.7
	for b.Loop() {
		logEps -= 0.01
		if logEps < -2000 {
			logEps = -0.7
		}
		tab.Radius(logEps)
	}
}
