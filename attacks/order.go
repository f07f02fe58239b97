package attacks

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"flipcert/exact"
	"flipcert/internal/radix"
	"flipcert/internal/roundoff"
)

// Relabel is one label change of an attack: training point Index gets label To.
type Relabel struct{ Index, To int }

// Order returns the relabelings that lower the one-hot ridge margin
// D = s_class − s_rival of a test point with kernel vector alpha and training
// labels y (docs/science.md §8, §9), largest reduction first, ties to the
// lower index. Point i lowers D by
//
//	2αᵢ    if yᵢ = class and αᵢ > 0 (relabel to rival),
//	−2αᵢ   if yᵢ = rival and αᵢ < 0 (relabel to class),
//	|αᵢ|   if yᵢ ∉ {class, rival} and αᵢ ≠ 0 (to rival if αᵢ > 0, to class if αᵢ < 0),
//
// and not at all otherwise; those points are left out. Each reduction does
// not depend on the other changes, so the first r relabelings lower D by the
// most any r changes can. Under label noise q they move the expected margin
// μ_class − μ_rival by (1−q−p)× the same amounts, p = q/(K−1). For
// classes = 2 it is the order of the binary rule's moves towards the other
// side of ½.
//
// Order sorts every helpful move (O(n log n)); the attacks of this package
// select only the prefix they need. It panics if the lengths differ, a label
// is outside 0..classes−1, class or rival is outside it or they are equal, or
// an αᵢ is NaN.
func Order(alpha []float64, y []int, classes, class, rival int) []Relabel {
	var r ranked
	r.build(alpha, y, classes, class, rival)
	out := make([]Relabel, len(r.moves))
	for i, m := range r.prefix(len(r.moves)) {
		out[i] = Relabel{Index: int(m.index), To: int(m.to)}
	}
	return out
}

// move is one helpful relabeling: it lowers the margin by gain > 0.
type move struct {
	gain  float64
	index int32
	to    int32
}

// before is the order of Order: larger gain first, then lower index. It is a
// strict total order on the moves of one ranking (the indices differ).
func before(a, b move) bool {
	return a.gain > b.gain || (a.gain == b.gain && a.index < b.index)
}

// compareMoves is before as a comparison for slices.SortFunc.
func compareMoves(a, b move) int {
	switch {
	case a.gain > b.gain:
		return -1
	case a.gain < b.gain:
		return 1
	}
	return int(a.index) - int(b.index)
}

// ranked holds the helpful moves of one (class, rival) pair, of which a
// prefix is sorted in the order of Order and the rest is not: the attacks
// need only the first few hundred of thousands, so the order is extended
// by selection on demand.
type ranked struct {
	moves    []move
	sorted   int     // moves[:sorted] are the first sorted moves, in order
	selected int     // moves[:selected] are the first selected moves, in order up to sorted
	total    float64 // Σ gain over all moves
	sorter   moveSorter
}

// build collects the moves of Order into r, reusing its memory, and
// validates the arguments as Order documents.
func (r *ranked) build(alpha []float64, y []int, classes, class, rival int) {
	checkLabels(alpha, y, classes)
	if class < 0 || class >= classes || rival < 0 || rival >= classes || class == rival {
		panic(fmt.Sprintf("attacks: class %d and rival %d must differ and lie in 0..%d", class, rival, classes-1))
	}
	r.moves, r.sorted, r.selected, r.total = r.moves[:0], 0, 0, 0
	c, j := int32(class), int32(rival)
	for i, a := range alpha {
		var m move
		switch k := y[i]; {
		case k == class && a > 0:
			m = move{2 * a, int32(i), j}
		case k == rival && a < 0:
			m = move{-2 * a, int32(i), c}
		case k != class && k != rival && a > 0:
			m = move{a, int32(i), j}
		case k != class && k != rival && a < 0:
			m = move{-a, int32(i), c}
		case math.IsNaN(a):
			panic(fmt.Sprintf("attacks: kernel weight α[%d] is NaN", i))
		default:
			continue
		}
		r.moves = append(r.moves, m)
		r.total += m.gain
	}
}

