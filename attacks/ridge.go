package attacks

import (
	"fmt"
	"math"

	"flipcert/decide"
	"flipcert/exact"
	"flipcert/whitebox"
)

// RidgePoint is the ridge problem of one test point: its one-hot scores are
// s_c(y) = Σᵢ αᵢ1[yᵢ = c] (docs/science.md §2, §8).
type RidgePoint struct {
	// Alpha is the computed kernel vector α̂ of the test point; finite.
	Alpha []float64
	// Y holds the clean training labels, each in 0..Classes−1; it is never
	// modified.
	Y []int
	// Classes is K ≥ 2. For K = 2 the binary rule of docs/science.md §2
	// decides: class 1 iff s₁ ≥ ½.
	Classes int
	// AlphaErr is a bound E ≥ Σᵢ|α̂ᵢ − αᵢ| on the distance of Alpha from the
	// exact kernel vector (ridge.Model.Kernel reports one); 0 trusts Alpha as
	// exact. Finite and ≥ 0.
	AlphaErr float64
}

// check panics on a malformed RidgePoint.
func (p RidgePoint) check() {
	checkLabels(p.Alpha, p.Y, p.Classes)
	if !(p.AlphaErr >= 0) || math.IsInf(p.AlphaErr, 1) {
		panic(fmt.Sprintf("attacks: kernel-vector error %v is negative or not finite", p.AlphaErr))
	}
}

// Outcome is what an attack on one test point found.
type Outcome struct {
	// Flips is the number of relabelings the attack needs, or −1 if it found
	// none within every helpful relabeling.
	Flips int
	// Proven reports that the relabelings provably change the prediction of
	// the attacked classifier: see each attack for what is proven and how.
	Proven bool
	// From is the clean prediction the attack moves away from.
	From int
	// To is the class the attacked labels give (as computed; for Smoothed
	// with K ≥ 3, a class the attacked smoothed classifier provably prefers
	// to From), or −1 when no attack was found.
	To int
	// Relabels are the Flips relabelings, most influential first (nil when
	// Flips is −1, and from DPA.Outcome, whose DPA.Explain gives them). An
	// Attacker's outcomes alias its memory until its next call of the same
	// method (RidgeExact and Smoothed share theirs; Sampled, when it extends
	// the relabelings, has its own): clone them to keep them.
	Relabels []Relabel
	// Probes counts the prefixes examined (Smoothed) or the noisy label
	// samples drawn (Sampled); 0 for the others.
	Probes int
}

// none is the Outcome of an attack that found nothing.
func none(from int) Outcome { return Outcome{Flips: -1, From: from, To: -1} }

// An Attacker runs the attacks on ridge classifiers and their smoothed
// versions for one test point at a time, keeping scratch memory between
// calls so that attacking many points does not allocate per point. The zero
// value is ready to use. An Attacker must not be used by several goroutines
// at once: give each its own.
type Attacker struct {
	rank, spare     ranked  // the moves of the rival attacked (and of the next one tried)
	rankOf          rankKey // the problem rank was last built for by Smoothed
	greedy          exact.Greedy
	fewest          []int     // per rival: the fewest moves, for K > 2
	relabels        []Relabel // the outcome's relabelings
	sampledRelabels []Relabel // a Sampled outcome's relabelings, when extended
	labels          []int     // attacked labels
	applied         int       // how many of rank's moves labels holds
	scores          []float64 // K one-hot scores
	sample          []float64 // K one-hot scores of a noisy sample
	weights         []float64 // per training point: the binary score's change if its noisy label changes
	white           whitebox.Certifier
	sums            classSums // per class moments of the attacked labels
	tails           []float64 // per class: Berry–Esseen bounds of a smoothed probe
	logBounds       []float64 // per class: white-box Chernoff bounds of a smoothed probe
	noise           noise
}

// rankKey identifies the problem a ranking was built for: the kernel
// vector's and labels' memory, their length, and the pair of classes.
type rankKey struct {
	alpha        *float64
	y            *int
	n            int
	class, rival int
}

// keyOf returns the rankKey of a point and a pair of classes.
func keyOf(p RidgePoint, class, rival int) rankKey {
	k := rankKey{n: len(p.Alpha), class: class, rival: rival}
	if k.n > 0 {
		k.alpha, k.y = &p.Alpha[0], &p.Y[0]
	}
	return k
}

