package attacks

import (
	"fmt"
	"math"

	"flipcert/decide"
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
	rank, spare     ranked    // the moves of the rival attacked (and of the next one tried)
	rankOf          rankKey   // the problem rank was last built for by Smoothed
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
// It costs O((K−1)n) plus a sort of the moves taken. It panics on a
// malformed point.
func (a *Attacker) RidgeExact(p RidgePoint) Outcome {
	p.check()
	a.rankOf = rankKey{}
	n, k := len(p.Alpha), p.Classes
	a.scores = oneHot(a.scores, p.Alpha, p.Y, k)
	class := top(a.scores, k)
	abs := 0.0
	for _, v := range p.Alpha {
		abs += math.Abs(v)
	}
	mu := margin(p.AlphaErr, n, abs)
	best := -1
	for j := range k {
		if j == class {
			continue
		}
		// Margins in units of D = s_c − s_j; for K = 2 the binary rule's
		// v = ±(s − ½), doubled (exactly) to match the moves' 2|αᵢ|.
		v := a.scores[class] - a.scores[j]
		if k == 2 {
			v = 2 * (a.scores[1] - 0.5)
			if class == 0 {
				v = -v
			}
		}
		a.spare.build(p.Alpha, p.Y, k, class, j)
		if m := a.spare.crossing(v, -scale(k)*mu); m >= 0 && (best < 0 || m < best) {
			best = m
			a.rank, a.spare = a.spare, a.rank
		}
	}
	if best < 0 {
		return none(class)
	}
	a.startLabels(p.Y)
	for tries := 0; ; tries++ {
		a.apply(p.Y, best)
		a.scores = oneHot(a.scores, p.Alpha, a.labels, k)
		if proven := overturned(a.scores, k, class, mu); proven || tries == 16 || best == len(a.rank.moves) {
			return a.outcome(best, proven, class, top(a.scores, k))
		}
		best++
	}
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
// moves of a.rank applied, changing only the labels where the current
// prefix and the new one differ.
func (a *Attacker) apply(y []int, r int) {
	moves := a.rank.prefix(max(r, a.applied))
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
