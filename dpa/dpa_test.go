package dpa_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"flipcert/dpa"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// fnv1a is FNV-1a-64 written out from its definition (offset basis and prime
// from the FNV reference), over the little-endian bytes of each coordinate.
func fnv1a(row []float64) uint64 {
	h := uint64(14695981039346656037)
	for _, x := range row {
		b := math.Float64bits(x)
		if x == 0 {
			b = 0
		}
		for range 8 {
			h ^= b & 0xff
			h *= 1099511628211
			b >>= 8
		}
	}
	return h
}

// randomData draws n points with d−1 Gaussian features and, if intercept, a
// last column of ones; labels follow the first feature with noise.
func randomData(rng *rand.Rand, n, d int, intercept bool) (*mat.Dense, []int) {
	phi := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := range n {
		for j := range d {
			phi.Set(i, j, rng.NormFloat64())
		}
		if intercept {
			phi.Set(i, d-1, 1)
		}
		if phi.At(i, 0)+0.7*rng.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	return phi, y
}

func TestPartitionMatchesFNV1a(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	inputs, _ := randomData(rng, 200, 6, false)
	inputs.Set(3, 2, math.Copysign(0, -1)) // −0 must hash as +0
	for _, k := range []int{1, 2, 7, 100, 1000} {
		parts := dpa.Partition(inputs, k)
		for i, p := range parts {
			if want := int(fnv1a(inputs.RawRowView(i)) % uint64(k)); p != want {
				t.Errorf("k = %d row %d: part %d, want %d", k, i, p, want)
			}
		}
	}
}

func TestPartitionIgnoresOrderAndSigns(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const n, d, k = 5000, 5, 10
	inputs, _ := randomData(rng, n, d, true)
	parts := dpa.Partition(inputs, k)

	// Permuted rows keep their parts.
	perm := rng.Perm(n)
	shuffled := mat.NewDense(n, d, nil)
	for i, p := range perm {
		shuffled.SetRow(i, inputs.RawRowView(p))
	}
	for i, p := range dpa.Partition(shuffled, k) {
		if p != parts[perm[i]] {
			t.Fatalf("row %d moved from part %d to %d when rows were permuted", perm[i], parts[perm[i]], p)
		}
	}

	// Equal rows share a part, including −0 = +0.
	twins := mat.NewDense(2, 3, []float64{1.5, 0, -2, 1.5, math.Copysign(0, -1), -2})
	if p := dpa.Partition(twins, 1000); p[0] != p[1] {
		t.Errorf("rows equal up to the sign of zero got parts %v", p)
	}

	// The hash spreads points evenly: each part holds n/k ± 5σ.
	count := make([]int, k)
	for _, p := range parts {
		count[p]++
	}
	sigma := math.Sqrt(n * (1.0 / k) * (1 - 1.0/k))
	for j, c := range count {
		if math.Abs(float64(c)-n/k) > 5*sigma {
			t.Errorf("part %d holds %d of %d points, want %d ± %.0f", j, c, n, n/k, 5*sigma)
		}
	}
}

// plurality is the class with the most ballots, ties to the smaller index.
func plurality(ballots []int, classes int) int {
	count := make([]int, classes)
	for _, b := range ballots {
		count[b]++
	}
	best := 0
	for c := 1; c < classes; c++ {
		if count[c] > count[best] {
			best = c
		}
	}
	return best
}

// bruteVoteRadius enumerates every ballot vector reachable from the one with
// the given counts and returns one less than the fewest changed ballots that
// change the plurality.
func bruteVoteRadius(votes []int) int {
	var ballots []int
	for c, v := range votes {
		for range v {
			ballots = append(ballots, c)
		}
	}
	classes, voters := len(votes), len(ballots)
	want := plurality(ballots, classes)
	fewest := voters + 1
	alt := make([]int, voters)
	total := int(math.Pow(float64(classes), float64(voters)))
	for code := range total {
		changed := 0
		for i, x := 0, code; i < voters; i, x = i+1, x/classes {
			alt[i] = x % classes
			if alt[i] != ballots[i] {
				changed++
			}
		}
		if changed < fewest && plurality(alt, classes) != want {
			fewest = changed
		}
	}
	return fewest - 1
}

func TestVoteRadiusBruteForce(t *testing.T) {
	for _, tc := range []struct{ classes, maxVoters int }{{2, 14}, {3, 8}, {4, 6}} {
		// Every count vector with 1..maxVoters voters.
		var rec func(prefix []int, left int)
		rec = func(prefix []int, left int) {
			if len(prefix) == tc.classes-1 {
				votes := append(append([]int(nil), prefix...), left)
				var ballots []int
				for c, v := range votes {
					for range v {
						ballots = append(ballots, c)
					}
				}
				class, radius := dpa.VoteRadius(votes)
				if want := plurality(ballots, tc.classes); class != want {
					t.Errorf("votes %v: class %d, want %d", votes, class, want)
				}
				if want := bruteVoteRadius(votes); radius != want {
					t.Errorf("votes %v: radius %d, brute force %d", votes, radius, want)
				}
				return
			}
			for v := 0; v <= left; v++ {
				rec(append(prefix, v), left-v)
			}
		}
		for voters := 1; voters <= tc.maxVoters; voters++ {
			rec(nil, voters)
		}
	}
}

func TestVoteRadiusTies(t *testing.T) {
	for _, tc := range []struct {
		votes         []int
		class, radius int
	}{
		{[]int{3, 3}, 0, 0}, // tie goes to class 0; one flip makes it 2–4
		{[]int{2, 3}, 1, 0}, // one flip makes 3–2 for class 0
		{[]int{3, 2}, 0, 0}, // one flip makes 2–3
		{[]int{2, 4}, 1, 0}, // one flip makes the tie 3–3, won by class 0
		{[]int{4, 2}, 0, 1}, // one flip leaves the tie 3–3 with class 0
		{[]int{5, 0}, 0, 2},
		{[]int{0, 5}, 1, 2},
		{[]int{0, 6}, 1, 2}, // three flips tie 3–3, won by class 0
		{[]int{6, 0}, 0, 3},
		{[]int{0, 0}, 0, 0},
		{[]int{1, 4, 4}, 1, 0},    // 1 beats 2 on the tie; one flip 1→2 swaps them
		{[]int{2, 6, 5, 1}, 1, 0}, // class 2 needs one flip: 5 → 6 against 6 → 5
	} {
		if c, r := dpa.VoteRadius(tc.votes); c != tc.class || r != tc.radius {
			t.Errorf("VoteRadius(%v) = (%d, %d), want (%d, %d)", tc.votes, c, r, tc.class, tc.radius)
		}
	}
}

// directBeta solves (ΦᵀΦ + λD)β = Φᵀy by LU on the normal equations, a
// different route from ridge's Cholesky.
func directBeta(t *testing.T, rows [][]float64, y []float64, lambda float64, intercept bool) *mat.VecDense {
	t.Helper()
	d := len(rows[0])
	var flat []float64
	for _, r := range rows {
		flat = append(flat, r...)
	}
	phi := mat.NewDense(len(rows), d, flat)
	var a mat.Dense
	a.Mul(phi.T(), phi)
	for j := range d {
		if !(intercept && j == d-1) {
			a.Set(j, j, a.At(j, j)+lambda)
		}
	}
	var rhs, beta mat.VecDense
	rhs.MulVec(phi.T(), mat.NewVecDense(len(y), y))
	if err := beta.SolveVec(&a, &rhs); err != nil {
		t.Fatal(err)
	}
	return &beta
}

func TestFitMatchesDirectSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, tc := range []struct {
		n, d, k, m int
		lambda     float64
		intercept  bool
	}{
		{120, 4, 6, 30, 0.7, true},
		{120, 4, 6, 30, 0.7, false},
		{60, 5, 200, 30, 2, true}, // most parts are empty and abstain
		{300, 3, 5, 30, 0, true},  // λ = 0 works when every part has ≥ d points
		{40, 3, 1, 10, 1, true},   // k = 1: one ridge model on everything
	} {
		phi, y := randomData(rng, tc.n, tc.d, tc.intercept)
		test, _ := randomData(rng, tc.m, tc.d, tc.intercept)
		parts := dpa.Partition(phi, tc.k)
		e, err := dpa.Fit(phi, y, parts, tc.k, tc.lambda, tc.intercept)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if e.Parts() != tc.k {
			t.Errorf("%+v: Parts() = %d", tc, e.Parts())
		}
		votes := make([][2]int, tc.m)
		for j := range tc.k {
			var rows [][]float64
			var labels []float64
			for i, p := range parts {
				if p == j {
					rows = append(rows, phi.RawRowView(i))
					labels = append(labels, float64(y[i]))
				}
			}
			got, ok := e.Coefficients(j)
			if len(rows) == 0 {
				if ok {
					t.Errorf("%+v: empty part %d has coefficients", tc, j)
				}
				continue
			}
			if !ok {
				t.Fatalf("%+v: part %d with %d points abstains", tc, j, len(rows))
			}
			want := directBeta(t, rows, labels, tc.lambda, tc.intercept)
			if !mat.EqualApprox(got, want, 1e-8) {
				t.Errorf("%+v part %d: β = %v, want %v", tc, j, mat.Formatted(got.T()), mat.Formatted(want.T()))
			}
			for i := range tc.m {
				if mat.Dot(test.RowView(i), want) >= 0.5 {
					votes[i][1]++
				} else {
					votes[i][0]++
				}
			}
		}
		results, err := dpa.Certify(phi, y, parts, tc.k, tc.lambda, tc.intercept, test)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range results {
			n0, n1 := votes[i][0], votes[i][1]
			want := dpa.Result{Class: 0, Radius: (n0 - n1) / 2}
			if n1 > n0 {
				want = dpa.Result{Class: 1, Radius: (n1 - n0 - 1) / 2}
			}
			if r != want {
				t.Errorf("%+v test point %d with votes %d–%d: %+v, want %+v", tc, i, n0, n1, r, want)
			}
		}
	}
}

