package exact

import (
	"fmt"
	"math"
	"slices"

	"flipcert/decide"
	"flipcert/internal/roundoff"
)

// Greedy finds, for one test point of the one-hot ridge classifier with
// K ≥ 3 classes, the fewest moves of the greedy order (docs/science.md §8,
// §11) that bring the margin of each rival to a threshold, without ordering
// or even collecting most of the moves: the answer is usually a few hundred
// moves of tens of thousands. The exact certificate (Certifier) and the
// ridge-exact attack (package attacks) share it. The zero value is ready to
// use; a Greedy must not be used by two goroutines at once.
//
// How (docs/science.md §11, "Cost"). Reset sums the scores and counts the
// |αᵢ| of every class and sign in buckets of an eighth of an octave below
// the largest. The moves towards rival j are |αᵢ| or 2|αᵢ| of known classes
// and signs, so their counts per bucket follow from those of the classes in
// O(buckets), and the counts with the buckets' edges bound the sum of the
// largest moves from both sides: they bound each rival's answer m_j and
// name the buckets in which its crossing can lie. A rival whose lower bound
// exceeds another's upper bound cannot have the fewest and is skipped; for
// the others one pass over the largest |αᵢ| takes the moves above those
// buckets from the margin, and a quickselect finds the crossing among the
// moves inside them.
//
// Rounding (docs/science.md §10 "Margins of the exact and DPA certificates"). Sums taken this way round differently from
// those of the straightforward computation (every move collected in index
// order, its total summed in that order, the crossing quickselected or
// walked), so every answer is checked against a band that covers both: the
// margin after k moves, summed in any order from at most n + 1 terms, is
// within ρ = γ_{n+1}(|v| + 2Σ|αᵢ|) of its exact value; the two totals T_j
// differ by at most γ·6Σ|αᵢ|, which moves t_j by coef times that, besides
// t_j's own roundings. If the computed margins just before and at the
// crossing lie farther from t_j than twice ρ plus that, every summation
// order decides every prefix alike (the exact margins fall with k), and the
// answer is the straightforward one. Where they do not, the caller's own
// computation decides that rival (Fewest's fallback): the answers are those
// of the straightforward computation bit for bit. The bounds on m_j that
// skip rivals are taken with the same band, so that they hold for any
// summation order too.
type Greedy struct {
	alpha   []float64
	y       []int
	classes int
	scores  []float64
	abs     float64
	class   int
	top     int // key of twice the largest |αᵢ|: gain bucket b holds the gains of key top − b

	hist  []int32   // per class and sign (αᵢ > 0, αᵢ < 0, αᵢ = 0): counts of |αᵢ| by bucket, rows of rowLen
	sums  []float64 // per class: Σ αᵢ over αᵢ > 0, Σ |αᵢ| over αᵢ < 0
	other []int32   // rowLen: the counts of hist summed over the classes other than class and both signs

	rivals []rival   // per class; the entry of class is unused
	pool   []int32   // points whose moves may lie above the deepest bucket sought
	list   []Move    // the moves collected for the rivals evaluated, rival by rival
	cands  []float64 // one rival's moves between its first and last buckets
}

// Move is one relabelling of the greedy order towards a rival: training
// point Index lowers the margin by Gain > 0.
type Move struct {
	Gain  float64
	Index int32
}

// rival is what Fewest knows of one rival.
type rival struct {
	v, t, total  float64 // margin, threshold, Σ moves
	dt, band     float64 // bounds on the threshold's rounding and on that of any prefix margin with it
	lower, upper int     // bounds on the answer
	first, last  int     // the buckets where the crossing may lie
	state        int     // the answer, or a state below
	lo, hi       int     // its moves in Greedy.list, unordered, the crossing among them
	count        int     // its number of moves
}

// Fewest's states of a rival besides an answer m ≥ 0.
const (
	none      = -1 // every move together does not reach the threshold
	Skipped   = -2 // provably needs more moves than another rival
	pending   = -3 // to be evaluated
	ambiguous = -4
)

const (
	subBits   = 3              // buckets per octave: 2^subBits
	perOctave = 1 << subBits   // a gain 2|αᵢ| lies this many buckets above |αᵢ|
	keyShift  = 52 - subBits   // key(x) = bits of x >> keyShift
	depth     = 24 * perOctave // gain buckets, the last one a floor for everything smaller
	rowLen    = depth + perOctave
	// slackRel absorbs the rounding of the bounds' own sums (of at most
	// depth products of a count and an edge).
	slackRel = 1e-12
	// minScale is the smallest largest |αᵢ| that Reset buckets: every bucket
	// above the floor then holds normal numbers, whose doubles lie exactly
	// perOctave buckets higher.
	minScale = 0x1p-990
)