// RidgeExact attacks the unsmoothed ridge classifier (docs/science.md §9,
// §11). Its clean class c is the certificate's (package exact): for K = 2
// class 1 iff s = s₁ ≥ ½, otherwise the argmax of the scores, ties to the
// lowest index. Against each rival j it takes the moves of Order(…, c, j) in
// order until the computed margin is past the threshold by more than
// μ = E + 8γ_{4n}Σ|α̂ᵢ| (margin D_j = s_c − s_j < −μ; for K = 2, s < ½ − μ for
// class 1 and s > ½ + μ for class 0), and keeps the rival that needs the
// fewest (ties to the lower class). The greedy moves are optimal, so on data
// without near-ties Flips is exactly the exact certificate's radius + 1;
// partial sums within the margins of the threshold can only make it larger.
//
// Proof: the attacked labels are formed and the scores recomputed from them;
// Proven is set only if the recomputed margin is past the threshold by μ, so
// that the exact ridge classifier on the attacked labels does not predict c.
// Should rounding of the search's partial sums deny that, the next move is
// added, up to 16 times. To is the computed class of the attacked labels.
//
// For K = 2 it costs a pass over the points, a selection and a sort of the
// moves taken. For K > 2 an exact.Greedy finds the rival and the crossing
// without ordering most moves (about three passes over α whatever K), and
// only the moves up to the crossing are sorted; its answers are those of a
// walk over each rival's moves, which it falls back on where rounding could
// tell them apart. It panics on a malformed point.
func (a *Attacker) RidgeExact(p RidgePoint) Outcome { return a.ridgeExact(p, nil) }

// RidgeExactAfter is RidgeExact at a point whose exact certificate c has
// just computed (exact.Certifier.Certify on p's Alpha, Y and Classes, their
// contents unchanged since): for K > 2 it reuses the certificate's passes
// over α, which are most of the attack's cost, and returns the same
// outcome. If c's last call was on other slices, it is RidgeExact.
func (a *Attacker) RidgeExactAfter(p RidgePoint, c *exact.Certifier) Outcome {
	if g := c.Greedy(); p.Classes > 2 && g.On(p.Alpha, p.Y, p.Classes) {
		return a.ridgeExact(p, g)
	}
	return a.ridgeExact(p, nil)
}

// ridgeExact is RidgeExact with the Greedy g already Reset at p, or nil.
func (a *Attacker) ridgeExact(p RidgePoint, g *exact.Greedy) Outcome {
	p.check()
	a.rankOf = rankKey{} // rank is rebuilt here, not for Smoothed's problem
	k := p.Classes
	var class, rival, best, total int
	var mu float64
	if k == 2 {
		class, rival, best, mu = a.binaryCrossing(p)
		total = len(a.rank.moves)
	} else {
		class, rival, best, total, mu = a.multiCrossing(p, g)
	}
	if best < 0 {
		return none(class)
	}
	a.startLabels(p.Y)
	for tries := 0; ; tries++ {
		if best > len(a.rank.moves) { // the Greedy's moves end before best
			a.rank.build(p.Alpha, p.Y, k, class, rival)
		}
		a.apply(p.Y, best)
		a.scores = oneHot(a.scores, p.Alpha, a.labels, k)
		if proven := overturned(a.scores, k, class, mu); proven || tries == 16 || best == total {
			return a.outcome(best, proven, class, top(a.scores, k))
		}
		best++
	}
}

// binaryCrossing finds the clean class of a K = 2 point, the fewest moves
// that take the binary score past ½ by μ (−1 if none do) and μ, leaving the
// moves in a.rank.
func (a *Attacker) binaryCrossing(p RidgePoint) (class, rival, best int, mu float64) {
	a.scores = oneHot(a.scores, p.Alpha, p.Y, 2)
	class = top(a.scores, 2)
	abs := 0.0
	for _, v := range p.Alpha {
		abs += math.Abs(v)
	}
	mu = margin(p.AlphaErr, len(p.Alpha), abs)
	// Margins in units of the moves' 2|αᵢ|: v = ±2(s − ½), doubled exactly.
	v := 2 * (a.scores[1] - 0.5)
	if class == 0 {
		v = -v
	}
	a.rank.build(p.Alpha, p.Y, 2, class, 1-class)
	return class, 1 - class, a.rank.crossing(v, -scale(2)*mu), mu
}

