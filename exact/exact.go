package exact

import (
	"math"
	"math/bits"
	"slices"

	"flipcert/decide"
	"flipcert/internal/roundoff"
)

// Certify returns the class of the unsmoothed ridge classifier at a test point
// and its radius; see (*Certifier).Certify. It allocates scratch buffers per
// call; use a Certifier in loops.
func Certify(alpha []float64, y []int, classes int, alphaErr float64) (class, radius int) {
	var c Certifier
	return c.Certify(alpha, y, classes, alphaErr)
}

// Certifier computes exact certificates, reusing its scratch buffers across
// calls so that certifying many test points does not allocate per point. The
// zero value is ready to use. A Certifier must not be used by two goroutines
// at once: give each its own.
type Certifier struct {
	moves  []float64
	greedy Greedy
	fewest []int     // per rival, for multi
	tables []float64 // the two K-entry tables of rivalFewest
}

// Certify returns the class of the unsmoothed ridge classifier at a test point
// with computed kernel vector alpha and training labels y (each in
// 0..classes−1), and its radius: the largest r such that no change of at most
// r labels changes the class of the exact ridge classifier, or −1 if even the
// clean class is within rounding of a tie. If changing every helpful label
// still leaves the class unchanged, the radius is len(y), since no attacker
// can change more labels than there are.
//
// alphaErr is a bound E ≥ Σᵢ|α̂ᵢ − αᵢ| on the error of alpha against the exact
// kernel vector, such as ridge.Model.Kernel reports (0 if alpha is taken as
// exact). Any labelled score Σᵢ αᵢ·(coefficient in {−1, 0, 1}) then moves by at
// most E.
//
// classes = 2 is the binary rule of docs/science.md §2: the score is
// s = Σᵢ αᵢyᵢ, class 1 iff s ≥ ½, and changing label i moves s by αᵢ(1−2yᵢ).
// classes = K > 2 is one-hot ridge (docs/science.md §8): s_c = Σᵢ αᵢ1[yᵢ = c],
// class c = argmax, ties to the lowest index. Rival j overturns c when the
// margin D_j = s_c − s_j drops below 0, or to 0 if j < c. Point i can lower
// D_j by at most
//
//	2αᵢ if yᵢ = c and αᵢ > 0 (relabel to j), −2αᵢ if yᵢ = j and αᵢ < 0
//	(relabel to c), |αᵢ| if yᵢ ∉ {c, j} (relabel to j if αᵢ > 0, else to c),
//
// and nothing otherwise; the radius is the minimum over rivals of the fewest
// such reductions that overturn c, minus one.
//
// Margins (docs/science.md §10 "Margins of the exact and DPA certificates"). Every quantity compared with a threshold is
// a float64 sum of at most 2n terms of the kinds ±α̂ᵢ and the moves, in some
// order, so it is within R = γ_{2n}(Σ|α̂ᵢ| + Σ moves) of its exact value with α̂,
// which is within E of its value with the exact α. Certify uses the margin
//
//	μ = E + 2R
//
// and counts a class as overturned as soon as the computed margin (or score)
// is within μ of the other side: the computed crossing comes at most as late
// as the exact one (greedy on α̂ is optimal for α̂, and an exact crossing
// with α leaves the α̂ sums within E + R of the threshold), so the radius never
// exceeds the exact radius. It is one less than the strict comparison would
// give only where a partial sum lies within μ of the threshold, and −1 where
// the clean score does. The factor 2 on R covers the rounding of Σ|α̂ᵢ|, of
// the moves' total and of the shifted threshold ½ ± μ, and makes "not
// crossed" with every move taken a sound radius len(y) even when sums taken
// in different orders disagree.
//
// For two classes the fewest moves are found by a three-way quickselect on the
// helpful moves (expected O(n)). For more, a Greedy bounds every rival's
// answer from bucket counts of |αᵢ| and selects only among the moves near
// the crossing of the rivals that can attain the fewest: two passes over
// alpha and one more over its largest entries, about O(n) whatever K
// (docs/science.md §11, "Cost"). Its answers are those of a quickselect over
// every move of every rival, bit for bit; where rounding could tell them
// apart it runs that quickselect.
//
// Certify panics if the lengths differ, classes < 2, a label is outside
// 0..classes−1, alphaErr is negative or not finite, or alpha is not finite.
func (c *Certifier) Certify(alpha []float64, y []int, classes int, alphaErr float64) (class, radius int) {
	switch {
	case len(alpha) != len(y):
		panic("exact: len(alpha) != len(y)")
	case classes < 2:
		panic("exact: fewer than two classes")
	case !(alphaErr >= 0) || math.IsInf(alphaErr, 1):
		panic("exact: alphaErr is negative or not finite")
	}
	if classes == 2 {
		return c.binary(alpha, y, alphaErr)
	}
	return c.multi(alpha, y, classes, alphaErr)
}