// key returns the bucket key of x ≥ 0: nondecreasing in x and equal within
// an eighth of an octave. For normal x and 2x, key(2x) = key(x) + perOctave.
func key(x float64) int { return int(math.Float64bits(x) >> keyShift) }

// edge returns the smallest value of key k, the lower edge of its bucket.
func edge(k int) float64 { return math.Float64frombits(uint64(k) << keyShift) }

// Reset analyses the kernel vector alpha with labels y (each in
// 0..classes−1), classes ≥ 3: the one-hot scores s_c = Σᵢ αᵢ1[yᵢ = c] and
// Σᵢ|αᵢ|, summed in index order, the class (the argmax of the scores, ties to
// the lowest index), and the buckets. It keeps alpha and y until the next
// Reset. It costs two passes over alpha; below a largest |αᵢ| of 2⁻⁹⁹⁰ it
// does not bucket, and Fewest leaves every rival to its fallback. It panics if the lengths differ,
// classes < 3, a label is outside 0..classes−1 or alpha is not finite.
func (g *Greedy) Reset(alpha []float64, y []int, classes int) {
	switch {
	case len(alpha) != len(y):
		panic("exact: len(alpha) != len(y)")
	case classes < 3:
		panic("exact: Greedy needs at least three classes")
	}
	g.alpha, g.y, g.classes = alpha, y, classes
	g.scores = slices.Grow(g.scores[:0], classes)[:classes]
	clear(g.scores)
	var top uint64 // the bits of the largest |αᵢ| shifted left by one: integer order is their order
	for i, a := range alpha {
		if y[i] < 0 || y[i] >= classes {
			panic("exact: label outside 0..classes−1")
		}
		g.scores[y[i]] += a
		top = max(top, math.Float64bits(a)<<1)
	}
	largest := math.Float64frombits(top >> 1)
	checkFinite(largest)
	g.class = decide.Argmax(g.scores)
	g.hist = slices.Grow(g.hist[:0], 3*classes*rowLen)[:3*classes*rowLen]
	clear(g.hist)
	g.sums = slices.Grow(g.sums[:0], 2*classes)[:2*classes]
	clear(g.sums)
	g.top = -1
	if largest >= minScale {
		g.top = key(2 * largest)
	}
	// Σ|αᵢ| is summed here, in index order, where its chain of additions
	// overlaps the counting. Below minScale there is nothing to count.
	hist, sums, top2, abs := g.hist, g.sums, max(g.top, 0), 0.0
	for i, a := range alpha {
		bits := math.Float64bits(a)
		sign := int(bits >> 63)
		mag := math.Abs(a)
		abs += mag
		s := min(top2-int(bits<<1>>(keyShift+1)), rowLen-1)
		row := 3*y[i] + sign
		if mag == 0 || s < 0 {
			row, s = 3*y[i]+2, 0
		}
		hist[row*rowLen+s]++
		sums[2*y[i]+sign] += mag
	}
	checkFinite(2 * abs)
	g.abs = abs
	g.other = slices.Grow(g.other[:0], rowLen)[:rowLen]
	clear(g.other)
	for k := range classes {
		if k == g.class {
			continue
		}
		pos, neg := g.row(k, 0), g.row(k, 1)
		for s := range rowLen {
			g.other[s] += pos[s] + neg[s]
		}
	}
}

// On reports whether the last Reset was on these very slices (the same
// arrays and lengths, n ≥ 1) and number of classes. It cannot tell whether
// their contents changed since.
func (g *Greedy) On(alpha []float64, y []int, classes int) bool {
	return len(alpha) > 0 && len(alpha) == len(g.alpha) && len(y) == len(g.y) && classes == g.classes &&
		&alpha[0] == &g.alpha[0] && &y[0] == &g.y[0]
}

// row returns the bucket counts of class k's |αᵢ| with sign 0 (αᵢ > 0) or 1
// (αᵢ < 0), indexed by top − key(|αᵢ|) (clamped to the last entry).
func (g *Greedy) row(k, sign int) []int32 {
	return g.hist[(3*k+sign)*rowLen : (3*k+sign+1)*rowLen]
}

