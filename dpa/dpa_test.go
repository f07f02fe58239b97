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

// bruteFreeVoteRadius enumerates every value of the free ballots and every
// change of the ballots, and returns one less than the fewest changes that
// leave class without the plurality under some value of the free ballots, or
// −1 if some value already does.
func bruteFreeVoteRadius(certain []int, free, class int) int {
	classes := len(certain)
	var fixed []int
	for c, v := range certain {
		for range v {
			fixed = append(fixed, c)
		}
	}
	fewest := math.MaxInt
	freeBallots := make([]int, free)
	total := int(math.Pow(float64(classes), float64(free)))
	for code := range total {
		for i, x := 0, code; i < free; i, x = i+1, x/classes {
			freeBallots[i] = x % classes
		}
		ballots := append(append([]int(nil), fixed...), freeBallots...)
		if plurality(ballots, classes) != class {
			return -1
		}
		counts := make([]int, classes)
		for _, b := range ballots {
			counts[b]++
		}
		fewest = min(fewest, bruteVoteRadius(counts)+1)
	}
	return fewest - 1
}

func TestFreeVoteRadiusBruteForce(t *testing.T) {
	for _, tc := range []struct{ classes, maxVoters, maxFree int }{{2, 9, 3}, {3, 6, 2}, {4, 4, 2}} {
		var rec func(prefix []int, left int)
		rec = func(prefix []int, left int) {
			if len(prefix) == tc.classes-1 {
				certain := append(append([]int(nil), prefix...), left)
				for free := 0; free <= tc.maxFree; free++ {
					for class := range tc.classes {
						want := bruteFreeVoteRadius(certain, free, class)
						if got := dpa.FreeVoteRadius(certain, free, class); got != want {
							t.Errorf("certain %v, %d free, class %d: radius %d, brute force %d", certain, free, class, got, want)
						}
					}
				}
				return
			}
			for v := 0; v <= left; v++ {
				rec(append(prefix, v), left-v)
			}
		}
		for voters := 0; voters <= tc.maxVoters; voters++ {
			rec(nil, voters)
		}
	}
}

func TestFreeVoteRadiusPanics(t *testing.T) {
	for _, tc := range []struct {
		name        string
		certain     []int
		free, class int
	}{
		{"one class", []int{3}, 0, 0},
		{"class out of range", []int{3, 1}, 0, 2},
		{"negative class", []int{3, 1}, 0, -1},
		{"negative count", []int{3, -1, 5}, 0, 0},
		{"negative free", []int{3, 1}, -1, 0},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			dpa.FreeVoteRadius(tc.certain, tc.free, tc.class)
		}()
	}
}

func TestUncertainVotesAreFree(t *testing.T) {
	// Intercept-only parts: a part's score for a class is the share of its
	// labels in that class, exact in float64 for parts of one and four
	// points. Parts 0 and 1 hold one point each; part 2 holds two 0-labels and
	// two 1-labels, so its score is exactly ½: within rounding of the binary
	// threshold (and for K = 3 of a tie between classes 0 and 1), its vote is
	// free.
	phi := mat.NewDense(6, 1, []float64{1, 1, 1, 1, 1, 1})
	parts := []int{0, 1, 2, 2, 2, 2}
	test := mat.NewDense(1, 1, []float64{1})
	for _, tc := range []struct {
		name    string
		y       []int
		classes int
		want    dpa.Result
	}{
		// Votes 0–3; certain 0–2 with one free: 2 − 0 − 1 − 1[0 < 1] = 0,
		// radius 0, where VoteRadius([0 3]) would say 1.
		{"two classes", []int{1, 1, 0, 0, 1, 1}, 2, dpa.Result{Class: 1, Radius: 0, Rival: 0}},
		// Part 2 votes 0 on the tie (lowest index): votes (1, 2, 0), certain
		// (0, 2, 0) with one free: against class 0 the gap is 0, radius 0;
		// class 0 is the runner-up.
		{"three classes", []int{1, 1, 0, 0, 1, 1}, 3, dpa.Result{Class: 1, Radius: 0, Rival: 0}},
		// Votes (0, 2, 1): class 2 is the runner-up.
		{"three classes, rival 2", []int{1, 1, 2, 2, 2, 1}, 3, dpa.Result{Class: 1, Radius: 0, Rival: 2}},
		// Votes 1–2 for class 1, but certain 1–1: the free vote alone could
		// make it 2–1 for class 0. Not certified (the exact votes 1–2 would
		// give radius 0).
		{"free vote overturns", []int{0, 1, 0, 0, 1, 1}, 2, dpa.Result{Class: 1, Radius: -1}},
	} {
		results, err := dpa.Certify(phi, tc.y, tc.classes, parts, 3, 1, true, test)
		if err != nil {
			t.Fatal(err)
		}
		if results[0] != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, results[0], tc.want)
		}
	}
}

