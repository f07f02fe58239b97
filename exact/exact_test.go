package exact_test

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/exact"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// bruteRadius enumerates every subset of flips and returns the class and the
// radius: one less than the smallest subset that changes the class, or n if
// none does. Each flipped score is summed from scratch as Σ αᵢy′ᵢ.
func bruteRadius(alpha []float64, y []int) (class, radius int) {
	n := len(alpha)
	classOf := func(mask uint) int {
		var s float64
		for i, a := range alpha {
			yi := y[i]
			if mask>>i&1 == 1 {
				yi = 1 - yi
			}
			s += a * float64(yi)
		}
		if s >= 0.5 {
			return 1
		}
		return 0
	}
	class = classOf(0)
	best := n + 1
	for mask := uint(1); mask < 1<<n; mask++ {
		if k := bits.OnesCount(mask); k < best && classOf(mask) != class {
			best = k
		}
	}
	if best > n {
		return class, n
	}
	return class, best - 1
}

// sortRadius is the textbook route: sort every helpful move, largest first,
// and add them one at a time until the score crosses ½.
func sortRadius(alpha []float64, y []int) (class, radius int) {
	var s float64
	for i, a := range alpha {
		s += a * float64(y[i])
	}
	if s >= 0.5 {
		class = 1
	}
	var moves []float64 // signed moves δᵢ = αᵢ(1−2yᵢ) towards the other class
	for i, a := range alpha {
		d := a * float64(1-2*y[i])
		if (class == 0 && d > 0) || (class == 1 && d < 0) {
			moves = append(moves, d)
		}
	}
	slices.SortFunc(moves, func(a, b float64) int { // largest |δ| first
		switch {
		case a*a > b*b:
			return -1
		case a*a < b*b:
			return 1
		}
		return 0
	})
	for m, d := range moves {
		s += d
		if (class == 0 && s >= 0.5) || (class == 1 && s < 0.5) {
			return class, m
		}
	}
	return class, len(alpha)
}

func TestCertifyTies(t *testing.T) {
	// Dyadic α, so every sum is exact and the scores land on ½ exactly.
	for _, tc := range []struct {
		name          string
		alpha         []float64
		y             []int
		class, radius int
	}{
		{"class 1 at exactly ½ falls with one flip", []float64{0.25, 0.25, 0.5}, []int{1, 1, 0}, 1, 0},
		{"landing on ½ keeps class 1", []float64{0.25, 0.25, 0.25, 0.25}, []int{1, 1, 1, 0}, 1, 1},
		{"landing on ½ turns class 0", []float64{0.25, 0.25, 0.25, 0.25}, []int{0, 0, 0, 1}, 0, 0},
		{"class 0 needs to reach ½, not pass it", []float64{0.125, 0.125, 0.125, 0.125, 0.5}, []int{0, 0, 0, 0, 0}, 0, 0},
		{"two eighths below ½ need two flips", []float64{0.125, 0.125, 0.125, 0.625}, []int{1, 1, 0, 0}, 0, 0},
		{"class 1 needs strictly below ½", []float64{0.125, 0.125, 0.125, 0.625}, []int{1, 1, 1, 1}, 1, 0},
		{"from ⅝, ½ is not enough: two flips", []float64{0.125, 0.125, 0.125, 0.125, 0.125, -0.125}, []int{1, 1, 1, 1, 1, 0}, 1, 1},
		{"zero moves do not help", []float64{0, 0, 0.5, 0}, []int{1, 0, 1, 1}, 1, 0},
		{"cannot cross: radius n", []float64{0.25, 0.125}, []int{0, 0}, 0, 2},
		{"no helpful move: radius n", []float64{0.25, -0.125, -0.5}, []int{1, 0, 0}, 0, 3},
		{"empty training set", nil, nil, 0, 0},
	} {
		bc, br := bruteRadius(tc.alpha, tc.y)
		if bc != tc.class || br != tc.radius {
			t.Fatalf("%s: table says (%d, %d), brute force (%d, %d)", tc.name, tc.class, tc.radius, bc, br)
		}
		if c, r := exact.Certify(tc.alpha, tc.y); c != tc.class || r != tc.radius {
			t.Errorf("%s: Certify = (%d, %d), want (%d, %d)", tc.name, c, r, tc.class, tc.radius)
		}
	}
}

func TestCertifyBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var c exact.Certifier
	for _, denom := range []float64{4, 8, 64} { // coarse grids make exact ties common
		for trial := range 600 {
			n := 1 + trial%12
			alpha := make([]float64, n)
			y := make([]int, n)
			for i := range n {
				alpha[i] = float64(rng.IntN(int(denom)+1)-int(denom)/3) / denom
				y[i] = rng.IntN(2)
			}
			wc, wr := bruteRadius(alpha, y)
			if gc, gr := c.Certify(alpha, y); gc != wc || gr != wr {
				t.Fatalf("α = %v, y = %v: Certify = (%d, %d), brute force (%d, %d)", alpha, y, gc, gr, wc, wr)
			}
		}
	}
}

func TestCertifyLargeAgainstSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const scale = 1 << 20 // dyadic: every partial sum below is exact
	kernel := func(n int, spread float64) []float64 {
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(int((1/float64(n)+spread*rng.NormFloat64())*scale)) / scale
		}
		return a
	}
	few := func(n int, _ float64) []float64 { // heavy duplicates stress the = p block
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(rng.IntN(7)-3) / 1024
		}
		return a
	}
	var c exact.Certifier
	for _, tc := range []struct {
		name   string
		n      int
		spread float64
		gen    func(int, float64) []float64
		ones   float64 // share of labels equal to 1; far from ½ gives radii in the thousands
	}{
		{"narrow kernel", 1000, 1e-4, kernel, 0.5},
		{"wide kernel", 1000, 1e-2, kernel, 0.5},
		{"MNIST-sized", 13007, 2e-5, kernel, 0.5},
		{"MNIST-sized wide", 13007, 1e-3, kernel, 0.5},
		{"MNIST-sized, mostly ones", 13007, 2e-5, kernel, 0.8},
		{"MNIST-sized, mostly zeros", 13007, 2e-5, kernel, 0.1},
		{"duplicates", 5000, 0, few, 0.5},
		{"tiny", 40, 0.05, kernel, 0.5},
	} {
		for trial := range 40 {
			alpha := tc.gen(tc.n, tc.spread)
			y := make([]int, tc.n)
			for i := range y {
				if rng.Float64() < tc.ones {
					y[i] = 1
				}
			}
			wc, wr := sortRadius(alpha, y)
			if gc, gr := c.Certify(alpha, y); gc != wc || gr != wr {
				t.Errorf("%s trial %d: Certify = (%d, %d), sorted scan (%d, %d)", tc.name, trial, gc, gr, wc, wr)
			}
		}
	}
}

func TestCertifyRidgeKernels(t *testing.T) {
	// Real kernels (Σα = 1) are not dyadic; the sorted scan must still agree.
	rng := rand.New(rand.NewPCG(3, 3))
	const n, d, m = 3000, 11, 60
	phi := mat.NewDense(n, d, nil)
	test := mat.NewDense(m, d, nil)
	y := make([]int, n)
	for i := range n {
		for j := range d - 1 {
			phi.Set(i, j, rng.NormFloat64())
		}
		phi.Set(i, d-1, 1)
		if phi.At(i, 0)+0.5*rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	for i := range m {
		for j := range d - 1 {
			test.Set(i, j, rng.NormFloat64())
		}
		test.Set(i, d-1, 1)
	}
	model, err := ridge.NewDesign(phi, true).Fit(100)
	if err != nil {
		t.Fatal(err)
	}
	var alpha mat.Dense
	if err := model.Kernel(&alpha, test); err != nil {
		t.Fatal(err)
	}
	var c exact.Certifier
	for i := range m {
		row := alpha.RawRowView(i)
		wc, wr := sortRadius(row, y)
		if gc, gr := c.Certify(row, y); gc != wc || gr != wr {
			t.Errorf("test point %d: Certify = (%d, %d), sorted scan (%d, %d)", i, gc, gr, wc, wr)
		}
	}
}

func TestCertifyPanics(t *testing.T) {
	for _, tc := range []struct {
		name  string
		alpha []float64
		y     []int
	}{
		{"length mismatch", []float64{1, 2}, []int{1}},
		{"label 2", []float64{1, 2}, []int{1, 2}},
		{"label -1", []float64{1, 2}, []int{-1, 0}},
		{"NaN kernel", []float64{0.5, math.NaN()}, []int{1, 1}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			exact.Certify(tc.alpha, tc.y)
		}()
	}
}

func BenchmarkCertifyMNISTSized(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n = 13007
	alpha := make([]float64, n)
	y := make([]int, n)
	for i := range n {
		alpha[i] = 1/float64(n) + 2e-4*rng.NormFloat64()
		y[i] = rng.IntN(2)
	}
	b.Run("quickselect", func(b *testing.B) {
		var c exact.Certifier
		b.ReportAllocs()
		for b.Loop() {
			c.Certify(alpha, y)
		}
	})
	b.Run("sort reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sortRadius(alpha, y)
		}
	})
}

func ExampleCertify() {
	// Four training points with kernel weights ¼ each: s = αᵀy = ¾, class 1.
	// One flip of a 1-label lands on s = ½, still class 1 (the rule is s ≥ ½);
	// a second reaches ¼, so the radius is 1.
	alpha := []float64{0.25, 0.25, 0.25, 0.25}
	y := []int{1, 1, 1, 0}
	class, radius := exact.Certify(alpha, y)
	fmt.Println(class, radius)
	// Output: 1 1
}
