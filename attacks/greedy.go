package attacks

import (
	"fmt"
	"math"

	"flipcert/internal/roundoff"
)

// greedy is the greedy order of Order for the pair of classes the smoothed
// attack moves between (docs/science.md §11), held so that a probe costs
// the moves it takes rather than a pass over every point.
//
// One pass over the points (see search.scan) counts them by label, sign and
// quarter octave of |α̂ᵢ| below max|α̂ᵢ|, with the sum of |α̂ᵢ| in each cell.
// A pair of classes turns the cells into buckets of moves by gain, largest
// first (a move of gain 2|α̂ᵢ| lies one octave above |α̂ᵢ|), which give the
// number of moves, the sums of their gains by bucket, and each bucket's
// place in moves. The moves themselves are placed, bucket by bucket, by a
// pass that takes the buckets as far as a prefix needs, and a bucket is
// sorted only when a prefix reaches into it: about the attack's size of
// moves is ever sorted. A prefix of it is the prefix of Order, which is
// unique (the order is strict).
type greedy struct {
	key rankKey

	// The scan of the points, for every pair of classes.
	scale  float64 // scale·scale2, powers of 2, bring max|α̂ᵢ| into [1, 2)
	scale2 float64
	top    uint64    // the quarter octave of 2·scale·max|α̂ᵢ|: bits >> 50
	count  []int32   // per segment 2k + σ (label k, sign σ) and cell of |α̂ᵢ|
	mass   []float64 // per segment and cell, Σ|α̂ᵢ|

	// The pair.
	class, rival int
	ends         []int32   // per bucket, its end in moves
	gains        []float64 // per bucket, Σ gain
	moves        []move    // buckets [0, placed) placed; moves[:sorted] in the order of Order
	placed       int
	slot         []int32 // per bucket, the next free place while placing
	sorted, next int     // moves[:sorted] are whole buckets, sorted; next is the next bucket to sort
	gainSum      float64 // Σ gain over every move
	sorter       moveSorter

	// history holds the calls that the attack as written with ranked would
	// have made on Attacker.rank since Smoothed last built it, for the rare
	// crossing whose answer rests on the rounding of partial sums (see
	// crossing and replay). Only Smoothed resets it.
	history []rankCall
}

const (
	// moveBuckets is the number of buckets of moves: quarter octaves
	// below the largest possible gain, 2·max|α̂ᵢ|, the last one taking
	// every gain below it by 2⁻⁴⁰ or more.
	moveBuckets = 160
	// cells is the number of cells of |α̂ᵢ| per segment: a gain 2|α̂ᵢ| lies
	// four quarter octaves above |α̂ᵢ|.
	cells = moveBuckets + 4
)

// cell returns the cell of a weight a ≠ 0: the quarter octaves of |a| below
// 2·max|α̂ᵢ|, at least 4, at most cells − 1. Scaled, every |a| within 41
// octaves of the largest is normal and exact, so that 2|a| lies four cells
// above |a|.
func (g *greedy) cell(a float64) int {
	ab := math.Float64bits(a*g.scale*g.scale2) &^ (1 << 63)
	return int(min(g.top-min(ab>>50, g.top), cells-1))
}

// rankCall is one call of a ranked: prefix(r) for r ≥ 0, else the
// crossing of search.predict at noise q.
type rankCall struct {
	r           int
	berryEsseen bool
	q           float64
}

// startScan clears the cells for K classes and the largest weight maxAbs.
func (g *greedy) startScan(classes int, maxAbs float64) {
	_, e := math.Frexp(maxAbs)
	g.scale, g.scale2 = math.Ldexp(1, (1-e)/2), math.Ldexp(1, (1-e)-(1-e)/2)
	g.top = math.Float64bits(2*maxAbs*g.scale*g.scale2) >> 50
	g.count = grow(g.count, 2*classes*cells)
	g.mass = grow(g.mass, 2*classes*cells)
	clear(g.count)
	clear(g.mass)
}

