package exact_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/exact"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// scores returns the one-hot scores s_c = Σᵢ αᵢ1[yᵢ = c], summed in index
// order.
func scores(alpha []float64, y []int, classes int) []float64 {
	s := make([]float64, classes)
	for i, a := range alpha {
		s[y[i]] += a
	}
	return s
}

// argmax is the class with the largest score, ties to the lowest index.
func argmax(s []float64) int {
	best := 0
	for c, v := range s {
		if v > s[best] {
			best = c
		}
	}
	return best
}

// classify is the classifier of docs/science.md: for two classes, class 1 iff
// s₁ ≥ ½; otherwise the argmax.
func classify(alpha []float64, y []int, classes int) int {
	s := scores(alpha, y, classes)
	if classes == 2 {
		if s[1] >= 0.5 {
			return 1
		}
		return 0
	}
	return argmax(s)
}

// mayChange is the conservative rule: y′ may change the class c of the clean
// labels if a score or margin is on the other side of its threshold or
// within tol of it.
func mayChange(alpha []float64, yp []int, classes, c int, tol float64) bool {
	s := scores(alpha, yp, classes)
	if classes == 2 {
		if c == 1 {
			return s[1] <= 0.5+tol
		}
		return s[1] >= 0.5-tol
	}
	for j := range classes {
		if j != c && s[c]-s[j] <= tol {
			return true
		}
	}
	return false
}

// nearThreshold reports whether the conservative rule with tolerance tol
// could depend on rounding at y′: some score or margin it compares lies at a
// distance in (0, window] from the threshold shifted by tol.
func nearThreshold(alpha []float64, yp []int, classes, c int, tol, window float64) bool {
	s := scores(alpha, yp, classes)
	near := func(v float64) bool { d := math.Abs(v - tol); return d > 0 && d <= window }
	if classes == 2 {
		if c == 1 {
			return near(s[1] - 0.5)
		}
		return near(0.5 - s[1])
	}
	for j := range classes {
		if j != c && near(s[c]-s[j]) {
			return true
		}
	}
	return false
}

// bruteForce enumerates every labelling y′ ∈ {0..K−1}ⁿ and returns one less
// than the fewest changed labels for which overturned(y′) holds, or n if it
// never does.
func bruteForce(y []int, classes int, overturned func(yp []int) bool) int {
	n := len(y)
	fewest := n + 1
	yp := make([]int, n)
	total := 1
	for range n {
		total *= classes
	}
	for code := range total {
		changed := 0
		for i, x := 0, code; i < n; i, x = i+1, x/classes {
			yp[i] = x % classes
			if yp[i] != y[i] {
				changed++
			}
		}
		if changed < fewest && overturned(yp) {
			fewest = changed
		}
	}
	if fewest > n {
		return n
	}
	return fewest - 1
}

// strictRadius is the radius of the classifier itself, ties broken by its
// rule, with every score summed in float64 (exact on dyadic grids).
func strictRadius(alpha []float64, y []int, classes int) (class, radius int) {
	class = classify(alpha, y, classes)
	return class, bruteForce(y, classes, func(yp []int) bool { return classify(alpha, yp, classes) != class })
}

// conservativeRadius is the radius under the conservative rule with
// tolerance tol; ambiguous reports whether some labelling lies within window
// of that tolerance, where rounding inside Certify could decide.
func conservativeRadius(alpha []float64, y []int, classes int, tol, window float64) (class, radius int, ambiguous bool) {
	class = classify(alpha, y, classes)
	radius = bruteForce(y, classes, func(yp []int) bool {
		ambiguous = ambiguous || nearThreshold(alpha, yp, classes, class, tol, window)
		return mayChange(alpha, yp, classes, class, tol)
	})
	return class, radius, ambiguous
}

