package whitebox

import (
	"math"
	"slices"
)

// maxPasses caps the exact passes spent on one rival; every t gives a valid
// bound, so a capped search costs tightness, never soundness.
const maxPasses = 16

// tolerance is the gap between a rival's bound and a certified lower bound
// on its optimum at which LogBounds stops minimising it.
const tolerance = 1e-10

// negligible is the default of Certifier.Negligible: e^{−30} of the union
// at most.
const negligible = 30

// negligible returns how far below the union a rival's bound may lie before
// the search stops spending passes on it.
func (cz *Certifier) negligible() float64 {
	if cz.Negligible > 0 {
		return cz.Negligible
	}
	return negligible
}

// rival is the minimisation of one rival's exponent (binary: the one other
// class) over t, with the walk of its largest increments at the current t.
type rival struct {
	j              int
	slope0, curve0 float64 // ψ′(0) + E and ψ″(0)
	rMax           int     // no r ≥ rMax is certifiable (the mean margin is gone)
	t              float64
	psi, d1, d2    float64 // ψ_j and its derivatives at t, unpadded
	passes         int

	// The rival's two streams of helpful moves (binary: one), as segment
	// lists and materialised sizes, decreasing; cur counts the terms of each
	// segment the streams have taken.
	segList [2][]int
	arr     [2][]float64
	cur     []int

	// The walk at t: the largest increments in decreasing order, merged
	// from the streams; cum, c1, c2 at r are the sums of δ, a·δ′ and a²·δ″
	// over its first r moves.
	pos         [2]int
	head        [3][2]float64 // δ, a·δ′, a²·δ″ of each stream's next move
	known       [2]bool       // head holds the next move
	done        [2]bool       // the stream has no move left
	cum, c1, c2 []float64
	exhausted   bool // every helpful move is in the walk
	recorded    int  // how many of the walk's bounds are in best

	best []float64 // at r: the smallest padded bound met at any t
	tail float64   // the smallest padded bound met by an exhausted walk

	lo, hi float64 // Newton's bracket for target
	target int
}

// initRivals sets up the rivals of class c: their exponents' slope and
// curvature at t = 0 from the segments' sums, the most dangerous first. A
// rival whose padded slope at 0 is not negative has the bound 1 at every r
// (a tie of the expected scores, or a margin the kernel error could erase):
// it is listed in cz.trivial instead, and initRivals returns trivial.
func (cz *Certifier) initRivals() status {
	pr := &cz.pr
	cz.rivals = cz.rivals[:0]
	cz.order = cz.order[:0]
	cz.trivial = cz.trivial[:0]
	cz.index = grow(cz.index, pr.classes)
	for j := range pr.classes {
		cz.index[j] = -1
		if j == pr.c {
			continue
		}
		slope, curve := pr.a0+pr.slope, 0.0
		for g, sg := range cz.segs {
			_, wb, w0, ws := pr.segLaw(g, j).at(1)
			m, v := moments(wb, w0, ws)
			slope += m * sg.sum
			curve += v * sg.sumSq
		}
		if !(slope < 0 && curve > 0) {
			cz.trivial = append(cz.trivial, j)
			continue
		}
		idx := len(cz.rivals)
		cz.index[j] = idx
		if idx < cap(cz.rivals) {
			cz.rivals = cz.rivals[:idx+1]
		} else {
			cz.rivals = append(cz.rivals, rival{})
		}
		rv := &cz.rivals[idx]
		*rv = rival{
			j: j, slope0: slope, curve0: curve,
			segList: [2][]int{rv.segList[0][:0], rv.segList[1][:0]},
			arr:     [2][]float64{rv.arr[0][:0], rv.arr[1][:0]},
			cur:     grow(rv.cur, len(cz.segs)),
			cum:     rv.cum[:0], c1: rv.c1[:0], c2: rv.c2[:0],
			best: rv.best[:0], tail: math.Inf(1), target: -1,
		}
		clear(rv.cur)
		if pr.binary {
			rv.segList[0] = append(rv.segList[0], 0, 3) // label 0 with s·α > 0, label 1 with s·α < 0
		} else {
			rv.segList[0] = append(rv.segList[0], 2*pr.c, 2*j+1)
			for k := range pr.classes {
				if k != pr.c && k != j {
					rv.segList[1] = append(rv.segList[1], 2*k, 2*k+1)
				}
			}
		}
		cz.order = append(cz.order, idx)
	}
	slices.SortStableFunc(cz.order, func(a, b int) int {
		ea, eb := cz.rivals[a].estimate(), cz.rivals[b].estimate()
		switch {
		case ea > eb:
			return -1
		case ea < eb:
			return 1
		}
		return 0
	})
	// Only the smallest rMax limits the union, so each rival's is sought no
	// further than the smallest found before it.
	limit := pr.n + 1
	for _, idx := range cz.order {
		rv := &cz.rivals[idx]
		rv.rMax = cz.meanDepth(rv, limit)
		limit = min(limit, rv.rMax)
	}
	if len(cz.trivial) > 0 {
		return trivial
	}
	return normal
}