// pair sets the pair of classes from the scan of p: the buckets of moves of
// Order(…, class, rival), their sums and places, nothing placed yet.
func (g *greedy) pair(p RidgePoint, class, rival int) {
	g.key, g.class, g.rival = keyOf(p, class, rival), class, rival
	g.ends = grow(g.ends, moveBuckets)
	g.gains = grow(g.gains, moveBuckets)
	clear(g.ends)
	clear(g.gains)
	// Cell c of a segment holds moves of gain |α̂ᵢ| (bucket c, or the last)
	// or 2|α̂ᵢ| (bucket c − 4), or none.
	for seg := range 2 * p.Classes {
		k, sigma := seg/2, seg&1
		shift := 0
		switch {
		case k == class && sigma == 0, k == rival && sigma == 1:
			shift = 4
		case k == class || k == rival:
			continue // every relabelling raises the margin or leaves it
		}
		count, mass := g.count[seg*cells:(seg+1)*cells], g.mass[seg*cells:(seg+1)*cells]
		for c := shift; c < cells; c++ { // cells below 4 are empty
			b := min(c-shift, moveBuckets-1)
			g.ends[b] += count[c]
			g.gains[b] += mass[c] * float64(1+shift/4) // doubling is exact
		}
	}
	g.gainSum = 0
	pos := int32(0)
	for b := range moveBuckets {
		pos += g.ends[b]
		g.ends[b] = pos
		g.gainSum += g.gains[b]
	}
	g.moves = grow(g.moves, int(pos))
	g.placed, g.sorted, g.next = 0, 0, 0
}

// size returns the number of helpful moves.
func (g *greedy) size() int { return len(g.moves) }

// start returns where bucket b begins in moves.
func (g *greedy) start(b int) int {
	if b == 0 {
		return 0
	}
	return int(g.ends[b-1])
}

// place puts the moves of the buckets [placed, last] in their places, in
// index order within each bucket, by one pass over the points. It panics
// on a NaN weight, as ranked.build does.
func (g *greedy) place(p RidgePoint, last int) {
	first := g.placed
	g.slot = grow(g.slot, moveBuckets)
	for b := first; b <= last; b++ {
		g.slot[b] = int32(g.start(b))
	}
	// By segment, what turns a cell into a bucket: minus shift, then plus
	// skip, past every bucket for a segment whose moves lower nothing.
	var shift, skip [64]int
	k := p.Classes
	if 2*k > len(shift) {
		g.placeSlow(p, first, last)
		return
	}
	for seg := range 2 * k {
		l, sigma := seg/2, seg&1
		switch {
		case l == g.class && sigma == 0, l == g.rival && sigma == 1:
			shift[seg] = 4
		case l == g.class || l == g.rival:
			skip[seg] = 1 << 20
		}
	}
	// Only weights in the cells up to last + 4 have moves in the buckets up
	// to last: the others are passed over on one comparison with the
	// lower edge of that cell, unscaled where that is exact.
	floor := 0.0
	if cell := last + 4; cell < cells-1 {
		edge := math.Float64frombits((g.top - uint64(cell)) << 50)
		if f := edge / g.scale / g.scale2; f*g.scale*g.scale2 == edge {
			floor = f
		}
	}
	c, j := int32(g.class), int32(g.rival)
	for i, a := range p.Alpha {
		if math.Abs(a) < floor {
			continue
		}
		bits := math.Float64bits(a)
		seg := 2*p.Y[i] + int(bits>>63)
		b := min(g.cell(a)-shift[seg], moveBuckets-1) + skip[seg]
		if b > last || b < first || bits<<1 == 0 {
			if a != a {
				panic(fmt.Sprintf("attacks: kernel weight α[%d] is NaN", i))
			}
			continue
		}
		m := move{gain: math.Abs(a), index: int32(i), to: j}
		if shift[seg] == 4 {
			m.gain *= 2
		}
		if a < 0 {
			m.to = c
		}
		g.moves[g.slot[b]] = m
		g.slot[b]++
	}
	g.placed = last + 1
}

// placeSlow is place for more than 32 classes, with the moves' laws
// decided point by point.
func (g *greedy) placeSlow(p RidgePoint, first, last int) {
	c, j := int32(g.class), int32(g.rival)
	for i, a := range p.Alpha {
		k := p.Y[i]
		var m move
		switch {
		case k == g.class && a > 0:
			m = move{2 * a, int32(i), j}
		case k == g.rival && a < 0:
			m = move{-2 * a, int32(i), c}
		case k != g.class && k != g.rival && a > 0:
			m = move{a, int32(i), j}
		case k != g.class && k != g.rival && a < 0:
			m = move{-a, int32(i), c}
		case math.IsNaN(a):
			panic(fmt.Sprintf("attacks: kernel weight α[%d] is NaN", i))
		default:
			continue
		}
		shift := 0
		if m.gain != math.Abs(a) {
			shift = 4
		}
		if b := min(g.cell(a)-shift, moveBuckets-1); b >= first && b <= last {
			g.moves[g.slot[b]] = m
			g.slot[b]++
		}
	}
	g.placed = last + 1
}