func TestCertifyBinaryTies(t *testing.T) {
	// Dyadic α, so every sum is exact and a score landing on ½ is an exact
	// tie: within any rounding margin, so it counts as overturning the class
	// either way, and a clean score of exactly ½ is not certified.
	for _, tc := range []struct {
		name          string
		alpha         []float64
		y             []int
		class, radius int
	}{
		{"clean score exactly ½", []float64{0.25, 0.25, 0.5}, []int{1, 1, 0}, 1, -1},
		{"landing on ½ counts against class 1", []float64{0.25, 0.25, 0.25, 0.25}, []int{1, 1, 1, 0}, 1, 0},
		{"landing on ½ turns class 0", []float64{0.25, 0.25, 0.25, 0.25}, []int{0, 0, 0, 1}, 0, 0},
		{"class 0 needs to reach ½", []float64{0.125, 0.125, 0.125, 0.125, 0.5}, []int{0, 0, 0, 0, 0}, 0, 0},
		{"one flip past ½ from below", []float64{0.125, 0.125, 0.125, 0.625}, []int{1, 1, 0, 0}, 0, 0},
		{"class 1 one flip below ½", []float64{0.125, 0.125, 0.125, 0.625}, []int{1, 1, 1, 1}, 1, 0},
		{"from ⅝ one flip lands on ½", []float64{0.125, 0.125, 0.125, 0.125, 0.125, -0.125}, []int{1, 1, 1, 1, 1, 0}, 1, 0},
		{"from 11/16 two flips", []float64{0.125, 0.125, 0.125, 0.125, 0.125, 0.0625}, []int{1, 1, 1, 1, 1, 1}, 1, 1},
		{"zero moves do not help", []float64{0, 0, 0.75, 0}, []int{1, 0, 1, 1}, 1, 0},
		{"cannot cross: radius n", []float64{0.25, 0.125}, []int{0, 0}, 0, 2},
		{"no helpful move: radius n", []float64{0.25, -0.125, -0.5}, []int{1, 0, 0}, 0, 3},
		{"empty training set", nil, nil, 0, 0},
	} {
		bc, br, _ := conservativeRadius(tc.alpha, tc.y, 2, 0, 0)
		if bc != tc.class || br != tc.radius {
			t.Fatalf("%s: table says (%d, %d), brute force (%d, %d)", tc.name, tc.class, tc.radius, bc, br)
		}
		if c, r := exact.Certify(tc.alpha, tc.y, 2, 0); c != tc.class || r != tc.radius {
			t.Errorf("%s: Certify = (%d, %d), want (%d, %d)", tc.name, c, r, tc.class, tc.radius)
		}
	}
}

func TestCertifyBinaryBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	var c exact.Certifier
	ties := 0
	for _, denom := range []float64{4, 8, 64} { // coarse grids make exact ties common
		for trial := range 600 {
			n := 1 + trial%12
			alpha := make([]float64, n)
			y := make([]int, n)
			for i := range n {
				alpha[i] = float64(rng.IntN(int(denom)+1)-int(denom)/3) / denom
				y[i] = rng.IntN(2)
			}
			wc, wr, _ := conservativeRadius(alpha, y, 2, 0, 0)
			gc, gr := c.Certify(alpha, y, 2, 0)
			if gc != wc || gr != wr {
				t.Fatalf("α = %v, y = %v: Certify = (%d, %d), brute force (%d, %d)", alpha, y, gc, gr, wc, wr)
			}
			// Where no labelling lands on ½ the rule is the classifier's own.
			if sc, sr := strictRadius(alpha, y, 2); sc != gc || sr != gr {
				ties++
				if sr < gr {
					t.Fatalf("α = %v, y = %v: radius %d above the classifier's %d", alpha, y, gr, sr)
				}
			}
		}
	}
	t.Logf("%d of 1800 cases had an exact tie and a conservative radius", ties)
}

func TestCertifyBinaryUnchangedOffTies(t *testing.T) {
	// Continuous α: ties have probability zero, so the margins must not change
	// any radius of the binary rule.
	rng := rand.New(rand.NewPCG(5, 5))
	var c exact.Certifier
	for trial := range 2000 {
		n := 1 + trial%12
		alpha := make([]float64, n)
		y := make([]int, n)
		for i := range n {
			alpha[i] = rng.Float64()*0.6 - 0.15
			y[i] = rng.IntN(2)
		}
		if _, _, ambiguous := conservativeRadius(alpha, y, 2, 0, 1e-9); ambiguous {
			continue
		}
		wc, wr := strictRadius(alpha, y, 2)
		if gc, gr := c.Certify(alpha, y, 2, 0); gc != wc || gr != wr {
			t.Fatalf("α = %v, y = %v: Certify = (%d, %d), brute force (%d, %d)", alpha, y, gc, gr, wc, wr)
		}
	}
}

func TestCertifyMulticlassBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	var c exact.Certifier
	for _, tc := range []struct {
		classes, maxN int
		dyadic        bool
		alphaErr      float64
	}{
		{3, 8, true, 0},
		{3, 8, false, 0},
		{3, 8, false, 0.05},
		{3, 7, true, 0.125},
		{4, 6, true, 0},
		{4, 6, false, 0.03},
		{5, 5, false, 0},
	} {
		compared, conservative := 0, 0
		for trial := range 150 {
			n := 1 + trial%tc.maxN
			alpha := make([]float64, n)
			y := make([]int, n)
			for i := range n {
				if tc.dyadic {
					alpha[i] = float64(rng.IntN(9)-2) / 8
				} else {
					alpha[i] = rng.Float64()*0.5 - 0.1
				}
				y[i] = rng.IntN(tc.classes)
			}
			window := 1e-9
			if tc.dyadic {
				window = 0 // every sum is exact
			}
			gc, gr := c.Certify(alpha, y, tc.classes, tc.alphaErr)
			sc, sr := strictRadius(alpha, y, tc.classes)
			if gc != sc || gr > sr {
				t.Fatalf("%+v α = %v, y = %v: Certify = (%d, %d), classifier's class %d radius %d",
					tc, alpha, y, gc, gr, sc, sr)
			}
			if gr < sr {
				conservative++
			}
			wc, wr, ambiguous := conservativeRadius(alpha, y, tc.classes, tc.alphaErr, window)
			if ambiguous {
				continue
			}
			compared++
			if gc != wc || gr != wr {
				t.Fatalf("%+v α = %v, y = %v: Certify = (%d, %d), brute force (%d, %d)", tc, alpha, y, gc, gr, wc, wr)
			}
		}
		if compared < 140 {
			t.Errorf("%+v: only %d of 150 cases compared", tc, compared)
		}
		t.Logf("%+v: %d compared, %d below the classifier's radius", tc, compared, conservative)
	}
}

