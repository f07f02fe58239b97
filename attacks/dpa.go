package attacks

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"flipcert/dpa"
	"flipcert/internal/roundoff"

	"gonum.org/v1/gonum/mat"
)

// DPA attacks a Deep Partition Aggregation ensemble (docs/science.md §9,
// §11) at many test points at once, part by part: Ensemble.Kernel refits a
// part, so each part is refitted once per block of test points rather than
// once per point. Create it with NewDPA, call AddPart for every part (in any
// order, concurrently for distinct parts, each goroutine with its own
// DPAScratch), then Outcome and Explain for each point.
//
// The attack at a test point whose ensemble class is c: the rival t is the
// runner-up of the computed votes (ties to the lower index). Each part is
// judged from its kernel vector α at the point, with the bound E of
// ridge.Model.Kernel, its labels y and the margin μ = E + 8γ_{4n_j}Σ|α̂ᵢ| of
// its n_j points: it certainly votes its computed class if that class beats
// every other by more than μ, otherwise it is uncertain. A part whose
// computed vote is c is a candidate; its cost is the fewest moves of
// Order(α, y, K, c, t) after which t certainly wins, checked on scores
// recomputed from the attacked labels (so, for ridge, exactly what a refit
// on those labels scores, up to the margin). Turning a candidate moves one
// certain vote from c (or one uncertain vote) to a certain vote for t. With
// n′ the certain votes and f the uncertain ones, t provably beats c — the
// exact ensemble does not predict c — once
//
//	n′_t > n′_c + f   (n′_t ≥ n′_c + f if t < c),
//
// uncertain votes counted for c. So the attack turns the ⌈G/2⌉ cheapest
// candidates, G = n′_c + f − n′_t + 1[t > c] (ties of cost to the lower
// part), and Flips is the sum of their costs: a relabeled point changes the
// labels of its own part only, so the parts' attacks add up. Flips is −1 if
// too few candidates can be turned. Each turned part's vote is proven from
// recomputed scores and the count then proves the change: Proven is true
// whenever Flips ≥ 0.
type DPA struct {
	e       *dpa.Ensemble
	y       []int
	test    *mat.Dense
	points  *dpa.Points // test, prepared for dpa.Part.Kernels
	classes int
	from    []int   // per point: the class attacked
	rival   []int   // per point: the runner-up t
	status  []int8  // at j·m + i: part j's vote at point i if certain, −1 − vote if not, empty if the part is
	cost    []int32 // at j·m + i: the cost of turning part j at point i to t, −1 if it is no candidate or cannot
}

// empty marks a status of an empty part, which casts no vote.
const empty = math.MinInt8

// kernelFloats caps the kernel vectors a DPAScratch holds: blocks of test
// points are sized so that a block's kernel has at most this many entries
// (8 MB); with k ≥ 10 parts on MNIST 1/7 one block holds every test point.
const kernelFloats = 1 << 20

// partPoints caps the test points whose kernel vectors AddPart forms at once:
// the products then stay in the cache.
const partPoints = 1024

// NewDPA prepares the attacks on ensemble e, fitted on labels y, at the rows
// of test, with each point's class and rival as e.Certify(test) reports
// them (res[i].Class and res[i].Rival). It panics if y, test or res do not
// match the ensemble or each other, a class or rival is out of range, a
// rival is the class, or K > 127.
func NewDPA(e *dpa.Ensemble, y []int, test *mat.Dense, res []dpa.Result) *DPA {
	from := make([]int, len(res))
	for i, r := range res {
		from[i] = r.Class
	}
	a := newDPA(e, y, test, from)
	for i, r := range res {
		if r.Rival < 0 || r.Rival >= a.classes || r.Rival == r.Class {
			panic(fmt.Sprintf("attacks: rival %d of test point %d with class %d", r.Rival, i, r.Class))
		}
		a.rival[i] = r.Rival
	}
	return a
}

// newDPA checks the arguments of NewDPA and allocates the attack.
func newDPA(e *dpa.Ensemble, y []int, test *mat.Dense, from []int) *DPA {
	m, _ := test.Dims()
	k, classes := e.Parts(), e.Classes()
	if len(from) != m || classes > math.MaxInt8 {
		panic(fmt.Sprintf("attacks: %d classes for %d test points, K = %d", len(from), m, classes))
	}
	for i, c := range from {
		if c < 0 || c >= classes {
			panic(fmt.Sprintf("attacks: class %d of test point %d outside 0..%d", c, i, classes-1))
		}
	}
	for j := range k {
		for _, i := range e.Members(j) {
			if i >= len(y) || y[i] < 0 || y[i] >= classes {
				panic(fmt.Sprintf("attacks: labels do not match the ensemble at training point %d", i))
			}
		}
	}
	return &DPA{e: e, y: y, test: test, points: dpa.NewPoints(test), classes: classes, from: from, rival: make([]int, m),
		status: make([]int8, k*m), cost: make([]int32, k*m)}
}