// estimate is the Gaussian estimate −ψ′(0)²/(2ψ″(0)) of the rival's clean
// exponent: the larger, the more dangerous.
func (rv *rival) estimate() float64 { return -rv.slope0 * rv.slope0 / (2 * rv.curve0) }

// meanDepth returns the fewest moves after which the rival's padded slope at
// t = 0 is no longer negative, or limit if that is not before limit: each move raises it by κ times its gain (2|αᵢ| for a move of
// favours → opposes, |αᵢ| otherwise), and past that point every exponent of
// the worst relabelling is at least its value 0 at t = 0, so no r from there
// on is certified. The moves are taken by gain, the order of the walk as
// t → 0.
func (cz *Certifier) meanDepth(rv *rival, limit int) int {
	pr := &cz.pr
	need := -rv.slope0 / pr.kinds[0].kappa
	scale := [2]float64{1, 1}
	if !pr.binary {
		scale[0] = 2
	}
	var i [2]int
	for r := 0; r+1 < limit; r++ {
		best, gain := -1, 0.0
		for s := range 2 {
			if a, ok := cz.element(rv, s, i[s]); ok && scale[s]*a > gain {
				best, gain = s, scale[s]*a
			}
		}
		if best < 0 {
			break
		}
		if need -= gain; need <= 0 {
			return r + 1
		}
		i[best]++
	}
	return limit
}

// element returns the i-th size of stream s of the rival, materialising the
// stream as far as that (false if the stream has fewer).
func (cz *Certifier) element(rv *rival, s, i int) (float64, bool) {
	for len(rv.arr[s]) <= i {
		pick, top := -1, 0.0
		for _, g := range rv.segList[s] {
			sg := &cz.segs[g]
			next := sg.start + rv.cur[g]
			if next >= sg.end {
				continue
			}
			for sg.sorted <= next {
				cz.sortBucket(g)
			}
			if a := cz.abs[next]; pick < 0 || a > top {
				pick, top = g, a
			}
		}
		if pick < 0 {
			return 0, false
		}
		rv.cur[pick]++
		rv.arr[s] = append(rv.arr[s], top)
	}
	return rv.arr[s][i], true
}

// moveTo sets the rival's t and its exponent there, and restarts its walk.
func (cz *Certifier) moveTo(rv *rival, t, psi, d1, d2 float64) {
	rv.t, rv.psi, rv.d1, rv.d2 = t, psi, d1, d2
	rv.pos, rv.known, rv.done = [2]int{}, [2]bool{}, [2]bool{}
	rv.cum = append(rv.cum[:0], 0)
	rv.c1 = append(rv.c1[:0], 0)
	rv.c2 = append(rv.c2[:0], 0)
	rv.exhausted = false
	rv.recorded = 0
}

// evaluate spends one pass on the rival at t.
func (cz *Certifier) evaluate(rv *rival, t float64) {
	psi, d1, d2 := cz.pass(rv.j, t)
	rv.passes++
	cz.moveTo(rv, t, psi, d1, d2)
}