// sortRadius is the textbook route for two classes: sort every helpful move,
// largest first, and add them one at a time until the class changes. If
// inclusive, a score exactly ½ counts against class 1 too (the conservative
// rule on exact sums, −1 for a clean score of ½); otherwise the classifier's
// own rule, class 1 iff s ≥ ½.
func sortRadius(alpha []float64, y []int, inclusive bool) (class, radius int) {
	var s float64
	for i, a := range alpha {
		s += a * float64(y[i])
	}
	if s >= 0.5 {
		class = 1
	}
	crossed := func(s float64) bool {
		if class == 1 {
			return s < 0.5 || inclusive && s == 0.5
		}
		return s >= 0.5
	}
	if crossed(s) {
		return class, -1
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
		if s += d; crossed(s) {
			return class, m
		}
	}
	return class, len(alpha)
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
			// The margins here are below 1e-10, far inside the 2⁻²⁰ grid:
			// only exact ties fall within them.
			wc, wr := sortRadius(alpha, y, true)
			if gc, gr := c.Certify(alpha, y, 2, 0); gc != wc || gr != wr {
				t.Errorf("%s trial %d: Certify = (%d, %d), sorted scan (%d, %d)", tc.name, trial, gc, gr, wc, wr)
			}
		}
	}
}

func TestCertifyRidgeKernels(t *testing.T) {
	// Real kernels (Σα = 1) are not dyadic and carry their error bound E;
	// the sorted scan of the classifier's own rule must still agree.
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
	errs := make([]float64, m)
	model.Kernel(&alpha, test, errs)
	var c exact.Certifier
	for i := range m {
		row := alpha.RawRowView(i)
		wc, wr := sortRadius(row, y, false)
		if gc, gr := c.Certify(row, y, 2, errs[i]); gc != wc || gr != wr {
			t.Errorf("test point %d (E = %.2g): Certify = (%d, %d), sorted scan (%d, %d)", i, errs[i], gc, gr, wc, wr)
		}
	}
}

// exactSign returns the sign of Σ coefficients·α − offset in exact rational
// arithmetic on the float64 values.
func exactSign(alpha []float64, coef []int, offset float64) int {
	sum := new(big.Rat).SetFloat64(-offset)
	for i, a := range alpha {
		sum.Add(sum, new(big.Rat).Mul(new(big.Rat).SetFloat64(a), big.NewRat(int64(coef[i]), 1)))
	}
	return sum.Sign()
}