// DPAScratch is one goroutine's memory for DPA.AddPart and DPA.Explain.
// The zero value is ready to use.
type DPAScratch struct {
	kernel    []float64
	errs, dev []float64
	labels    []int // the part's labels, then attacked
	own       []int // the part's clean labels
	scores    []float64
	rank      ranked
	members   []int
	part      dpa.Part
	old       []float64 // kernel vectors of the solve per point at test points oldLo…oldHi−1
	oldErrs   []float64
	oldLo     int
	oldHi     int
	refits    int // points whose part was judged from the solve per point
}

// AddPart computes part j's vote and, where it is a candidate, its cost at
// every test point: one refit of the part (dpa.Ensemble.Refit, O(n_j d² +
// d³)), then per block of test points one product for their kernel vectors
// (dpa.Part.Kernels, O(n_j d) per point) and O(n_j) per point plus a
// selection of the moves taken where it is a candidate. The votes and costs
// are those of the part's kernel vectors as Ensemble.Kernel computes them (a
// solve per point): the faster kernel vectors differ from those by less than
// a bound dev, and where a comparison of the attack lies within that reach
// of its threshold the point's kernel vector is computed by a solve
// (docs/science.md §11, "DPA"). Calls for distinct parts may run
// concurrently, each with its own scratch. It panics unless 0 ≤ j < k.
func (a *DPA) AddPart(j int, s *DPAScratch) {
	m, _ := a.test.Dims()
	status, cost := a.status[j*m:(j+1)*m], a.cost[j*m:(j+1)*m]
	part := &s.part
	if !a.e.Refit(j, part) {
		for i := range m {
			status[i], cost[i] = empty, -1
		}
		return
	}
	s.oldLo, s.oldHi = 0, 0 // no kernel vectors of the solve per point yet
	s.members = append(s.members[:0], a.e.Members(j)...)
	s.own = s.own[:0]
	for _, i := range s.members {
		s.own = append(s.own, a.y[i])
	}
	nj := len(s.members)
	block := max(1, min(m, partPoints, kernelFloats/nj))
	s.kernel = grow(s.kernel, block*nj)
	s.errs, s.dev = grow(s.errs, block), grow(s.dev, block)
	for lo := 0; lo < m; lo += block {
		hi := min(lo+block, m)
		alpha := mat.NewDense(hi-lo, nj, s.kernel[:(hi-lo)*nj])
		part.Kernels(alpha, a.points, lo, hi, s.errs[:hi-lo], s.dev[:hi-lo])
		for i := lo; i < hi; i++ {
			vote, sure, c, ok := s.quickCost(alpha.RawRowView(i-lo), s.errs[i-lo], s.dev[i-lo], a.classes, a.from[i], a.rival[i])
			if !ok {
				s.refits++
				vote, sure, c = s.oldCost(a, part, i)
			}
			status[i] = int8(vote)
			if !sure {
				status[i] = int8(-1 - vote)
			}
			cost[i] = int32(c)
		}
	}
}

// oldCost is partCost at test point i on part's kernel vector as the solve
// per point gives it: Ensemble.Kernel on the block of test points of
// kernelFloats that holds i. A row comes out the same alone as in its block
// unless there are more than gonumBlock features: gonum's product then sums
// each dot product in pieces of gonumBlock where it runs in parallel, which
// it does or not by the shape of the block. So with more features the whole
// block is computed, once per part, and otherwise the row alone.
func (s *DPAScratch) oldCost(a *DPA, part *dpa.Part, i int) (vote int, sure bool, cost int) {
	m, d := a.test.Dims()
	nj := part.Members()
	lo, hi := i, i+1
	if d > gonumBlock {
		block := max(1, min(m, kernelFloats/nj))
		lo = i / block * block
		hi = min(lo+block, m)
	}
	if lo != s.oldLo || hi != s.oldHi {
		s.old, s.oldErrs = grow(s.old, (hi-lo)*nj), grow(s.oldErrs, hi-lo)
		part.Kernel(mat.NewDense(hi-lo, nj, s.old), a.test.Slice(lo, hi, 0, d).(*mat.Dense), s.oldErrs)
		s.oldLo, s.oldHi = lo, hi
	}
	r := i - lo
	return s.partCost(s.old[r*nj:(r+1)*nj], s.oldErrs[r], a.y, a.classes, a.from[i], a.rival[i])
}