// start evaluates every rival at its starting point: for K ≥ 3 one shared
// pass at the most dangerous rival's start, otherwise a pass at its start.
// atRadius starts where the bound is about ½ (the Gaussian model of the
// exponent, −m·t + v·t²/2 with minimum −m²/(2v) = log ½, is minimised at
// t = √(2 ln 2/v)) unless the clean minimiser m/v lies before it.
func (cz *Certifier) start(atRadius bool) {
	first := &cz.rivals[cz.order[0]]
	t := -first.slope0 / first.curve0
	if atRadius {
		t = min(t, math.Sqrt(2*math.Ln2/first.curve0))
	}
	if cz.pr.binary || len(cz.rivals) == 1 {
		cz.evaluate(first, t)
		return
	}
	cz.sharedPass(t, func(j int, psi, d1, d2 float64) {
		if idx := cz.index[j]; idx >= 0 {
			cz.moveTo(&cz.rivals[idx], t, psi, d1, d2)
		}
	})
	first.passes++
}

// walk extends the rival's walk at its t to depth moves, or until stop
// reports true for the last one, or until every helpful move is taken, and
// records the padded bounds it reaches.
func (cz *Certifier) walk(rv *rival, depth int, stop func(r int) bool) {
	pr := &cz.pr
	for r := len(rv.cum) - 1; r < depth && !rv.exhausted && !stop(r); r++ {
		pick := -1
		for s := range 2 {
			if !rv.known[s] && !rv.done[s] {
				a, ok := cz.element(rv, s, rv.pos[s])
				if !ok {
					rv.done[s] = true
					continue
				}
				d, d1, d2 := pr.kinds[s].delta(rv.t * a)
				rv.head[0][s], rv.head[1][s], rv.head[2][s] = d, a*d1, a*a*d2
				rv.known[s] = true
			}
			if rv.known[s] && (pick < 0 || rv.head[0][s] > rv.head[0][pick]) {
				pick = s
			}
		}
		if pick < 0 {
			rv.exhausted = true
			break
		}
		rv.cum = append(rv.cum, rv.cum[r]+rv.head[0][pick])
		rv.c1 = append(rv.c1, rv.c1[r]+rv.head[1][pick])
		rv.c2 = append(rv.c2, rv.c2[r]+rv.head[2][pick])
		rv.pos[pick]++
		rv.known[pick] = false
	}
	cz.record(rv)
}

// record folds the walk's bounds not yet recorded into best (and tail).
func (cz *Certifier) record(rv *rival) {
	for r := rv.recorded; r < len(rv.cum); r++ {
		v := cz.value(rv, r)
		if r < len(rv.best) {
			rv.best[r] = min(rv.best[r], v)
		} else {
			rv.best = append(rv.best, v)
		}
	}
	rv.recorded = len(rv.cum)
	if rv.exhausted {
		rv.tail = min(rv.tail, cz.value(rv, len(rv.cum)-1))
	}
}

// value returns the padded bound of the rival's walk at its t after r moves
// (docs/science.md §14): ψ raised by its rounding pad and by t·E, plus the
// sum of the r increments raised by its relative error, plus 2⁻⁵⁰ of the
// sizes for the few roundings of these additions.
func (cz *Certifier) value(rv *rival, r int) float64 {
	pr := &cz.pr
	t := rv.t
	lift := pr.pad + pr.padPerT*t + pr.slope*t
	c := rv.cum[r]
	v := rv.psi + lift + c*(1+pr.walkErr(r, t))
	return v + 0x1p-50*(math.Abs(rv.psi)+lift+c)
}

// slopes returns the padded exponent's first two derivatives in t after r
// moves of the walk (the last one if the walk is shorter).
func (cz *Certifier) slopes(rv *rival, r int) (d1, d2 float64) {
	r = min(r, len(rv.cum)-1)
	return rv.d1 + cz.pr.slope + cz.pr.padPerT + rv.c1[r], rv.d2 + rv.c2[r]
}

// bestAt returns the smallest padded bound of the rival met at r, +Inf if
// none (an exhausted walk's last bound holds for every larger r).
func (rv *rival) bestAt(r int) float64 {
	v := rv.tail
	if r < len(rv.best) {
		v = min(v, rv.best[r])
	}
	return v
}

// predicted returns the Newton model's minimum of the rival's padded
// exponent after r moves, from its walk at t: f − f′²/(2f″).
func (cz *Certifier) predicted(rv *rival, r int) float64 {
	r = min(r, len(rv.cum)-1)
	f := cz.value(rv, r)
	d1, d2 := cz.slopes(rv, r)
	if !(d2 > 0) {
		return f
	}
	return f - d1*d1/(2*d2)
}