// TestFlipsWithinRadiusKeepClass attacks with at most Radius flips, both at
// random and aimed (in each of Radius parts voting for the class, the flip that
// moves that part's score furthest towards ½), retrains, and checks that no
// prediction changes.
func TestFlipsWithinRadiusKeepClass(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const n, d, k, m, lambda = 400, 4, 25, 40, 1.0
	phi, y := randomData(rng, n, d, true)
	test, _ := randomData(rng, m, d, true)
	parts := dpa.Partition(phi, k)
	clean, err := dpa.Certify(phi, y, parts, k, lambda, true, test)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, flipped []int, budget int, point int) {
		t.Helper()
		after, err := dpa.Certify(phi, flipped, parts, k, lambda, true, test)
		if err != nil {
			t.Fatal(err)
		}
		for i := range m {
			if (point < 0 || i == point) && clean[i].Radius >= budget && after[i].Class != clean[i].Class {
				t.Errorf("%s: %d flips changed test point %d (radius %d)", name, budget, i, clean[i].Radius)
			}
		}
	}

	for _, budget := range []int{1, 2, 4} {
		for trial := range 10 {
			flipped := append([]int(nil), y...)
			for _, i := range rng.Perm(n)[:budget] {
				flipped[i] = 1 - flipped[i]
			}
			check(fmt.Sprintf("random trial %d", trial), flipped, budget, -1)
		}
	}

	// Aimed attack, one test point at a time, through each part's kernel.
	kernels := make([]*mat.Dense, k) // kernels[j] row x: α of part j at test point x
	members := make([][]int, k)
	for i, p := range parts {
		members[p] = append(members[p], i)
	}
	for j, rows := range members {
		sub := mat.NewDense(len(rows), d, nil)
		for r, i := range rows {
			sub.SetRow(r, phi.RawRowView(i))
		}
		model, err := ridge.NewDesign(sub, true).Fit(lambda)
		if err != nil {
			t.Fatal(err)
		}
		kernels[j] = new(mat.Dense)
		if err := model.Kernel(kernels[j], test); err != nil {
			t.Fatal(err)
		}
	}
	changedVotes := 0
	for x := range m {
		c, budget := clean[x].Class, clean[x].Radius
		flipped := append([]int(nil), y...)
		for j := 0; j < k && budget > 0; j++ {
			alpha := kernels[j].RawRowView(x)
			var s float64
			for r, i := range members[j] {
				s += alpha[r] * float64(y[i])
			}
			if (s >= 0.5) != (c == 1) {
				continue // part j does not vote for the class
			}
			best, bestMove := -1, 0.0
			for r, i := range members[j] {
				move := alpha[r] * float64(1-2*y[i]) // towards class 1 if positive
				if c == 1 {
					move = -move
				}
				if move > bestMove {
					best, bestMove = i, move
				}
			}
			if best < 0 {
				continue
			}
			flipped[best] = 1 - flipped[best]
			budget--
			if c == 1 && s-bestMove < 0.5 || c == 0 && s+bestMove >= 0.5 {
				changedVotes++
			}
		}
		check(fmt.Sprintf("aimed at point %d", x), flipped, clean[x].Radius-budget, x)
	}
	t.Logf("the aimed attack changed %d votes", changedVotes)
	if changedVotes == 0 {
		t.Error("the aimed attack never changed a vote: the test does not bite")
	}
}

func TestFitErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	phi, y := randomData(rng, 20, 6, true)
	test, _ := randomData(rng, 3, 6, true)
	parts := dpa.Partition(phi, 4)
	bad := func(f func([]int)) []int {
		c := append([]int(nil), y...)
		f(c)
		return c
	}
	for _, tc := range []struct {
		name   string
		y      []int
		parts  []int
		k      int
		lambda float64
		test   *mat.Dense
		want   string
	}{
		{"k = 0", y, parts, 0, 1, test, "k = 0"},
		{"λ < 0", y, parts, 4, -1, test, "λ = -1"},
		{"λ NaN", y, parts, 4, math.NaN(), test, "λ = NaN"},
		{"λ = +Inf", y, parts, 4, math.Inf(1), test, "λ = +Inf"},
		{"short labels", y[:19], parts, 4, 1, test, "19 labels"},
		{"short parts", y, parts[:5], 4, 1, test, "5 part indices"},
		{"part out of range", y, dpa.Partition(phi, 5), 4, 1, test, "outside 0..3"},
		{"label 2", bad(func(c []int) { c[7] = 2 }), parts, 4, 1, test, "label 2 of training point 7"},
		{"test width", y, parts, 4, 1, mat.NewDense(3, 5, nil), "5 features"},
		{"λ = 0, tiny parts", y, dpa.Partition(phi, 10), 10, 0, test, "k = 10"},
	} {
		_, err := dpa.Certify(phi, tc.y, tc.parts, tc.k, tc.lambda, true, tc.test)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	_, err := dpa.Certify(phi, y, dpa.Partition(phi, 10), 10, 0, true, test)
	if !errors.Is(err, ridge.ErrSingular) || !strings.Contains(err.Error(), "λ = 0") {
		t.Errorf("λ = 0 with parts smaller than d: err = %v, want ridge.ErrSingular naming λ = 0", err)
	}
}

