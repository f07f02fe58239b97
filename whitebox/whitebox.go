package whitebox

import (
	"fmt"
	"math"

	"flipcert/analytic"
)

// logHalf is the certification threshold: the double nearest log ½, which
// lies above it with no double in between, so v < logHalf for a double v
// holds iff v < log ½ (docs/science.md §10 "Margins of the analytic certificate").
const logHalf = -math.Ln2

// minQ is the smallest noise level the certificate works with: below it a
// law's smallest probability could leave the normal range in the products
// of a pass, which the rounding bounds exclude. Radius returns −1 and
// LogBounds 0 there, which is always sound.
const minQ = 0x1p-500

// A Certifier computes white-box certificates (docs/science.md §14) with
// scratch memory it keeps between calls, so that certifying many test points
// does not allocate once it has grown to the largest problem. The zero value
// is ready to use. A Certifier must not be used by several goroutines at
// once; use one per goroutine.
type Certifier struct {
	// Negligible is how far, in nats, a rival's bound may lie below the
	// union of all rivals' bounds before the search stops improving it (K ≥ 3;
	// its share of the union is then below e^{−Negligible}). If it is 0 it
	// defaults to 30, which leaves the union as good as exact; a caller that
	// needs the union only to a few digits may set less and save passes.
	// Every bound stays valid whatever it is.
	Negligible float64

	pr      problem
	abs     []float64 // the non-zero |αᵢ| by segment, each segment's buckets largest first
	segs    []segment
	ends    []int32 // per segment, the end in abs of each of its buckets
	rivals  []rival
	order   []int  // indices into rivals, most dangerous first
	index   []int  // by class: the index of its rival, −1 if none
	trivial []int  // the rivals whose bound is 1
	part    []sums // shared pass: class k as the rival at 2k, as neutral at 2k+1
	vals    []float64
	keys    []uint64 // sortBucket's radix keys and scratch
	kbuf    []uint64
}

// Radius returns the white-box radius of the smoothed ridge classifier at one
// test point: the largest r ≤ len(y) such that for every set F of at most r
// training points and every relabelling of them, the bound of LogBounds at r
// is below ½ — so that P_F(h ≠ class) < ½ and the smoothed classifier still
// predicts class — or −1 if not even the clean labels are certified.
//
// alpha is the computed kernel vector, y the training labels in
// 0..classes−1, q the noise level in (0, (classes−1)/classes), alphaErr ≥ 0 a
// bound on Σᵢ|α̂ᵢ − αᵢ| (analytic.Certify documents these), and class the
// analytic certificate's prediction (analytic.Certificate.Class), whose
// robustness is certified. The exact bound rises with r, so an r whose
// padded bound is below ½ certifies every r′ ≤ r as well; Radius searches t
// and r for the largest such r (docs/science.md §14) and returns one for
// which that is proven. It is capped at len(y), which it returns when even
// every helpful relabelling keeps the bound below ½ or when the other class
// is impossible whatever the labels (K = 2, as analytic.LogEpsImpossible).
//
// It panics on the misuse analytic.Certify panics on and on a class outside
// 0..classes−1.
func (cz *Certifier) Radius(alpha []float64, y []int, classes int, q, alphaErr float64, class int) int {
	switch cz.setup(alpha, y, classes, q, alphaErr, class) {
	case trivial:
		return -1
	case impossible:
		return len(y)
	}
	return min(cz.radius(), len(y))
}

// LogBounds returns the natural log of the white-box bound at r relabellings:
// an upper bound on max_{|F|≤r} P_F(h ≠ class), the largest probability that
// the base classifier does not return class over every relabelling of at
// most r training points (r ≥ 0; r = 0 is the clean labels). It is the union
// over the rivals j of
//
//	min_{t≥0} [ψ_j(t) + t·alphaErr + sum of the r largest δᵢ(t)],
//
// ψ_j the analytic certificate's exponent (docs/science.md §4, §8) and δᵢ(t)
// the most point i's relabelling can raise its term (docs/science.md §14),
// minimised over t by Newton steps, padded for rounding, and capped at 0.
// At r = 0 it is the analytic certificate's bound, computed independently.
// analytic.LogEpsImpossible stands for a class 0 whose other side is
// impossible whatever the labels (K = 2).
//
// If dst is not nil it must have length classes; dst[j] is set to the log
// bound on max_{|F|≤r} P_F(rival j beats class) for each j ≠ class (for
// K = 2 the one rival is the other class; 0 for a rival whose expected
// score is within the kernel error of class's) and dst[class] to −Inf. The
// arguments are those of Radius; it panics on the same misuse and if r < 0
// or dst has the wrong length.
func (cz *Certifier) LogBounds(dst, alpha []float64, y []int, classes int, q, alphaErr float64, class, r int) float64 {
	return cz.logBounds(dst, alpha, y, classes, q, alphaErr, class, r, nil)
}