// lower returns a certified lower bound on min_t of the rival's exponent
// after r moves from its walk at t (up to rounding, which only costs
// tightness here): the worst relabelling at t, F, is one set, ψ_F ≤ the
// exponent at every t, and ψ_F″ varies at rate at most B, so one pass bounds
// min ψ_F as in package analytic's search: with c = |ψ′|B/ψ″ < 1,
// min ψ_F ≥ ψ − ψ″/B²·(c + (1−c)·log1p(−c)).
func (cz *Certifier) lower(rv *rival, r int) float64 {
	r = min(r, len(rv.cum)-1)
	f := cz.value(rv, r)
	d1, d2 := cz.slopes(rv, r)
	b := cz.pr.rate
	if !(d2 > 0) || !(b > 0) {
		return math.Inf(-1)
	}
	c, scale := math.Abs(d1)*b/d2, d2/(b*b)
	switch {
	case c < 1e-3:
		return f - scale*c*c*(1.0/2+c*(1.0/6+c*(1.0/12+c*(1.0/20+c/30))))
	case c < 1:
		return f - scale*(c+(1-c)*math.Log1p(-c))
	}
	return math.Inf(-1)
}

// newton returns the next t of the rival's minimisation of its exponent
// after target moves: Newton's step, kept inside the bracket that the signs
// of the slopes met since target was set give, else doubling or bisection.
func (cz *Certifier) newton(rv *rival, target int) float64 {
	if rv.target != target {
		rv.target, rv.lo, rv.hi = target, 0, math.Inf(1)
	}
	d1, d2 := cz.slopes(rv, target)
	t := rv.t
	if d1 < 0 {
		rv.lo = max(rv.lo, t)
	} else {
		rv.hi = min(rv.hi, t)
	}
	next := t - d1/d2
	if !(next > rv.lo && next < rv.hi) {
		if math.IsInf(rv.hi, 1) {
			next = 2 * t
		} else {
			next = rv.lo + (rv.hi-rv.lo)/2
		}
	}
	return next
}

// union returns the padded union bound log Σ_j e^{v_j} of the rivals'
// bounds v_j (as logs), raised by a few ulps of its size.
func union(vals []float64) float64 {
	top := math.Inf(-1)
	for _, v := range vals {
		top = max(top, v)
	}
	if math.IsInf(top, 0) {
		return top
	}
	var sum float64
	for _, v := range vals {
		sum += math.Exp(v - top)
	}
	u := top + math.Log(sum)
	return u + 0x1p-50*(math.Abs(u)+float64(len(vals)+1))
}

// unionAt returns the union of the rivals' best bounds at r.
func (cz *Certifier) unionAt(r int, at func(rv *rival, r int) float64) float64 {
	cz.vals = cz.vals[:0]
	for i := range cz.rivals {
		cz.vals = append(cz.vals, at(&cz.rivals[i], r))
	}
	return union(cz.vals)
}

func bestOf(rv *rival, r int) float64 { return rv.bestAt(r) }

// radius searches t and r for the largest certified r (docs/science.md
// §14). Each round walks every rival at its t, reads off the largest r whose
// union bound is below ½, picks the largest r the Newton models predict
// certifiable, and moves the rivals that matter towards the minimisers of
// their exponents at that r; it stops when a certified lower bound shows
// that one more relabelling cannot be certified, when no rival moves, or
// when the passes are spent.
func (cz *Certifier) radius() int {
	pr := &cz.pr
	cz.start(true)
	limit := pr.n
	for i := range cz.rivals {
		limit = min(limit, cz.rivals[i].rMax)
	}
	best := -1
	for {
		depth := cz.walkAll(limit)
		r, full := cz.crossing(depth)
		if full {
			return pr.n
		}
		best = max(best, r)
		if best >= limit-1 {
			return best // the mean margin is gone one relabelling further
		}
		next := best + 1
		if cz.unionAt(next, cz.lower) >= logHalf {
			return best
		}
		target := next
		for r := depth; r > next; r-- {
			if cz.unionAt(r, cz.predicted) < logHalf {
				target = r
				break
			}
		}
		if !cz.step(target) {
			return best
		}
	}
}