func TestCertifyNearTies(t *testing.T) {
	// 0.09 + 0.41 rounds to exactly ½ in float64, but the exact sum of the two
	// doubles is ½ − 2.8e-17: the exact classifier says class 0.
	if exactSign([]float64{0.09, 0.41}, []int{1, 1}, 0.5) >= 0 || 0.09+0.41 != 0.5 {
		t.Fatal("the construction of the first near-tie is wrong")
	}
	// (0.09 + 0.51) + 0.41 − 0.51 also rounds to ½; exactly it is below ½,
	// so one flip overturns class 1, while the float scan needs two.
	if exactSign([]float64{0.09, 0.51, 0.41}, []int{1, 0, 1}, 0.5) >= 0 || (0.09+0.51)+0.41-0.51 != 0.5 {
		t.Fatal("the construction of the second near-tie is wrong")
	}
	// With K = 3 the scores 0.09 + 0.41 and 0.5 tie in float64; exactly, class
	// 1 wins.
	if exactSign([]float64{0.09, 0.41, 0.5}, []int{1, 1, -1}, 0) >= 0 {
		t.Fatal("the construction of the third near-tie is wrong")
	}
	for _, tc := range []struct {
		name          string
		alpha         []float64
		y             []int
		classes       int
		alphaErr      float64
		class, radius int
	}{
		{"clean score rounds to ½", []float64{0.09, 0.41}, []int{1, 1}, 2, 0, 1, -1},
		{"partial sum rounds to ½", []float64{0.09, 0.51, 0.41}, []int{1, 1, 1}, 2, 0, 1, 0},
		{"K = 3: two scores round to a tie", []float64{0.09, 0.41, 0.5}, []int{0, 0, 1}, 3, 0, 0, -1},
		// 7/8 − ¼ = ⅝ after one flip, ⅜ after two.
		{"α error short of the first flip", []float64{0.25, 0.25, 0.25, 0.125}, []int{1, 1, 1, 1}, 2, 0.1, 1, 1},
		{"α error reaching the first flip", []float64{0.25, 0.25, 0.25, 0.125}, []int{1, 1, 1, 1}, 2, 0.125, 1, 0},
		{"α error covering the clean score", []float64{0.25, 0.25, 0.25, 0.125}, []int{1, 1, 1, 1}, 2, 0.375, 1, -1},
		// K = 3, scores (⅞, ⅛, 0): against rival 1, D = ¾ − ½m after m
		// relabellings of a ¼-point; ¼ is not below 0 but is within E = ⅜.
		{"K = 3 without α error", []float64{0.25, 0.25, 0.25, 0.125, 0.125}, []int{0, 0, 0, 0, 1}, 3, 0, 0, 1},
		{"K = 3 with α error", []float64{0.25, 0.25, 0.25, 0.125, 0.125}, []int{0, 0, 0, 0, 1}, 3, 0.375, 0, 0},
	} {
		if c, r := exact.Certify(tc.alpha, tc.y, tc.classes, tc.alphaErr); c != tc.class || r != tc.radius {
			t.Errorf("%s: Certify = (%d, %d), want (%d, %d)", tc.name, c, r, tc.class, tc.radius)
		}
	}
}

func TestCertifyPanics(t *testing.T) {
	for _, tc := range []struct {
		name     string
		alpha    []float64
		y        []int
		classes  int
		alphaErr float64
	}{
		{"length mismatch", []float64{1, 2}, []int{1}, 2, 0},
		{"label 2 of 2", []float64{1, 2}, []int{1, 2}, 2, 0},
		{"label -1", []float64{1, 2}, []int{-1, 0}, 2, 0},
		{"label 3 of 3", []float64{1, 2}, []int{1, 3}, 3, 0},
		{"label -1 of 3", []float64{1, 2}, []int{-1, 0}, 3, 0},
		{"one class", []float64{1, 2}, []int{0, 0}, 1, 0},
		{"NaN kernel", []float64{0.5, math.NaN()}, []int{1, 1}, 2, 0},
		{"NaN kernel on a 0 label", []float64{0.5, math.NaN()}, []int{1, 0}, 2, 0},
		{"infinite kernel, K = 3", []float64{0.5, math.Inf(1)}, []int{1, 2}, 3, 0},
		{"negative α error", []float64{0.5}, []int{1}, 2, -1e-9},
		{"NaN α error", []float64{0.5}, []int{1}, 2, math.NaN()},
		{"infinite α error", []float64{0.5}, []int{1}, 3, math.Inf(1)},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			exact.Certify(tc.alpha, tc.y, tc.classes, tc.alphaErr)
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
			c.Certify(alpha, y, 2, 1e-12)
		}
	})
	b.Run("sort reference", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sortRadius(alpha, y, false)
		}
	})
	for _, k := range []int{3, 10} {
		yk := make([]int, n)
		for i := range yk {
			yk[i] = rng.IntN(k)
		}
		// One class holds the kernel's mass so that rivals need many moves.
		for i := range yk {
			if alpha[i] > 1/float64(n) && rng.IntN(2) == 0 {
				yk[i] = 0
			}
		}
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			var c exact.Certifier
			b.ReportAllocs()
			for b.Loop() {
				c.Certify(alpha, yk, k, 1e-12)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(k-1)), "ns/rival")
		})
	}
}

func ExampleCertify() {
	// Four training points: s = αᵀy = 15/16, class 1. One flip of a 1-label
	// leaves ⅝, a second reaches 5/16 < ½, so the radius is 1.
	alpha := []float64{0.3125, 0.3125, 0.3125, 0.0625}
	y := []int{1, 1, 1, 0}
	class, radius := exact.Certify(alpha, y, 2, 0)
	fmt.Println(class, radius)
	// Output: 1 1
}

func ExampleCertify_threeClasses() {
	// Scores (0.9, 0.05, 0.05): class 0. Relabelling a 0.3-point to a rival
	// lowers that margin by 0.6; two are needed to overturn it.
	alpha := []float64{0.3, 0.3, 0.3, 0.05, 0.05}
	y := []int{0, 0, 0, 1, 2}
	class, radius := exact.Certify(alpha, y, 3, 0)
	fmt.Println(class, radius)
	// Output: 0 1
}