// gonumBlock is the side of the blocks of gonum's parallel matrix product.
const gonumBlock = 64

// quickCost is partCost on the kernel vector alpha of dpa.Part.Kernels with
// its bound alphaErr, where α̂ and E, those that partCost would be given,
// are within dev of alpha (in ‖·‖₁) and of alphaErr. It returns partCost's
// answers, or ok = false if a comparison they rest on lies within the band
// B = 8·dev + 32γ_{4n+4}(Σ|αᵢ| + dev) + 2⁻⁵⁰ of its threshold.
//
// Why B suffices. Every score or margin partCost compares is a sum of ±αᵢ,
// each point at most once, so its exact values at α and α̂ differ by at most
// dev, and each computed one, whatever the order of its additions, is
// within γ_{4n}·4Σ|αᵢ| of its exact value (as in margin); μ moves by at most
// |E − alphaErr| plus 8γ_{4n} times the change of Σ|αᵢ|. So a comparison
// that clears its threshold by more than B here goes the same way in
// partCost, even where partCost recomputes scores that are updated here.
// A move's gain, 2|αᵢ| or |αᵢ|, moves by at most 2dev, so where the k-th and
// (k+1)-th largest gains differ by more than B, and the k-th exceeds B, the
// first k moves are the same set for α̂ (a point whose move only α̂ has
// gains at most 4dev): the greedy walk then takes the same moves and its
// margins before and at the crossing lie on the same sides. The absolute
// 2⁻⁵⁰ covers the rounding of ½ ± μ.
func (s *DPAScratch) quickCost(alpha []float64, alphaErr, dev float64, classes, from, rival int) (vote int, sure bool, cost int, ok bool) {
	n := len(alpha)
	s.scores = grow(s.scores, classes)
	clear(s.scores)
	abs := 0.0
	for i, v := range alpha {
		abs += math.Abs(v)
		s.scores[s.own[i]] += v
	}
	mu := margin(alphaErr, n, abs)
	band := 8*dev + 32*roundoff.Gamma(4*n+4)*(abs+dev) + 0x1p-50
	vote = top(s.scores, classes)
	ahead := lead(s.scores, classes, vote)
	if ahead <= band || math.Abs(ahead-mu) <= band {
		return 0, false, 0, false
	}
	sure = ahead > mu
	if vote != from {
		return vote, sure, -1, true
	}
	moves := s.collect(alpha, from, rival)
	// The crossing of partCost, found by a walk.
	v := s.scores[from] - s.scores[rival]
	if classes == 2 {
		v = 2 * (s.scores[from] - 0.5)
		if from == 0 {
			v = -v
		}
	}
	t, reach := -scale(classes)*mu, scale(classes)*band
	r, x := 0, v
	for x >= t && r < len(moves) {
		if x-t <= reach {
			return 0, false, 0, false
		}
		s.first(r + 1)
		x -= moves[r].gain
		r++
	}
	if math.Abs(x-t) <= reach {
		return 0, false, 0, false
	}
	if x >= t {
		return vote, sure, -1, true
	}
	if s.first(r + 1); !separated(moves, r, band) {
		return 0, false, 0, false
	}
	for _, mv := range moves[:r] {
		s.scores[s.own[mv.index]] -= alpha[mv.index]
		s.scores[mv.to] += alpha[mv.index]
	}
	// Walk on until rival certainly wins, as partCost does.
	for {
		switch ahead := lead(s.scores, classes, rival); {
		case math.Abs(ahead-mu) <= band:
			return 0, false, 0, false
		case ahead > mu:
			return vote, sure, r, true
		}
		if r == len(moves) {
			for _, v := range alpha { // a point whose move only α̂ might have
				if math.Abs(v) <= band {
					return 0, false, 0, false
				}
			}
			return vote, sure, -1, true
		}
		if s.first(r + 2); !separated(moves, r+1, band) {
			return 0, false, 0, false
		}
		mv := moves[r]
		s.scores[s.own[mv.index]] -= alpha[mv.index]
		s.scores[mv.to] += alpha[mv.index]
		r++
	}
}

