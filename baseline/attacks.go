package baseline

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Random returns r distinct indices drawn uniformly from 0..n−1 (the labels a
// random attack flips), in the order drawn. It panics unless 0 ≤ r ≤ n.
func Random(n, r int, rng *rand.Rand) []int {
	if r < 0 || r > n {
		panic(fmt.Sprintf("baseline: cannot choose %d of %d points", r, n))
	}
	// Partial Fisher–Yates on a sparse permutation: O(r) time and memory.
	swapped := make(map[int]int, r)
	at := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, r)
	for i := range r {
		j := i + rng.IntN(n-i)
		out[i] = at(j)
		swapped[j] = at(i)
	}
	return out
}

// RandomLabels returns a copy of y in which the label of each point in idx is
// replaced by one of the other classes−1 classes chosen uniformly:
// yᵢ ↦ (yᵢ + 1 + U) mod K with U uniform on 0..K−2, drawn from rng in the
// order of idx, so a prefix of idx gets the same new labels. For K = 2 this is
// the flip yᵢ ↦ 1−yᵢ and draws nothing. It panics unless classes ≥ 2, every
// label is in 0..classes−1 and every index is in range.
func RandomLabels(y, idx []int, classes int, rng *rand.Rand) []int {
	if classes < 2 {
		panic(fmt.Sprintf("baseline: %d classes", classes))
	}
	out := append([]int(nil), y...)
	for _, i := range idx {
		if i < 0 || i >= len(y) || y[i] < 0 || y[i] >= classes {
			panic(fmt.Sprintf("baseline: relabelling point %d of %d with label outside 0..%d", i, len(y), classes-1))
		}
		shift := 1
		if classes > 2 {
			shift += rng.IntN(classes - 1)
		}
		out[i] = (y[i] + shift) % classes
	}
	return out
}

// Pointwise returns the indices of the training points the pointwise attack
// relabels against a test point with features testFeat: among the training
// points whose label equals the network's current prediction pred, the r
// nearest in Euclidean distance between rows of trainFeat and testFeat,
// nearest first (ties go to the lower index). Relabelling them (to the
// network's runner-up class) pushes the prediction away from pred. Fewer than
// r are returned only if fewer than r points carry label pred.
func Pointwise(trainFeat *mat.Dense, y []int, testFeat []float64, pred, r int) []int {
	n, d := trainFeat.Dims()
	if len(y) != n || len(testFeat) != d || r < 0 {
		panic(fmt.Sprintf("baseline: Pointwise with %d×%d features, %d labels, %d test features, r = %d", n, d, len(y), len(testFeat), r))
	}
	type cand struct {
		i    int
		dist float64
	}
	var cands []cand
	for i, lab := range y {
		if lab != pred {
			continue
		}
		row, dist := trainFeat.RawRowView(i), 0.0
		for j, v := range row {
			dist += (v - testFeat[j]) * (v - testFeat[j])
		}
		cands = append(cands, cand{i, dist})
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), cmp.Compare(a.i, b.i))
	})
	out := make([]int, min(r, len(cands)))
	for k := range out {
		out[k] = cands[k].i
	}
	return out
}