// multiCrossing finds the clean class of a K > 2 point, the rival that
// needs the fewest moves to lead it by μ (ties to the lower class), that
// number (−1 if no rival can), the number of all its moves and μ, leaving
// in a.rank the rival's moves, at least the first best of them. g is a
// Greedy already Reset at p, or nil for a.greedy. The rivals the Greedy
// leaves to it are walked as before: every move collected and the crossing
// selected.
func (a *Attacker) multiCrossing(p RidgePoint, g *exact.Greedy) (class, rival, best, total int, mu float64) {
	k := p.Classes
	if g == nil {
		g = &a.greedy
		g.Reset(p.Alpha, p.Y, k)
	}
	class, scores := g.Class(), g.Scores()
	mu = margin(p.AlphaErr, len(p.Alpha), g.AbsSum())
	a.fewest = grow(a.fewest, k)
	walked := -1 // the rival whose moves a.spare holds
	g.Fewest(-mu, 0, func(j int) int {
		a.spare.build(p.Alpha, p.Y, k, class, j)
		walked = j
		return a.spare.crossing(scores[class]-scores[j], -mu)
	}, a.fewest)
	best, rival = -1, -1
	for j, m := range a.fewest {
		if j != class && m >= 0 && (best < 0 || m < best) {
			best, rival = m, j
		}
	}
	if best < 0 {
		return class, rival, best, 0, mu
	}
	moves, total := g.Top(rival)
	switch {
	case moves != nil:
		a.rank.fromTop(moves, p.Alpha, p.Y, class, rival)
	case walked == rival:
		a.rank, a.spare = a.spare, a.rank
	default: // an answer of 0, or a fallback before the last
		a.rank.build(p.Alpha, p.Y, k, class, rival)
		total = len(a.rank.moves)
	}
	return class, rival, best, total, mu
}

// scale is the factor from the binary score to the margin units of the
// moves: 2 for K = 2 (D = 2s − 1 when Σα = 1), else 1.
func scale(classes int) float64 {
	if classes == 2 {
		return 2
	}
	return 1
}

// oneHot returns the K one-hot scores s_c = Σᵢ αᵢ1[yᵢ = c] in dst, reused.
// For K = 2 only s₁ matters to the binary rule; s₀ is computed as well.
func oneHot(dst, alpha []float64, y []int, classes int) []float64 {
	if cap(dst) < classes {
		dst = make([]float64, classes)
	}
	dst = dst[:classes]
	clear(dst)
	for i, v := range alpha {
		dst[y[i]] += v
	}
	return dst
}

// top returns the class the K computed one-hot scores give (package decide).
func top(scores []float64, classes int) int { return decide.Scores(scores[:classes]) }

// overturned reports whether computed scores within mu of the exact ones
// prove that the exact classifier does not predict class: for K = 2, s₁ is
// past ½ on the other side by more than mu; for K > 2 some rival's score
// exceeds class's by more than mu.
func overturned(scores []float64, classes, class int, mu float64) bool {
	if classes == 2 {
		if class == 1 {
			return scores[1] < 0.5-mu
		}
		return scores[1] > 0.5+mu
	}
	for k, s := range scores {
		if k != class && s-scores[class] > mu {
			return true
		}
	}
	return false
}

// wins reports whether computed scores within mu of the exact ones prove
// that the exact classifier predicts class: for K = 2, s₁ is on class's side
// of ½ by more than mu; for K > 2 class's score exceeds every other by more
// than mu.
func wins(scores []float64, classes, class int, mu float64) bool {
	if classes == 2 {
		return overturned(scores, 2, 1-class, mu)
	}
	for k, s := range scores {
		if k != class && scores[class]-s <= mu {
			return false
		}
	}
	return true
}

// startLabels copies y into the attacked labels, with no move applied.
func (a *Attacker) startLabels(y []int) {
	a.labels = append(a.labels[:0], y...)
	a.applied = 0
}

// apply sets the attacked labels to the clean labels y with the first r
// moves of a.rank applied.
func (a *Attacker) apply(y []int, r int) {
	a.relabel(y, a.rank.prefix(max(r, a.applied)), r)
}

// relabel sets the attacked labels to the clean labels y with the first r
// of moves applied, changing only the labels where the prefix applied now
// and the new one differ; moves holds at least max(r, a.applied) moves, the
// applied ones first.
func (a *Attacker) relabel(y []int, moves []move, r int) {
	if r > a.applied {
		for _, m := range moves[a.applied:r] {
			a.labels[m.index] = int(m.to)
		}
	} else {
		for _, m := range moves[r:a.applied] {
			a.labels[m.index] = y[m.index]
		}
	}
	a.applied = r
}

// outcome returns the Outcome of the first r moves of a.rank.
func (a *Attacker) outcome(r int, proven bool, from, to int) Outcome {
	a.relabels = a.relabels[:0]
	for _, m := range a.rank.prefix(r) {
		a.relabels = append(a.relabels, Relabel{Index: int(m.index), To: int(m.to)})
	}
	return Outcome{Flips: r, Proven: proven, From: from, To: to, Relabels: a.relabels}
}