// collect gathers the moves of Order(alpha, s.own, K, from, rival) in
// s.rank, none of them ordered yet (ranked.prefix orders them on demand).
func (s *DPAScratch) collect(alpha []float64, from, rival int) []move {
	r := &s.rank
	r.moves, r.sorted, r.selected, r.total = r.moves[:0], 0, 0, 0
	for i, a := range alpha {
		var gain float64
		switch s.own[i] {
		case from:
			gain = 2 * a
		case rival:
			gain = -2 * a
		default:
			gain = math.Abs(a)
		}
		if gain > 0 {
			to := rival
			if a < 0 {
				to = from
			}
			r.moves = append(r.moves, move{gain, int32(i), int32(to)})
			r.total += gain
		}
	}
	return r.moves
}

// first puts the first k moves of s.rank in order (all of them if fewer): the
// first 8 by selecting the next largest, a pass each (a part's cost is
// seldom more), beyond them by ranked.prefix, which selects and sorts
// prefixes that at least double.
func (s *DPAScratch) first(k int) {
	r := &s.rank
	moves := r.moves
	for k = min(k, len(moves)); r.sorted < min(k, 8); r.sorted++ {
		best := r.sorted
		for i := best + 1; i < len(moves); i++ {
			if before(moves[i], moves[best]) {
				best = i
			}
		}
		moves[r.sorted], moves[best] = moves[best], moves[r.sorted]
	}
	r.selected = max(r.selected, r.sorted)
	r.prefix(k)
}

// separated reports whether the first k of the moves, the first k + 1 of
// them in order, are the first k for any kernel vector within the band: the
// k-th gain exceeds band and the next one by more than band.
func separated(moves []move, k int, band float64) bool {
	next := 0.0
	if k < len(moves) {
		next = moves[k].gain
	}
	return k == 0 || moves[k-1].gain > band && moves[k-1].gain-next > band
}

// lead returns how far class's score leads every other: the smallest
// s_class − s_k over k ≠ class, or for K = 2 the binary score's lead towards
// class, s₁ − ½ for class 1 and ½ − s₁ for class 0. wins is lead > μ, and a
// class leads by more than 0 exactly where top picks it on its own (not on
// a tie).
func lead(scores []float64, classes, class int) float64 {
	if classes == 2 {
		if class == 1 {
			return scores[1] - 0.5
		}
		return 0.5 - scores[1]
	}
	ahead := math.Inf(1)
	for k, v := range scores {
		if k != class {
			ahead = min(ahead, scores[class]-v)
		}
	}
	return ahead
}

// partCost returns a part's computed vote at one test point, whether it is
// certain, and, if the vote is from, the fewest moves towards rival that
// make rival certainly win (−1 if none do, or if the vote is not from). The
// part's labels are y at s.members; on return s.labels holds them with the
// moves applied.
func (s *DPAScratch) partCost(alpha []float64, alphaErr float64, y []int, classes, from, rival int) (vote int, sure bool, cost int) {
	s.labels = s.labels[:0]
	abs := 0.0
	for r, i := range s.members {
		s.labels = append(s.labels, y[i])
		abs += math.Abs(alpha[r])
	}
	mu := margin(alphaErr, len(alpha), abs)
	s.scores = oneHot(s.scores, alpha, s.labels, classes)
	vote = top(s.scores, classes)
	sure = wins(s.scores, classes, vote, mu)
	if vote != from {
		return vote, sure, -1
	}
	s.rank.build(alpha, s.labels, classes, from, rival)
	// Rival must at least overtake from by μ: the fewest moves that make the
	// margin D = s_from − s_rival (for K = 2 the binary score's ±2(s − ½))
	// fall below −μ come first. Then walk on, updating the scores, until
	// rival wins by μ against every class, confirmed on scores recomputed
	// from the attacked labels (walking on if the updates' rounding said
	// otherwise).
	v := s.scores[from] - s.scores[rival]
	if classes == 2 {
		v = 2 * (s.scores[from] - 0.5)
		if from == 0 {
			v = -v
		}
	}
	r := s.rank.crossing(v, -scale(classes)*mu)
	if r < 0 {
		return vote, sure, -1
	}
	for _, mv := range s.rank.prefix(r) {
		s.labels[mv.index] = int(mv.to)
	}
	s.scores = oneHot(s.scores, alpha, s.labels, classes)
	for {
		if wins(s.scores, classes, rival, mu) {
			s.scores = oneHot(s.scores, alpha, s.labels, classes)
			if wins(s.scores, classes, rival, mu) {
				return vote, sure, r
			}
		}
		if r == len(s.rank.moves) {
			return vote, sure, -1
		}
		mv := s.rank.prefix(r + 1)[r]
		s.scores[s.labels[mv.index]] -= alpha[mv.index]
		s.scores[mv.to] += alpha[mv.index]
		s.labels[mv.index] = int(mv.to)
		r++
	}
}