// walkAll walks every rival far enough to read the union at every r up to
// the returned depth, which is at most limit: a rival's walk stops where its
// Newton model predicts it alone cannot be certified, which bounds the
// union's depth for the rivals after it.
func (cz *Certifier) walkAll(limit int) int {
	depth := limit
	for _, idx := range cz.order {
		rv := &cz.rivals[idx]
		cz.walk(rv, depth, func(r int) bool { return cz.predicted(rv, r) >= logHalf })
		if !rv.exhausted {
			depth = min(depth, len(rv.cum)-1)
		}
	}
	// Rivals walked before the depth shrank reach it already; those after
	// it were walked to it.
	return depth
}

// crossing returns the largest r ≤ depth whose union of best bounds is below
// log ½ (−1 if none), and whether every rival's walk is exhausted with its
// last bounds' union below log ½, so that every number of relabellings is
// certified.
func (cz *Certifier) crossing(depth int) (int, bool) {
	full := true
	for i := range cz.rivals {
		full = full && !math.IsInf(cz.rivals[i].tail, 1)
	}
	if full && cz.unionAt(math.MaxInt, bestOf) < logHalf {
		return 0, true
	}
	for r := depth; r >= 0; r-- {
		if cz.unionAt(r, bestOf) < logHalf {
			return r, false
		}
	}
	return -1, false
}

// step moves each rival that matters at target (its predicted bound within
// e^{−30} of the union's) by one Newton step of its exponent after target
// moves, spending a pass each, and reports whether any moved.
func (cz *Certifier) step(target int) bool {
	u := cz.unionAt(target, cz.predicted)
	moved := false
	for _, idx := range cz.order {
		rv := &cz.rivals[idx]
		if rv.passes >= maxPasses || cz.predicted(rv, target) < u-cz.negligible() {
			continue
		}
		moved = cz.advance(rv, target) || moved
	}
	return moved
}

// advance moves rv by one Newton step of its exponent after target moves,
// spending a pass, unless the step is too small to change t; it reports
// whether rv moved.
func (cz *Certifier) advance(rv *rival, target int) bool {
	next := cz.newton(rv, target)
	if math.Abs(next-rv.t) <= 1e-12*rv.t {
		return false
	}
	cz.evaluate(rv, next)
	return true
}

// bounds minimises every non-trivial rival's exponent after r moves and
// returns the union of all rivals' bounds, capped at 0, filling dst as
// LogBounds documents (0 for the trivial rivals).
func (cz *Certifier) bounds(dst []float64, r int, enough func([]float64) bool) float64 {
	if len(cz.rivals) > 0 {
		cz.minimise(dst, r, enough)
	}
	cz.fill(dst, r)
	if len(cz.trivial) > 0 {
		return 0
	}
	return min(cz.unionAt(r, bestOf), 0)
}

// fill sets dst, if not nil, to the rivals' best bounds after r moves as
// LogBounds documents.
func (cz *Certifier) fill(dst []float64, r int) {
	if dst == nil {
		return
	}
	for i := range dst {
		dst[i] = math.Inf(-1)
	}
	for _, j := range cz.trivial {
		dst[j] = 0
	}
	for i := range cz.rivals {
		dst[cz.rivals[i].j] = min(cz.rivals[i].bestAt(r), 0)
	}
}

// minimise runs Newton steps on each rival that matters until its bound
// after r moves is certified within tolerance of its optimum, it stops
// moving, or its passes are spent — or until enough, if not nil, accepts
// the bounds found so far, filled into dst: after each round, and for r = 0,
// where a walk takes no move and only records the bound at the rival's t,
// after each pass.
func (cz *Certifier) minimise(dst []float64, r int, enough func([]float64) bool) {
	cz.start(r > 0)
	never := func(int) bool { return false }
	accepts := func() bool {
		cz.fill(dst, r)
		return enough(dst)
	}
	for {
		for _, idx := range cz.order {
			cz.walk(&cz.rivals[idx], r, never)
		}
		if enough != nil && accepts() {
			return
		}
		u := cz.unionAt(r, bestOf)
		moved := false
		for _, idx := range cz.order {
			rv := &cz.rivals[idx]
			b := rv.bestAt(r)
			if rv.passes >= maxPasses || b < u-cz.negligible() || b-cz.lower(rv, r) <= tolerance || !cz.advance(rv, r) {
				continue
			}
			moved = true
			if enough != nil && r == 0 {
				if cz.walk(rv, r, never); accepts() {
					return
				}
			}
		}
		if !moved {
			return
		}
	}
}