// TestKernelReproducesScores checks that a part's kernel vector, applied to
// its labels, gives the scores it voted with, within the two error bounds.
func TestKernelReproducesScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	const n, d, k, m, classes = 300, 4, 7, 20, 3
	phi, y := randomData(rng, n, d, true)
	relabel(rng, phi, y, classes)
	test, _ := randomData(rng, m, d, true)
	e, err := dpa.Fit(phi, y, classes, dpa.Partition(phi, k), k, 0.5, true)
	if err != nil {
		t.Fatal(err)
	}
	for j := range k {
		members := e.Members(j)
		var alpha mat.Dense
		errs := make([]float64, m)
		if !e.Kernel(j, &alpha, test, errs) {
			t.Fatalf("part %d is empty", j)
		}
		if _, cols := alpha.Dims(); cols != len(members) {
			t.Fatalf("part %d: kernel has %d entries for %d members", j, cols, len(members))
		}
		beta, _ := e.Coefficients(j)
		var scores mat.Dense
		scores.Mul(test, beta)
		for i := range m {
			for c := range classes {
				var s float64
				for r, idx := range members {
					if y[idx] == c {
						s += alpha.At(i, r)
					}
				}
				if diff := math.Abs(s - scores.At(i, c)); diff > errs[i]+1e-12 {
					t.Errorf("part %d point %d class %d: kernel score %v, β score %v", j, i, c, s, scores.At(i, c))
				}
			}
		}
	}
}

