package attacks

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