// logBounds is LogBounds, stopping once enough, if not nil, accepts the
// bounds found so far (LogBoundsUntil).
func (cz *Certifier) logBounds(dst, alpha []float64, y []int, classes int, q, alphaErr float64, class, r int, enough func([]float64) bool) float64 {
	if r < 0 {
		panic(fmt.Sprintf("whitebox: %d relabellings", r))
	}
	if dst != nil && len(dst) != classes {
		panic(fmt.Sprintf("whitebox: %d rival bounds for %d classes", len(dst), classes))
	}
	fill := func(v float64) float64 {
		for j := range dst {
			dst[j] = v
			if j == class {
				dst[j] = math.Inf(-1)
			}
		}
		return v
	}
	switch cz.setup(alpha, y, classes, q, alphaErr, class) {
	case trivial:
		if dst == nil {
			return 0
		}
	case impossible:
		return fill(analytic.LogEpsImpossible)
	}
	return cz.bounds(dst, r, enough)
}

// LogBoundsUntil is LogBounds with dst, except that it stops minimising the
// bounds once enough reports true for the ones found so far, given in dst
// as LogBounds fills it (and then returns their union). Every bound found
// so far is valid and at least the one LogBounds returns, and the search
// goes the same way until it stops, so that a decision that only grows
// with the bounds may be taken from the first ones enough accepts. It is
// asked after the first pass and after each round of passes. It panics as
// LogBounds does, and if dst is nil.
func (cz *Certifier) LogBoundsUntil(dst, alpha []float64, y []int, classes int, q, alphaErr float64, class, r int, enough func(dst []float64) bool) float64 {
	if dst == nil {
		panic("whitebox: LogBoundsUntil without bounds to fill")
	}
	return cz.logBounds(dst, alpha, y, classes, q, alphaErr, class, r, enough)
}

// checkArgs panics on the misuse Radius and LogBounds document, and
// returns max|αᵢ|. The labels and weights are checked in one pass, and
// looked at again only to name the first bad one.
func checkArgs(alpha []float64, y []int, classes int, q, alphaErr float64, class int) (maxAbs float64) {
	if len(alpha) != len(y) {
		panic(fmt.Sprintf("whitebox: %d kernel weights for %d labels", len(alpha), len(y)))
	}
	if classes < 2 {
		panic(fmt.Sprintf("whitebox: %d classes, need at least 2", classes))
	}
	if hi := float64(classes-1) / float64(classes); !(q > 0 && q < hi) {
		panic(fmt.Sprintf("whitebox: noise level q = %v outside (0, %v) for %d classes", q, hi, classes))
	}
	if !(alphaErr >= 0) {
		panic(fmt.Sprintf("whitebox: kernel-vector error %v is negative or NaN", alphaErr))
	}
	if class < 0 || class >= classes {
		panic(fmt.Sprintf("whitebox: class %d outside 0..%d", class, classes-1))
	}
	var top uint64 // the bits of |αᵢ| order as the values do, +Inf and NaN last
	var label uint // the largest label, negative ones as huge
	y = y[:len(alpha)]
	for i, a := range alpha {
		label = max(label, uint(y[i]))
		top = max(top, math.Float64bits(a)&^(1<<63))
	}
	if label >= uint(classes) {
		for i, k := range y {
			if uint(k) >= uint(classes) {
				panic(fmt.Sprintf("whitebox: label y[%d] = %d outside 0..%d", i, k, classes-1))
			}
		}
	}
	if top >= math.Float64bits(math.Inf(1)) {
		for i, a := range alpha {
			if math.IsNaN(a) || math.IsInf(a, 0) {
				panic(fmt.Sprintf("whitebox: kernel weight α[%d] = %v is not finite", i, a))
			}
		}
	}
	return math.Float64frombits(top)
}