// tally is a point's votes and candidates as the parts left them.
type tally struct {
	certain []int // certain votes per class
	free    int   // uncertain votes
	parts   []int // the candidates that can be turned, in order of parts
}

// tally collects point i's votes and candidates.
func (a *DPA) tally(i int) tally {
	m := len(a.from)
	t := tally{certain: make([]int, a.classes)}
	for j := range a.e.Parts() {
		switch st := a.status[j*m+i]; {
		case st == empty:
		case st >= 0:
			t.certain[st]++
		default:
			t.free++
		}
		if a.cost[j*m+i] >= 0 {
			t.parts = append(t.parts, j)
		}
	}
	return t
}

// turning returns how many candidates the attack on point i turns.
func (a *DPA) turning(i int, t tally) int {
	c, r := a.from[i], a.rival[i]
	need := t.certain[c] + t.free - t.certain[r]
	if r > c {
		need++
	}
	return max(0, (need+1)/2)
}

// turned returns the parts the attack on point i turns, cheapest first (ties
// to the lower part), or ok = false if the candidates do not suffice.
func (a *DPA) turned(i int) (parts []int, ok bool) {
	t := a.tally(i)
	count := a.turning(i, t)
	if count > len(t.parts) {
		return nil, false
	}
	m := len(a.from)
	slices.SortStableFunc(t.parts, func(p, r int) int { return cmp.Compare(a.cost[p*m+i], a.cost[r*m+i]) })
	return t.parts[:count], true
}

// Outcome returns the attack on test point i once every part has been
// added (see DPA): From is the ensemble's class, To the rival, Relabels nil
// (Explain gives them). Flips is the sum of the smallest costs, found by
// counting them. It panics unless 0 ≤ i < m.
func (a *DPA) Outcome(i int) Outcome {
	t := a.tally(i)
	count := a.turning(i, t)
	if count > len(t.parts) {
		return none(a.from[i])
	}
	m := len(a.from)
	var small [64]int // how many candidates cost 0, 1, …, 63
	var large []int32
	for _, j := range t.parts {
		if c := a.cost[j*m+i]; c < int32(len(small)) {
			small[c]++
		} else {
			large = append(large, c)
		}
	}
	flips := 0
	for c, k := range small {
		take := min(k, count)
		flips += c * take
		count -= take
	}
	slices.Sort(large)
	for _, c := range large[:count] {
		flips += int(c)
	}
	return Outcome{Flips: flips, Proven: true, From: a.from[i], To: a.rival[i]}
}

// Explain returns the relabelings of the attack on test point i, part by
// part in the order the parts are turned, each part's in the order of its
// moves (largest margin reduction first), with ok = true if every turned
// part, refitted at this point alone, is again turned by exactly its cost.
// It refits the turned parts only. It panics unless 0 ≤ i < m.
func (a *DPA) Explain(i int, s *DPAScratch) (relabels []Relabel, ok bool) {
	parts, found := a.turned(i)
	if !found {
		return nil, false
	}
	_, d := a.test.Dims()
	m := len(a.from)
	row := a.test.Slice(i, i+1, 0, d).(*mat.Dense)
	ok = true
	for _, j := range parts {
		s.members = append(s.members[:0], a.e.Members(j)...)
		nj := len(s.members)
		s.kernel, s.errs = grow(s.kernel, nj), grow(s.errs, 1)
		a.e.Kernel(j, mat.NewDense(1, nj, s.kernel), row, s.errs)
		_, _, c := s.partCost(s.kernel, s.errs[0], a.y, a.classes, a.from[i], a.rival[i])
		want := int(a.cost[j*m+i])
		ok = ok && c == want
		for _, mv := range s.rank.prefix(min(want, len(s.rank.moves))) {
			relabels = append(relabels, Relabel{Index: s.members[mv.index], To: int(mv.to)})
		}
	}
	return relabels, ok
}