// Greedy returns the Greedy of c's last Certify with more than two classes,
// valid until c's next call, so that the ridge-exact attack at the same
// point (attacks.Attacker.RidgeExactAfter) need not repeat its passes over
// alpha. Calling its Fewest again does not change the certificate c
// returned.
func (c *Certifier) Greedy() *Greedy { return &c.greedy }

// marginCoef returns 2γ_{2n} for n training points: R = γ_{2n}(Σ|α̂ᵢ| +
// Σ moves) bounds the rounding of any sum Certify compares with a threshold,
// and the comparisons allow E + 2R = E + marginCoef(n)·(Σ|α̂ᵢ| + Σ moves).
func marginCoef(n int) float64 { return 2 * roundoff.Gamma(2*n) }

// binary is Certify for classes = 2: the score s = Σᵢ αᵢyᵢ against ½.
func (c *Certifier) binary(alpha []float64, y []int, alphaErr float64) (class, radius int) {
	var s, abs float64
	for i, a := range alpha {
		switch y[i] {
		case 0:
		case 1:
			s += a
		default:
			panic("exact: label not 0 or 1")
		}
		abs += math.Abs(a)
	}
	checkFinite(abs)
	// Work with v = ±s so that overturning always means lowering v: class 1
	// falls when s drops below ½ (v = s), class 0 when s reaches ½ (v = −s).
	// Negation is exact, so v rounds exactly as s would.
	sign := 1.0
	if class = decide.Binary(s); class == 0 {
		sign = -1
	}
	// Changing label i lowers v by sign·αᵢ(2yᵢ − 1); keep the positive ones.
	moves := c.moves[:0]
	var total float64
	for i, a := range alpha {
		d := sign * a
		if y[i] == 0 {
			d = -d
		}
		if d > 0 {
			moves = append(moves, d)
			total += d
		}
	}
	c.moves = moves
	margin := alphaErr + marginCoef(len(alpha))*(abs+total)
	if m, ok := fewest(moves, total, sign*s, sign*0.5+margin); ok {
		return class, m - 1
	}
	return class, len(y)
}

// multi is Certify for classes > 2: one-hot scores, argmax, and the fewest
// moves against every rival found by a Greedy, which leaves to rivalFewest
// the rivals where rounding could decide.
func (c *Certifier) multi(alpha []float64, y []int, classes int, alphaErr float64) (class, radius int) {
	g := &c.greedy
	g.Reset(alpha, y, classes)
	class = g.Class()
	c.fewest = slices.Grow(c.fewest[:0], classes)[:classes]
	coef := marginCoef(len(alpha))
	g.Fewest(alphaErr, coef, func(j int) int { return c.rivalFewest(alpha, y, classes, class, j, alphaErr) }, c.fewest)
	radius = len(y)
	for j, m := range c.fewest {
		if j != class && m >= 0 {
			radius = min(radius, m-1)
		}
	}
	return class, radius
}

