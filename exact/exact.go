package exact

import (
	"math"
	"math/bits"
	"slices"
)

// Certify returns the class of the unsmoothed ridge classifier at a test point
// with kernel vector alpha and training labels y (each 0 or 1), and its radius.
// It allocates a scratch buffer per call; use a Certifier in loops.
func Certify(alpha []float64, y []int) (class, radius int) {
	var c Certifier
	return c.Certify(alpha, y)
}

// Certifier computes exact certificates, reusing one scratch buffer across
// calls so that certifying many test points does not allocate per point. The
// zero value is ready to use. A Certifier must not be used by two goroutines
// at once: give each its own.
type Certifier struct {
	moves []float64
}

// Certify returns the class of the unsmoothed ridge classifier at a test point
// with kernel vector alpha and training labels y (each 0 or 1), and its
// radius: the largest r such that no set of at most r label flips changes the
// class. If flipping every helpful label still leaves the class unchanged, the
// radius is len(y), since no attacker can flip more labels than there are.
//
// The class is 1 iff s = αᵀy ≥ ½, so a class-1 prediction falls only when a
// flipped score is strictly below ½, and a class-0 prediction rises as soon as
// it reaches ½. The fewest flips m are found by a three-way quickselect on the
// helpful moves (expected O(n)); the radius is m − 1.
//
// Certify panics if the lengths differ, a label is not 0 or 1, or αᵀy is not
// finite.
func (c *Certifier) Certify(alpha []float64, y []int) (class, radius int) {
	if len(alpha) != len(y) {
		panic("exact: len(alpha) != len(y)")
	}
	var s float64
	for i, a := range alpha {
		switch y[i] {
		case 0:
		case 1:
			s += a
		default:
			panic("exact: label not 0 or 1")
		}
	}
	if math.IsNaN(s) || math.IsInf(s, 0) {
		panic("exact: αᵀy is not finite")
	}
	up := s < 0.5 // class 0 is overturned by raising s, class 1 by lowering it
	if !up {
		class = 1
	}
	// Collect the magnitudes |δᵢ| of the moves towards the other side.
	moves := c.moves[:0]
	var total float64
	for i, a := range alpha {
		d := a
		if y[i] == 1 {
			d = -a
		}
		if !up {
			d = -d
		}
		if d > 0 {
			moves = append(moves, d)
			total += d
		}
	}
	c.moves = moves
	if !crossed(shift(s, total, up), up) {
		return class, len(y)
	}
	m := fewest(moves, s, up)
	if m < 0 {
		// Summing in a different order rounded the crossing away.
		return class, len(y)
	}
	return class, m - 1
}

// shift moves the score s by a total move of size d towards the other side.
func shift(s, d float64, up bool) float64 {
	if up {
		return s + d
	}
	return s - d
}

// crossed reports whether the score s has left the original class: class 0
// (moving up) is left at s ≥ ½, class 1 (moving down) at s < ½.
func crossed(s float64, up bool) bool {
	if up {
		return s >= 0.5
	}
	return s < 0.5
}

// smallRange is the size below which fewest sorts instead of partitioning.
const smallRange = 32

// fewest returns the smallest m such that shifting s by the m largest moves
// crosses ½, or −1 if all of them do not. It reorders moves.
//
// Invariant: moves[:lo] are taken (each ≥ everything in moves[lo:]) and s
// includes them without crossing; moves[lo:hi] holds the answer's frontier;
// moves[hi:] are smaller than moves[lo:hi], in blocks of decreasing value.
func fewest(moves []float64, s float64, up bool) int {
	lo, hi := 0, len(moves)
	for depth := 2 * bits.Len(uint(len(moves))); hi-lo > smallRange && depth > 0; depth-- {
		p := medianOf3(moves[lo], moves[lo+(hi-lo)/2], moves[hi-1])
		gt, eq, sum := partition3(moves[lo:hi], p)
		gt += lo
		eq += lo
		w := shift(s, sum, up)
		if crossed(w, up) {
			hi = gt // the answer lies among the moves larger than p
			continue
		}
		s = w
		for i := gt; i < eq; i++ {
			if s = shift(s, moves[i], up); crossed(s, up) {
				return i + 1
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
			if s = shift(s, part[j], up); crossed(s, up) {
				return r[1] - j
			}
		}
	}
	return -1
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