func BenchmarkMNISTSized(b *testing.B) {
	rng := rand.New(rand.NewPCG(6, 6))
	phi, y := randomData(rng, 13007, 51, true)
	test, _ := randomData(rng, 2163, 51, true)
	b.Run("Partition", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dpa.Partition(phi, 1000)
		}
	})
	for _, k := range []int{100, 1000} {
		parts := dpa.Partition(phi, k)
		b.Run(fmt.Sprintf("Certify k=%d", k), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := dpa.Certify(phi, y, parts, k, 3e4, true, test); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExampleVoteRadius() {
	// 63 parts vote for class 1 and 37 for class 0. Twelve flips can move at
	// most twelve votes (51–49 for class 1); thirteen reach a 50–50 tie, which
	// class 0 wins.
	class, radius := dpa.VoteRadius([]int{37, 63})
	fmt.Println(class, radius)
	// Output: 1 12
}

func ExampleCertify() {
	// One feature plus an intercept; the label is 1 for x ≥ 10.
	const n = 40
	phi := mat.NewDense(n, 2, nil)
	y := make([]int, n)
	for i := range n {
		x := float64(i) / 2
		phi.SetRow(i, []float64{x, 1})
		if x >= 10 {
			y[i] = 1
		}
	}
	const k = 8
	parts := dpa.Partition(phi, k) // hash of the features, never of the labels
	test := mat.NewDense(3, 2, []float64{2, 1, 9.5, 1, 18, 1})
	results, err := dpa.Certify(phi, y, parts, k, 0.1, true, test)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, r := range results {
		fmt.Printf("x = %4.1f: class %d, certified against %d flips\n", test.At(i, 0), r.Class, r.Radius)
	}
	// Output:
	// x =  2.0: class 0, certified against 3 flips
	// x =  9.5: class 0, certified against 1 flips
	// x = 18.0: class 1, certified against 3 flips
}