// Scores returns the one-hot scores of the last Reset, summed in index
// order; the slice is reused by the next Reset.
func (g *Greedy) Scores() []float64 { return g.scores }

// Class returns the argmax of Scores, ties to the lowest index.
func (g *Greedy) Class() int { return g.class }

// AbsSum returns Σᵢ|αᵢ|, summed in index order.
func (g *Greedy) AbsSum() float64 { return g.abs }

// Fewest sets m[j], for every rival j ≠ Class() (m[Class()] is left alone),
// to the fewest moves of the greedy order towards j whose gains, taken from
// the margin v_j = s_class − s_j, leave it at most
//
//	t_j = base + coef·(Σᵢ|αᵢ| + T_j),  T_j the sum of every move towards j,
//
// −1 if all of them do not, or Skipped if j provably needs more than some
// other rival (so that the fewest over the rivals, and the lowest rival that
// attains it, are those of the full computation). Where rounding could decide
// an answer, m[j] = fallback(j), which must be the caller's own computation
// for that rival. m must have length classes.
//
// The moves towards j (docs/science.md §8): 2αᵢ for yᵢ = class, αᵢ > 0;
// −2αᵢ for yᵢ = j, αᵢ < 0; |αᵢ| for yᵢ ∉ {class, j}, αᵢ ≠ 0.
func (g *Greedy) Fewest(base, coef float64, fallback func(rival int) int, m []int) {
	if len(m) != g.classes {
		panic(fmt.Sprintf("exact: %d answers for %d classes", len(m), g.classes))
	}
	g.rivals = slices.Grow(g.rivals[:0], g.classes)[:g.classes]
	if g.top < 0 { // too small to bucket
		for j := range m {
			g.rivals[j] = rival{}
			if j != g.class {
				m[j] = fallback(j)
			}
		}
		return
	}
	n := len(g.alpha)
	gamma := roundoff.Gamma(2*n + 4*g.classes + 4)
	c := g.class
	otherSum := 0.0
	for k := range g.classes {
		if k != c {
			otherSum += g.sums[2*k] + g.sums[2*k+1]
		}
	}
	upper := math.MaxInt
	for j := range g.rivals {
		r := &g.rivals[j]
		*r = rival{state: pending}
		if j == c {
			continue
		}
		r.v = g.scores[c] - g.scores[j]
		r.total = (2*g.sums[2*c] + 2*g.sums[2*j+1]) + (otherSum - g.sums[2*j] - g.sums[2*j+1])
		r.t = base + coef*(g.abs+r.total)
		// The band of the type's comment, each term doubled for the rounding
		// of the bound itself and of the comparisons' subtractions; the
		// absolute terms cover underflow.
		r.dt = 2*(coef*(6*gamma*g.abs+8*roundoff.Unit*(g.abs+r.total))+8*roundoff.Unit*math.Abs(r.t)) + 0x1p-1060
		r.band = 4*gamma*(math.Abs(r.v)+2*g.abs) + r.dt + 0x1p-1000
		g.bound(j, r)
		switch r.state {
		case pending:
			upper = min(upper, r.upper)
		case 0:
			upper = 0
		}
	}
	g.list = g.list[:0]
	g.collect(upper)
	for j := range g.rivals {
		r := &g.rivals[j]
		switch {
		case j == c:
			continue
		case r.state == pending && r.lower > upper:
			r.state = Skipped
		case r.state == pending:
			g.walk(j, r)
		}
		if r.state == ambiguous {
			r.state = fallback(j)
		}
		m[j] = r.state
	}
}

