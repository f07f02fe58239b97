package baseline

import (
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

func TestRandom(t *testing.T) {
	for _, tc := range []struct{ n, r int }{{10, 0}, {10, 3}, {10, 10}, {13007, 520}, {1, 1}} {
		rng := rand.New(rand.NewPCG(uint64(tc.n), uint64(tc.r)))
		idx := Random(tc.n, tc.r, rng)
		if len(idx) != tc.r {
			t.Fatalf("Random(%d, %d) returned %d indices", tc.n, tc.r, len(idx))
		}
		seen := map[int]bool{}
		for _, i := range idx {
			if i < 0 || i >= tc.n || seen[i] {
				t.Fatalf("Random(%d, %d): index %d out of range or repeated in %v", tc.n, tc.r, i, idx)
			}
			seen[i] = true
		}
	}
}

// TestRandomUniform checks that every index is chosen with probability r/n:
// 20,000 draws of 3 from 6, chi-square over the 6 inclusion counts (5 dof;
// above 25 has p < 2e-4).
func TestRandomUniform(t *testing.T) {
	const n, r, draws = 6, 3, 20000
	rng := rand.New(rand.NewPCG(1, 1))
	var count [n]float64
	for range draws {
		for _, i := range Random(n, r, rng) {
			count[i]++
		}
	}
	want := float64(draws) * r / n
	chi2 := 0.0
	for _, c := range count {
		chi2 += (c - want) * (c - want) / want
	}
	if chi2 > 25 {
		t.Errorf("inclusion counts %v, want ≈ %.0f each (chi-square %.1f)", count, want, chi2)
	}
}

// TestRandomLabels relabels every point of a K = 4 training set many times:
// no label may be kept, and given the old label the new one must be uniform
// over the other three classes (chi-square over the 4×3 counts, 8 dof; above
// 30 has p < 3e-4). A prefix of idx must get the same new labels, and K = 2
// must be the flip y ↦ 1−y.
func TestRandomLabels(t *testing.T) {
	const k, n, rounds = 4, 400, 50
	rng := rand.New(rand.NewPCG(5, 6))
	y := make([]int, n)
	idx := make([]int, n)
	for i := range y {
		y[i], idx[i] = rng.IntN(k), i
	}
	var count [k][k]float64
	var from [k]float64
	for range rounds {
		got := RandomLabels(y, idx, k, rng)
		for i, v := range got {
			if v == y[i] || v < 0 || v >= k {
				t.Fatalf("point %d: label %d relabelled to %d", i, y[i], v)
			}
			count[y[i]][v]++
			from[y[i]]++
		}
	}
	chi2 := 0.0
	for old := range k {
		want := from[old] / (k - 1)
		for c := range k {
			if c != old {
				chi2 += (count[old][c] - want) * (count[old][c] - want) / want
			}
		}
	}
	if chi2 > 30 {
		t.Errorf("new-label counts %v not uniform over the other classes (chi-square %.1f)", count, chi2)
	}

	part := []int{7, 3, 250, 9, 0}
	full := RandomLabels(y, part, k, rand.New(rand.NewPCG(1, 2)))
	prefix := RandomLabels(y, part[:2], k, rand.New(rand.NewPCG(1, 2)))
	for i := range y {
		want := y[i]
		if i == 7 || i == 3 {
			want = full[i]
		}
		if prefix[i] != want {
			t.Errorf("prefix relabelling differs at point %d: %d, want %d", i, prefix[i], want)
		}
	}

	bin := []int{0, 1, 1, 0, 1}
	flipped := RandomLabels(bin, []int{0, 2, 4}, 2, rng)
	if want := []int{1, 1, 0, 0, 0}; !slices.Equal(flipped, want) || !slices.Equal(bin, []int{0, 1, 1, 0, 1}) {
		t.Errorf("K = 2 relabelling of %v at 0, 2, 4 gave %v, want %v (input unchanged)", bin, flipped, want)
	}
}

// TestTopTwo compares topTwo with a stable sort by decreasing score on
// vectors with many ties.
func TestTopTwo(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for range 500 {
		scores := make([]float64, 2+rng.IntN(5))
		for j := range scores {
			scores[j] = float64(rng.IntN(3))
		}
		order := []int{}
		for j := range scores {
			order = append(order, j)
		}
		sort.SliceStable(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
		if f, s := topTwo(scores); f != order[0] || s != order[1] {
			t.Fatalf("topTwo(%v) = %d, %d; want %d, %d", scores, f, s, order[0], order[1])
		}
	}
}

func TestRandomPanicsOnMisuse(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Random(3, 4) did not panic")
		}
	}()
	Random(3, 4, rand.New(rand.NewPCG(1, 1)))
}

// TestPointwise compares Pointwise with a brute-force ranking of the points
// labelled pred by floats.Distance.
func TestPointwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const n, d = 200, 5
	feat := mat.NewDense(n, d, nil)
	y := make([]int, n)
	for i := range n {
		for j := range d {
			// Coarse values make exact distance ties common.
			feat.Set(i, j, float64(rng.IntN(3)))
		}
		y[i] = rng.IntN(2)
	}
	for _, tc := range []struct{ pred, r int }{{0, 0}, {0, 1}, {1, 7}, {0, 50}, {1, 1000}} {
		test := []float64{1, 0, 2, 1, 1}
		got := Pointwise(feat, y, test, tc.pred, tc.r)
		var cands []int
		for i, v := range y {
			if v == tc.pred {
				cands = append(cands, i)
			}
		}
		dist := func(i int) float64 { return floats.Distance(feat.RawRowView(i), test, 2) }
		sort.SliceStable(cands, func(a, b int) bool { return dist(cands[a]) < dist(cands[b]) })
		want := cands[:min(tc.r, len(cands))]
		if !slices.Equal(got, want) {
			t.Errorf("pred %d r %d: got %v, want %v", tc.pred, tc.r, got, want)
		}
		for _, i := range got {
			if y[i] != tc.pred {
				t.Errorf("index %d has label %d, not pred %d", i, y[i], tc.pred)
			}
		}
	}
}