// prefix returns the first m moves of Order (m ≤ size), placing and
// sorting the buckets it reaches: placing at least doubles the moves
// placed, so that a pass over the points serves many prefixes.
func (g *greedy) prefix(p RidgePoint, m int) []move {
	if m > g.start(g.placed) {
		last := g.placed
		for last < moveBuckets-1 && int(g.ends[last]) < max(m, 2*g.start(g.placed)) {
			last++
		}
		g.place(p, last)
	}
	for g.sorted < m {
		end := int(g.ends[g.next])
		g.sorter.sortMoves(g.moves[g.sorted:end])
		g.sorted, g.next = end, g.next+1
	}
	return g.moves[:m]
}

// crossing returns what ranked.crossing(v, t) returns on the same moves —
// the fewest m such that v minus the gains of the first m moves is below t
// (0 if v < t), −1 if all of them do not suffice — and true, or false where
// the rounding of partial sums could decide it. ranked forms its sums in an
// order that depends on the history of its selections; every such sum of
// moves, and v minus it, is within γ_{2n}·(|v| + Σ gain) of its exact
// value, and so are the ones formed here, so a crossing whose neighbouring
// partial sums clear t by twice that, plus slack, is every order's: slack
// allows for a t known to within slack.
func (g *greedy) crossing(p RidgePoint, v, t, slack float64) (int, bool) {
	if v < t {
		return 0, true
	}
	n := len(p.Alpha)
	err := 2*roundoff.Gamma(2*n+2*moveBuckets+64)*(math.Abs(v)+math.Abs(t)+g.gainSum) + slack
	// The bucket the crossing lies in, then the move.
	sum, b := 0.0, 0
	for ; b < moveBuckets && !(v-(sum+g.gains[b]) < t); b++ {
		sum += g.gains[b]
	}
	if b == moveBuckets {
		return -1, v-sum >= t+err
	}
	moves := g.prefix(p, int(g.ends[b]))
	for m := g.start(b); m < len(moves); m++ {
		next := sum + moves[m].gain
		if v-next < t {
			return m + 1, v-next < t-err && (m == 0 || v-sum >= t+err)
		}
		sum = next
	}
	return 0, false // the bucket's sum crossed, its moves one by one did not
}

// marginModel accumulates, in one pass over the points in index order, the
// sums the Gaussian model of search.predict takes: Σαᵢ, the sums of αᵢ
// labelled class and rival, and Var D and Σ E|·|³ of the margin's terms.
type marginModel struct {
	near, far, nearThird, farThird float64 // per unit weight: variance and third moment of a term
	own, riv, sum, v, third        float64
}

// newMarginModel returns an empty model for K classes at noise q
// (docs/science.md §8, §11): a term labelled class or rival has law
// (1−q, q−p, p) up to sign, the others (p, 1−2p, p), p = q/(K−1); for K = 2
// the binary score's Bernoulli(π) terms, doubled (D = 2S − 1).
func newMarginModel(classes int, q float64) marginModel {
	pr := q / float64(classes-1)
	a, b, c := 1-q, q-pr, pr // the law of a term labelled class
	m := marginModel{
		near:      (a+c)*b + 4*a*c,
		far:       2 * pr,
		nearThird: a*math.Pow(b+2*c, 3) + b*math.Pow(math.Abs(a-c), 3) + c*math.Pow(2*a+b, 3),
		farThird:  2 * pr,
	}
	if classes == 2 { // D = 2S − 1: twice a Bernoulli(π) term
		m.near, m.nearThird = 4*q*(1-q), 8*q*(1-q)*(q*q+(1-q)*(1-q))
	}
	return m
}

// add accounts for a point of weight x, labelled class (own), rival or
// neither.
func (m *marginModel) add(x float64, own, riv bool) {
	m.sum += x
	x2, x3 := x*x, x*x*math.Abs(x)
	switch {
	case own:
		m.own += x
		m.v += x2 * m.near
		m.third += x3 * m.nearThird
	case riv:
		m.riv += x
		m.v += x2 * m.near
		m.third += x3 * m.nearThird
	default:
		m.v += x2 * m.far
		m.third += x3 * m.farThird
	}
}
