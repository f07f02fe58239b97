package attacks

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"flipcert/dpa"

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

// NewDPA prepares the attacks on ensemble e, fitted on labels y, at the rows
// of test, where from[i] is the class the ensemble reports at test row i
// (dpa.Result.Class). It picks each point's rival from the computed votes of
// the parts (one product per part with its coefficients; for two classes
// the rival is the other class). It panics if y, test or from do not match
// the ensemble or each other, a class is out of range, or K > 127.
func NewDPA(e *dpa.Ensemble, y []int, test *mat.Dense, from []int) *DPA {
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
	a := &DPA{e: e, y: y, test: test, classes: classes, from: from, rival: make([]int, m),
		status: make([]int8, k*m), cost: make([]int32, k*m)}
	if classes == 2 {
		for i, c := range from {
			a.rival[i] = 1 - c
		}
		return a
	}
	votes := make([]int, m*classes)
	var scores mat.Dense
	for j := range k {
		beta, ok := e.Coefficients(j)
		if !ok {
			continue
		}
		scores.Reset()
		scores.Mul(test, beta)
		for i := range m {
			votes[i*classes+top(scores.RawRowView(i), classes)]++
		}
	}
	for i, c := range from {
		v := votes[i*classes : (i+1)*classes]
		t := -1
		for j, n := range v {
			if j != c && (t < 0 || n > v[t]) {
				t = j
			}
		}
		a.rival[i] = t
	}
	return a
}

// DPAScratch is one goroutine's memory for DPA.AddPart and DPA.Explain.
// The zero value is ready to use.
type DPAScratch struct {
	kernel  []float64
	errs    []float64
	labels  []int // the part's labels, then attacked
	scores  []float64
	rank    ranked
	members []int
}

// AddPart computes part j's vote and, where it is a candidate, its cost at
// every test point: one refit of the part per block of test points
// (Ensemble.Kernel, O(n_j d² + d³) each), O(n_j d) per point for its kernel
// vector and O(n_j) plus a sort of the moves taken for its cost. Calls for
// distinct parts may run concurrently, each with its own scratch. It panics
// unless 0 ≤ j < k.
func (a *DPA) AddPart(j int, s *DPAScratch) {
	m, d := a.test.Dims()
	s.members = append(s.members[:0], a.e.Members(j)...)
	nj := len(s.members)
	status, cost := a.status[j*m:(j+1)*m], a.cost[j*m:(j+1)*m]
	if nj == 0 {
		for i := range m {
			status[i], cost[i] = empty, -1
		}
		return
	}
	block := max(1, min(m, kernelFloats/nj))
	s.kernel = grow(s.kernel, block*nj)
	s.errs = grow(s.errs, block)
	for lo := 0; lo < m; lo += block {
		hi := min(lo+block, m)
		alpha := mat.NewDense(hi-lo, nj, s.kernel[:(hi-lo)*nj])
		a.e.Kernel(j, alpha, a.test.Slice(lo, hi, 0, d).(*mat.Dense), s.errs[:hi-lo])
		for i := lo; i < hi; i++ {
			vote, sure, c := s.partCost(alpha.RawRowView(i-lo), s.errs[i-lo], a.y, a.classes, a.from[i], a.rival[i])
			status[i] = int8(vote)
			if !sure {
				status[i] = int8(-1 - vote)
			}
			cost[i] = int32(c)
		}
	}
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
	parts   []int // the candidates that can be turned, cheapest first (ties to the lower part)
}

// tally collects point i's votes and orders its candidates.
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
	slices.SortFunc(t.parts, func(p, r int) int {
		return cmp.Or(cmp.Compare(a.cost[p*m+i], a.cost[r*m+i]), cmp.Compare(p, r))
	})
	return t
}

// turned returns the parts the attack on point i turns, cheapest first, or
// ok = false if the candidates do not suffice.
func (a *DPA) turned(i int) (parts []int, ok bool) {
	t := a.tally(i)
	c, r := a.from[i], a.rival[i]
	need := t.certain[c] + t.free - t.certain[r]
	if r > c {
		need++
	}
	count := max(0, (need+1)/2)
	if count > len(t.parts) {
		return nil, false
	}
	return t.parts[:count], true
}

// Outcome returns the attack on test point i once every part has been
// added (see DPA): From is the ensemble's class, To the rival, Relabels nil
// (Explain gives them). It panics unless 0 ≤ i < m.
func (a *DPA) Outcome(i int) Outcome {
	parts, ok := a.turned(i)
	if !ok {
		return none(a.from[i])
	}
	m, flips := len(a.from), 0
	for _, j := range parts {
		flips += int(a.cost[j*m+i])
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