// bound sets a rival's answer if its margin or total settles it, and
// otherwise bounds it from the buckets: lower and upper bound the answer of
// any summation order, first and last are the buckets where the crossing may
// lie, and count is the number of its moves.
func (g *Greedy) bound(j int, r *rival) {
	// v itself is the same in every computation: only t_j's rounding can
	// decide whether it is past the threshold.
	switch x := r.v - r.t; {
	case x <= -r.dt:
		r.state = 0
		return
	case x <= r.dt:
		r.state = ambiguous
		return
	}
	switch x := (r.v - r.total) - r.t; {
	case x > r.band:
		r.state = none
		return
	case x >= -r.band:
		r.state = ambiguous
		return
	}
	need := r.v - r.t
	needLo, needHi := need-r.band, need+r.band
	c := g.class
	own, pos, neg := g.row(c, 0), g.row(j, 0), g.row(j, 1)
	r.first, r.last = -1, -1
	var count int
	var sumLo, sumHi float64
	for b := range depth {
		var cnt int32
		if b < depth-1 {
			cnt = own[b+perOctave] + g.other[b] - pos[b] - neg[b] + neg[b+perOctave]
		} else { // the floor: every smaller gain
			cnt = own[rowLen-1] + neg[rowLen-1]
			for s := depth - 1; s < rowLen; s++ {
				cnt += g.other[s] - pos[s] - neg[s]
			}
		}
		if cnt == 0 {
			continue
		}
		lo, hi := edge(g.top-b), edge(g.top-b+1)
		if b == depth-1 {
			lo = 0
		}
		if r.first < 0 && (sumHi+float64(cnt)*hi)*(1+slackRel) >= needLo {
			r.first = b
			r.lower = count + max(1, int(math.Ceil((needLo-sumHi*(1+slackRel))/(hi*(1+slackRel)))))
		}
		if r.last < 0 && lo > 0 && (sumLo+float64(cnt)*lo)*(1-slackRel) >= needHi {
			r.last = b
			r.upper = min(count+int(cnt), count+int(math.Ceil((needHi-sumLo*(1-slackRel))/(lo*(1-slackRel)))))
		}
		count += int(cnt)
		sumLo += float64(cnt) * lo
		sumHi += float64(cnt) * hi
	}
	r.count = count
	switch {
	case r.first < 0:
		// The total says the crossing exists, while the buckets cannot
		// reach it: only rounding of the bounds could do that.
		r.state = ambiguous
	case r.last < 0:
		// The crossing needs moves of the floor.
		r.last, r.upper = depth-1, count
	}
}

// collect gathers in g.pool every point that may give a move in the
// buckets up to the deepest last of the rivals that can attain upper.
func (g *Greedy) collect(upper int) {
	deepest := -1
	for j := range g.rivals {
		if r := &g.rivals[j]; j != g.class && r.state == pending && r.lower <= upper {
			deepest = max(deepest, r.last)
		}
	}
	g.pool = g.pool[:0]
	if deepest < 0 {
		return
	}
	// A point's largest move is at most 2|αᵢ|, so 2|αᵢ| ≥ the lower edge.
	cut := edge(g.top-deepest) / 2
	if deepest == depth-1 {
		cut = math.SmallestNonzeroFloat64
	}
	for i, a := range g.alpha {
		if math.Abs(a) >= cut {
			g.pool = append(g.pool, int32(i))
		}
	}
}

// walk evaluates a rival from the pool: it takes the moves above its first
// bucket from the margin, keeps every move down to its last bucket in
// g.list for Top, and finds the crossing among those below first by a
// quickselect.
func (g *Greedy) walk(j int, r *rival) {
	above := edge(g.top - r.first + 1) // moves at least this large lie above first
	low := edge(g.top - r.last)
	if r.last == depth-1 {
		low = math.SmallestNonzeroFloat64
	}
	r.lo = len(g.list)
	g.cands = g.cands[:0]
	c := g.class
	x := r.v
	taken := 0
	for _, i := range g.pool {
		a, k := g.alpha[i], g.y[i]
		var gain float64
		switch {
		case k == c && a > 0:
			gain = 2 * a
		case k == j && a < 0:
			gain = -2 * a
		case k != c && k != j:
			gain = math.Abs(a)
		}
		switch {
		case gain >= above:
			x -= gain
			taken++
		case gain >= low && gain > 0:
			g.cands = append(g.cands, gain)
		default:
			continue
		}
		g.list = append(g.list, Move{gain, i})
	}
	r.hi = len(g.list)
	r.state = ambiguous
	if x-r.t <= r.band {
		return // crossed above first: the bounds were wrong
	}
	m, before, after := quickselect(g.cands, x, r.t)
	if m > 0 && after-r.t <= -r.band && before-r.t > r.band {
		r.state = taken + m
	}
}

// Top returns the moves towards rival that Fewest collected, in no
// particular order: every move down to a gain below that of the m[rival]-th
// of the greedy order, so that the first m[rival] moves of the greedy order
// are the first of these. It returns nil if Fewest did not evaluate that
// rival itself (an answer of 0, −1, Skipped or the fallback's), and count,
// the number of all moves towards rival. The slice aliases the Greedy's
// memory until the next Fewest.
func (g *Greedy) Top(rival int) (moves []Move, count int) {
	r := &g.rivals[rival]
	if rival == g.class || r.state <= 0 {
		return nil, r.count
	}
	return g.list[r.lo:r.hi], r.count
}