// fromTop sets r to the moves towards rival that exact.Greedy.Top gives,
// with their relabelings: every move down to some gain, so that prefix
// serves the first len(r.moves) moves of the greedy order, no more.
func (r *ranked) fromTop(top []exact.Move, alpha []float64, y []int, class, rival int) {
	r.moves, r.total = r.moves[:0], 0
	for _, m := range top {
		to := int32(rival)
		if k := y[m.Index]; k == rival || k != class && alpha[m.Index] < 0 {
			to = int32(class)
		}
		r.moves = append(r.moves, move{m.Gain, m.Index, to})
		r.total += m.Gain
	}
	r.sorted, r.selected = 0, 0
}

// checkLabels panics unless alpha and y have the same length (at most
// MaxInt32) and every label lies in 0..classes−1, classes ≥ 2.
func checkLabels(alpha []float64, y []int, classes int) {
	switch {
	case len(alpha) != len(y):
		panic(fmt.Sprintf("attacks: %d kernel weights for %d labels", len(alpha), len(y)))
	case len(y) > math.MaxInt32:
		panic("attacks: more than 2³¹ − 1 training points")
	case classes < 2:
		panic(fmt.Sprintf("attacks: %d classes, need at least 2", classes))
	}
	for i, k := range y {
		if uint(k) >= uint(classes) {
			panic(fmt.Sprintf("attacks: label y[%d] = %d outside 0..%d", i, k, classes-1))
		}
	}
}

// prefix returns the first m moves in order (m ≤ len(r.moves)), sorting
// more of them if needed: at least twice the sorted prefix, so that reaching
// m in steps costs O(n·log m + m log m), and one step O(n + m log m) — or
// O(m log m) if a crossing has just selected them.
func (r *ranked) prefix(m int) []move {
	if m <= r.sorted {
		return r.moves[:m]
	}
	end := min(len(r.moves), max(m, 2*r.sorted))
	pool := r.moves[r.sorted:]
	if r.selected >= end {
		pool = r.moves[r.sorted:r.selected]
	}
	if k := end - r.sorted; k < len(pool) {
		selectFirst(pool, k)
	}
	r.sorter.sortMoves(r.moves[r.sorted:end])
	r.sorted, r.selected = end, max(r.selected, end)
	return r.moves[:m]
}

// crossing returns the fewest m such that v minus the gains of the first m
// moves is below t (0 if v < t), or −1 if all of them do not suffice. It
// walks the sorted prefix, then finds the crossing among the rest by
// quickselect on partial sums (expected O(n), without sorting them), so it
// reorders the unsorted moves, leaving the first m of them selected for
// prefix; a shortfall of the total decides −1 at once.
// Sums are formed in a different order than a walk would form them: a
// caller that needs the crossing proven recomputes the scores.
func (r *ranked) crossing(v, t float64) int {
	m := r.cross(v, t)
	r.selected = max(m, r.sorted)
	return m
}

// cross is crossing without the bookkeeping: on return moves[:m] are the
// first m moves when m ≥ 0, while the selection of moves beyond the sorted
// prefix is lost.
func (r *ranked) cross(v, t float64) int {
	if v < t {
		return 0
	}
	if v-r.total >= t {
		return -1
	}
	for m, mv := range r.moves[:r.sorted] {
		if v -= mv.gain; v < t {
			return m + 1
		}
	}
	a := r.moves
	lo, hi := r.sorted, len(a)
	for depth := 2 * bits.Len(uint(len(a))); hi-lo > 16 && depth > 0; depth-- {
		p := medianOfThree(a[lo], a[lo+(hi-lo)/2], a[hi-1])
		s, sum := lo, 0.0
		for i := lo; i < hi; i++ {
			if before(a[i], p) {
				sum += a[i].gain
				a[i], a[s] = a[s], a[i]
				s++
			}
		}
		if v-sum < t {
			hi = s // the crossing is among the moves before p
			continue
		}
		v -= sum
		for i := s; i < hi; i++ { // p is the first of the rest
			if a[i] == p {
				a[i], a[s] = a[s], a[i]
				break
			}
		}
		if v -= p.gain; v < t {
			return s + 1
		}
		lo = s + 1
	}
	// Sort what is left and walk it; the moves after it too, in case the
	// rounding of a block's sum said it crosses when its moves one by one
	// do not.
	for _, span := range [][2]int{{lo, hi}, {hi, len(a)}} {
		part := a[span[0]:span[1]]
		slices.SortFunc(part, compareMoves)
		for k, mv := range part {
			if v -= mv.gain; v < t {
				return span[0] + k + 1
			}
		}
	}
	return -1
}