// TestMulticlassTinyAgainstBruteForce fits K = 3 ensembles on seven points
// and relabels them in every one of the 3⁷ ways: no relabelling of at most
// Radius points may change a certified prediction.
func TestMulticlassTinyAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	const n, k, classes = 7, 3, 3
	phi := mat.NewDense(n, 2, nil)
	for i := range n {
		phi.SetRow(i, []float64{float64(i) - 3, 1})
	}
	parts := []int{0, 1, 2, 0, 1, 2, 0} // any label-independent assignment
	test := mat.NewDense(5, 2, []float64{-3, 1, -1, 1, 0, 1, 1.5, 1, 3, 1})
	tight, certified := 0, 0
	for trial := range 6 {
		y := make([]int, n)
		for i := range y {
			y[i] = rng.IntN(classes)
		}
		lambda := []float64{0.01, 1}[trial%2]
		clean, err := dpa.Certify(phi, y, classes, parts, k, lambda, true, test)
		if err != nil {
			t.Fatal(err)
		}
		fewest := make([]int, len(clean))
		for i := range fewest {
			fewest[i] = n + 1
		}
		yp := make([]int, n)
		for code := range 2187 {
			changed := 0
			for i, x := 0, code; i < n; i, x = i+1, x/classes {
				yp[i] = x % classes
				if yp[i] != y[i] {
					changed++
				}
			}
			after, err := dpa.Certify(phi, yp, classes, parts, k, lambda, true, test)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range after {
				if r.Class != clean[i].Class {
					fewest[i] = min(fewest[i], changed)
				}
			}
		}
		for i, r := range clean {
			if r.Radius >= fewest[i] {
				t.Errorf("trial %d point %d: radius %d, but %d relabellings change the class", trial, i, r.Radius, fewest[i])
			}
			if r.Radius >= 0 {
				certified++
			}
			if r.Radius == fewest[i]-1 {
				tight++
			}
		}
	}
	t.Logf("%d of 30 certified, %d with the radius the brute force finds", certified, tight)
	if tight == 0 {
		t.Error("no radius is tight: the brute force does not test the bound")
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

// relabel makes labels 0..classes−1 from the first feature: equal-width bins
// of x₀ plus noise, so that every class has points for classes ≤ 4.
func relabel(rng *rand.Rand, phi *mat.Dense, y []int, classes int) {
	if classes == 2 {
		return
	}
	for i := range y {
		v := phi.At(i, 0) + 0.5*rng.NormFloat64()
		y[i] = min(classes-1, max(0, int(math.Floor(v+float64(classes)/2))))
	}
}

func TestFitMatchesDirectSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, tc := range []struct {
		n, d, k, m int
		lambda     float64
		intercept  bool
		classes    int
	}{
		{120, 4, 6, 30, 0.7, true, 2},
		{120, 4, 6, 30, 0.7, false, 2},
		{60, 5, 200, 30, 2, true, 2}, // most parts are empty and abstain
		{300, 3, 5, 30, 0, true, 2},  // λ = 0 works when every part has ≥ d points
		{40, 3, 1, 10, 1, true, 2},   // k = 1: one ridge model on everything
		{200, 4, 9, 30, 0.7, true, 3},
		{300, 3, 7, 30, 0, true, 4},
		{60, 5, 200, 30, 2, true, 3},
	} {
		phi, y := randomData(rng, tc.n, tc.d, tc.intercept)
		relabel(rng, phi, y, tc.classes)
		test, _ := randomData(rng, tc.m, tc.d, tc.intercept)
		parts := dpa.Partition(phi, tc.k)
		e, err := dpa.Fit(phi, y, tc.classes, parts, tc.k, tc.lambda, tc.intercept)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if e.Parts() != tc.k || e.Classes() != tc.classes {
			t.Errorf("%+v: Parts() = %d, Classes() = %d", tc, e.Parts(), e.Classes())
		}
		votes := make([][]int, tc.m)
		for i := range votes {
			votes[i] = make([]int, tc.classes)
		}
		for j := range tc.k {
			var rows [][]float64
			var labels []int
			for i, p := range parts {
				if p == j {
					rows = append(rows, phi.RawRowView(i))
					labels = append(labels, y[i])
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
			// Binary: one column fitted to y. K classes: column c fitted to 1[y = c].
			width := tc.classes
			if tc.classes == 2 {
				width = 1
			}
			want := mat.NewDense(tc.d, width, nil)
			for c := range width {
				targets := make([]float64, len(labels))
				for r, l := range labels {
					if tc.classes == 2 && l == 1 || tc.classes > 2 && l == c {
						targets[r] = 1
					}
				}
				want.SetCol(c, directBeta(t, rows, targets, tc.lambda, tc.intercept).RawVector().Data)
			}
			if !mat.EqualApprox(got, want, 1e-8) {
				t.Errorf("%+v part %d: β = %v, want %v", tc, j, mat.Formatted(got), mat.Formatted(want))
			}
			var sc mat.Dense
			sc.Mul(test, want)
			for i := range tc.m {
				row := sc.RawRowView(i)
				vote := 0
				if tc.classes == 2 {
					if row[0] >= 0.5 {
						vote = 1
					}
				} else {
					for c, v := range row {
						if v > row[vote] {
							vote = c
						}
					}
				}
				votes[i][vote]++
			}
		}
		results, err := dpa.Certify(phi, y, tc.classes, parts, tc.k, tc.lambda, tc.intercept, test)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range results {
			// The scores here are never within rounding of a tie, so no vote is free.
			class, radius := dpa.VoteRadius(votes[i])
			rival := (class + 1) % tc.classes // the runner-up, ties to the lowest index
			for c, v := range votes[i] {
				if c != class && v > votes[i][rival] || c < rival && c != class && v == votes[i][rival] {
					rival = c
				}
			}
			if want := (dpa.Result{Class: class, Radius: radius, Rival: rival}); r != want {
				t.Errorf("%+v test point %d with votes %v: %+v, want %+v", tc, i, votes[i], r, want)
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
	e, err := dpa.Fit(phi, y, 2, parts, k, lambda, true)
	if err != nil {
		t.Fatal(err)
	}
	clean := e.Certify(test)
	check := func(name string, flipped []int, budget int, point int) {
		t.Helper()
		after, err := dpa.Certify(phi, flipped, 2, parts, k, lambda, true, test)
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
	for j := range k {
		members[j] = e.Members(j)
		kernels[j] = new(mat.Dense)
		if !e.Kernel(j, kernels[j], test, nil) {
			t.Fatalf("part %d is empty", j)
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
		name    string
		y       []int
		classes int
		parts   []int
		k       int
		lambda  float64
		test    *mat.Dense
		want    string
	}{
		{"k = 0", y, 2, parts, 0, 1, test, "k = 0"},
		{"one class", y, 1, parts, 4, 1, test, "1 classes"},
		{"λ < 0", y, 2, parts, 4, -1, test, "λ = -1"},
		{"λ NaN", y, 2, parts, 4, math.NaN(), test, "λ = NaN"},
		{"λ = +Inf", y, 2, parts, 4, math.Inf(1), test, "λ = +Inf"},
		{"short labels", y[:19], 2, parts, 4, 1, test, "19 labels"},
		{"short parts", y, 2, parts[:5], 4, 1, test, "5 part indices"},
		{"part out of range", y, 2, dpa.Partition(phi, 5), 4, 1, test, "outside 0..3"},
		{"label 2 of 2", bad(func(c []int) { c[7] = 2 }), 2, parts, 4, 1, test, "label 2 of training point 7"},
		{"label 3 of 3", bad(func(c []int) { c[5] = 3 }), 3, parts, 4, 1, test, "label 3 of training point 5 is outside 0..2"},
		{"label -1", bad(func(c []int) { c[2] = -1 }), 3, parts, 4, 1, test, "label -1 of training point 2"},
		{"test width", y, 2, parts, 4, 1, mat.NewDense(3, 5, nil), "5 features"},
		{"λ = 0, tiny parts", y, 2, dpa.Partition(phi, 10), 10, 0, test, "k = 10"},
	} {
		_, err := dpa.Certify(phi, tc.y, tc.classes, tc.parts, tc.k, tc.lambda, true, tc.test)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
	_, err := dpa.Certify(phi, y, 2, dpa.Partition(phi, 10), 10, 0, true, test)
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
				if _, err := dpa.Certify(phi, y, 2, parts, k, 3e4, true, test); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	y3 := append([]int(nil), y...)
	relabel(rng, phi, y3, 3)
	parts := dpa.Partition(phi, 1000)
	b.Run("Certify k=1000 K=3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := dpa.Certify(phi, y3, 3, parts, 1000, 30, true, test); err != nil {
				b.Fatal(err)
			}
		}
	})
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
	results, err := dpa.Certify(phi, y, 2, parts, k, 0.1, true, test)
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