// rivalFewest returns the fewest moves after which rival j overturns class,
// −1 if all of them do not suffice: the moves are collected in index order
// and quickselected, a pass and a selection over every point.
func (c *Certifier) rivalFewest(alpha []float64, y []int, classes, class, j int, alphaErr float64) int {
	scores := c.greedy.Scores()
	c.tables = slices.Grow(c.tables[:0], 2*classes)[:2*classes]
	twice, once := c.tables[:classes], c.tables[classes:]
	// Point i lowers D by twice[yᵢ]·αᵢ + once[yᵢ]·|αᵢ| (one term is zero,
	// so d is exact): 2αᵢ from class (relabel to j), −2αᵢ from j (relabel
	// to class), |αᵢ| from any other class (relabel to j if αᵢ > 0, to
	// class if αᵢ < 0). Tables rather than a switch avoid mispredicted
	// branches on the labels.
	clear(twice)
	twice[class], twice[j] = 2, -2
	for k := range once {
		once[k] = 1
	}
	once[class], once[j] = 0, 0
	moves := c.moves[:0]
	var total float64
	for i, a := range alpha {
		if d := twice[y[i]]*a + once[y[i]]*math.Abs(a); d > 0 {
			moves = append(moves, d)
			total += d
		}
	}
	c.moves = moves
	// j overturns class at D ≤ 0 (j < class) or D < 0; both are inside the
	// margin, so the test is D ≤ μ for every rival.
	margin := alphaErr + marginCoef(len(alpha))*(c.greedy.AbsSum()+total)
	if m, ok := fewest(moves, total, scores[class]-scores[j], margin); ok {
		return m
	}
	return -1
}

// checkFinite panics unless the sum of |αᵢ| (times two for the K-class moves)
// is finite, which makes every sum Certify forms finite.
func checkFinite(abs float64) {
	if math.IsNaN(abs) || math.IsInf(abs, 0) {
		panic("exact: alpha is not finite")
	}
}

// fewest returns the smallest m such that v minus the m largest moves is ≤ t
// (0 if v ≤ t already), or ok = false if all of them (summing to total) do
// not suffice. It reorders moves.
func fewest(moves []float64, total, v, t float64) (m int, ok bool) {
	if v <= t {
		return 0, true
	}
	if v-total > t {
		return 0, false
	}
	// m = −1 when summing in a different order rounded the crossing away: the
	// sums differ by less than the margin's spare R, so ok = false is sound.
	m, _, _ = quickselect(moves, v, t)
	return m, m > 0
}

// smallRange is the size below which quickselect sorts instead of
// partitioning.
const smallRange = 32

// quickselect returns the smallest m ≥ 1 such that v minus the m largest moves
// is ≤ t, or −1 if all of them do not suffice, and the computed values of v
// minus the m − 1 and the m largest moves (in the order it summed them). It
// reorders moves.
//
// Invariant: moves[:lo] are taken (each ≥ everything in moves[lo:]) and v
// includes them without reaching t; moves[lo:hi] holds the answer's frontier;
// moves[hi:] are smaller than moves[lo:hi], in blocks of decreasing value.
func quickselect(moves []float64, v, t float64) (m int, before, after float64) {
	lo, hi := 0, len(moves)
	for depth := 2 * bits.Len(uint(len(moves))); hi-lo > smallRange && depth > 0; depth-- {
		p := medianOf3(moves[lo], moves[lo+(hi-lo)/2], moves[hi-1])
		gt, eq, sum := partition3(moves[lo:hi], p)
		gt += lo
		eq += lo
		w := v - sum
		if w <= t {
			hi = gt // the answer lies among the moves larger than p
			continue
		}
		v = w
		for i := gt; i < eq; i++ {
			before = v
			if v -= moves[i]; v <= t {
				return i + 1, before, v
			}
		}
		lo = eq
	}
	// Sort what is left (ascending) and take it from the largest down. The
	// tail is scanned too in case rounding made a block sum cross when its
	// elements one by one do not.
	for _, r := range [][2]int{{lo, hi}, {hi, len(moves)}} {
		part := moves[r[0]:r[1]]
		slices.Sort(part)
		for j := len(part) - 1; j >= 0; j-- {
			before = v
			if v -= part[j]; v <= t {
				return r[1] - j, before, v
			}
		}
	}
	return -1, before, v
}

// partition3 reorders a into moves > p, then = p, then < p, and returns the
// ends of the first two blocks and the sum of the first.
func partition3(a []float64, p float64) (gt, eq int, sum float64) {
	i, lt, hi := 0, 0, len(a)
	for i < hi {
		switch x := a[i]; {
		case x > p:
			a[i], a[lt] = a[lt], x
			sum += x
			lt++
			i++
		case x < p:
			hi--
			a[i], a[hi] = a[hi], x
		default:
			i++
		}
	}
	return lt, hi, sum
}

func medianOf3(a, b, c float64) float64 {
	if a > b {
		a, b = b, a
	}
	if b > c {
		b = c
	}
	return max(a, b)
}