// selectFirst reorders a so that a[:k] holds the first k moves in the order
// before (in no particular order among themselves), 0 < k < len(a):
// quickselect with median-of-three pivots, falling back to a sort after
// 2·log₂ n unproductive rounds.
func selectFirst(a []move, k int) {
	lo, hi := 0, len(a)
	for depth := 2 * bits.Len(uint(len(a))); hi-lo > 16; depth-- {
		if depth == 0 {
			slices.SortFunc(a[lo:hi], compareMoves)
			return
		}
		p := medianOfThree(a[lo], a[lo+(hi-lo)/2], a[hi-1])
		// Lomuto-style split: a[lo:s] before p, a[s:hi] not.
		s := lo
		for i := lo; i < hi; i++ {
			if before(a[i], p) {
				a[i], a[s] = a[s], a[i]
				s++
			}
		}
		switch {
		case s == k:
			return
		case s > k:
			hi = s
		default:
			// p itself is the first of a[s:hi]; move it to the front so
			// that every round removes at least one element.
			for i := s; i < hi; i++ {
				if a[i] == p {
					a[i], a[s] = a[s], a[i]
					break
				}
			}
			if s+1 == k {
				return
			}
			lo = s + 1
		}
	}
	slices.SortFunc(a[lo:hi], compareMoves)
}

func medianOfThree(a, b, c move) move {
	if before(b, a) {
		a, b = b, a
	}
	if before(c, b) {
		b = c
		if before(b, a) {
			b = a
		}
	}
	return b
}

// margin returns μ = E + 8·γ_{4n}·Σ|α̂ᵢ| (abs = the computed Σ|α̂ᵢ|): the
// amount by which a computed score, or margin of two scores, must be past a
// threshold before the attacks call the exact classifier's side proven
// (docs/science.md §10 "Margins of the exact and DPA certificates", §11). Every such value is a float64 sum of at most
// 4n terms ±α̂ᵢ (a clean score and the changes made to it) of total size at
// most 4Σ|α̂ᵢ|, so it is within γ_{4n}·4Σ|α̂ᵢ| of its exact value with α̂,
// which is within E of its value with the exact kernel vector. The factor 2
// covers the rounding of abs itself and of the shifted threshold.
func margin(alphaErr float64, n int, abs float64) float64 {
	return alphaErr + 8*roundoff.Gamma(4*n)*abs
}

// radixMin is the length from which sortMoves sorts by radix: below it a
// comparison sort costs less than the radix passes' counting.
const radixMin = 128

// moveSorter is sortMoves's scratch memory.
type moveSorter struct {
	keys, kbuf []uint64
	vbuf       []move
}

// sortMoves sorts m in the order of Order, the one permutation that
// slices.SortFunc(m, compareMoves) returns, since the order is strict. Long
// runs are sorted by radix (package radix), which is stable: by the index,
// unless m is in index order already (as greedy places its moves), then by
// the gain. The bits of a float64 ≥ 0 order as its value, so the gain's key
// is their complement, larger gains first.
func (ms *moveSorter) sortMoves(m []move) {
	if len(m) < radixMin {
		slices.SortFunc(m, compareMoves)
		return
	}
	ms.keys = grow(ms.keys, len(m))
	if !slices.IsSortedFunc(m, func(a, b move) int { return int(a.index) - int(b.index) }) {
		for i, v := range m {
			ms.keys[i] = uint64(uint32(v.index))
		}
		ms.kbuf, ms.vbuf = radix.Sort(ms.keys, m, ms.kbuf, ms.vbuf)
	}
	for i, v := range m {
		ms.keys[i] = ^math.Float64bits(v.gain)
	}
	ms.kbuf, ms.vbuf = radix.Sort(ms.keys, m, ms.kbuf, ms.vbuf)
}
