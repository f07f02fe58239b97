package attacks

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"

	"flipcert/randstream"
	"flipcert/sampler"
)

// Sampling configures the sampled verification of an attack.
type Sampling struct {
	// Alpha is the probability, in (0, 1), with which a proof may be false.
	Alpha float64
	// Seed and Purpose key the random streams (package randstream); the
	// test point's index is the chunk.
	Seed    uint64
	Purpose string
	// First is the number of samples at the first look and Max the most
	// drawn; the sample count doubles from one look to the next and the
	// last look is at Max. If First is 0 it defaults to 32, if Max is 0 to
	// 4096 (eight looks); 1 ≤ First ≤ Max.
	First, Max int
	// AsGiven verifies the outcome's relabellings as they are. Otherwise
	// Sampled may verify a longer prefix of the same greedy order (see
	// Sampled), which needs the outcome of a Smoothed call.
	AsGiven bool
}

// looks returns the sample counts at which Sampled looks at the votes.
func (s Sampling) looks() []int {
	first, last := s.First, s.Max
	if first == 0 {
		first = 32
	}
	if last == 0 {
		last = 4096
	}
	if first < 1 || last < first || !(s.Alpha > 0 && s.Alpha < 1) {
		panic(fmt.Sprintf("attacks: sampling with alpha = %g, first = %d, max = %d", s.Alpha, s.First, s.Max))
	}
	var ns []int
	for n := first; n < last; n *= 2 {
		ns = append(ns, n)
	}
	return append(ns, last)
}

// Sampled verifies a Smoothed outcome by sampling at noise q: it draws noisy
// label vectors y′ of the attacked labels (each label kept with probability
// 1−q, else replaced by one of the other K−1 classes uniformly;
// docs/science.md §8), scores each through α, and counts a vote for
// smoothed.To only when the computed scores put it ahead by more than
// μ = E + 8γ_{4n}Σ|α̂ᵢ| (for K = 2, s₁ past ½ on its side by more than μ), so
// that every vote counted is one the exact ridge classifier casts for To.
// With k such votes of N samples, the one-sided Clopper-Pearson bound
// p̲ = sampler.LowerBound(k, N, alpha/L) at each of the L looks (N = First,
// 2·First, …, Max) proves P(h(y′) = To) > ½ once p̲ > ½, and then the
// smoothed classifier of the attacked labels predicts To. It is a proof with
// probability 1 − alpha: over the samples, the chance that any look proves
// a class whose probability is at most ½ is at most L·alpha/L = alpha
// (union bound). Sampling stops at the first proof, or once at most half of
// the votes counted so far are for To.
//
// Smoothed stops where the smoothed prediction provably changes, where
// P(h = To) may be barely above ½: a few samples cannot show that, thousands
// can only just. So unless cfg.AsGiven, the labels verified are a longer
// prefix of the same greedy order (Order(…, From, To)) when the outcome's is
// shorter: the first after which a Gaussian model of the margin puts To
// ahead by √(2 ln 2) standard deviations plus E, where P(h = To) is about
// 0.88 (the prefix the analytic certificate used to prove) and the first
// look usually proves it. The outcome returned then reports that prefix.
//
// The outcome is smoothed with Proven set to the verdict and Probes to the
// samples drawn (and Flips and Relabels those of the prefix verified, whose
// Relabels alias the Attacker's memory until its next Sampled call); an
// outcome with Flips < 0 is returned unproven without sampling. The samples
// come from randstream.Source(Seed, Purpose, index). A sample costs
// O(q·n) label changes plus O(n/64) random words. It panics on a malformed
// point, q outside (0, (K−1)/K), a bad Sampling, or an outcome whose To or
// relabelings are out of range (or, unless AsGiven, whose From is To or out
// of range).
func (a *Attacker) Sampled(p RidgePoint, q float64, smoothed Outcome, cfg Sampling, index int) Outcome {
	p.check()
	k, n := p.Classes, len(p.Alpha)
	if hi := float64(k-1) / float64(k); !(q > 0 && q < hi) {
		panic(fmt.Sprintf("attacks: noise level q = %v outside (0, %v)", q, hi))
	}
	looks := cfg.looks()
	out := smoothed
	out.Proven, out.Probes = false, 0
	if smoothed.Flips < 0 {
		return out
	}
	to := smoothed.To
	if to < 0 || to >= k {
		panic(fmt.Sprintf("attacks: attacked class %d outside 0..%d", to, k-1))
	}
	a.labels = append(a.labels[:0], p.Y...)
	for _, r := range smoothed.Relabels {
		if r.Index < 0 || r.Index >= n || r.To < 0 || r.To >= k {
			panic(fmt.Sprintf("attacks: relabeling %+v out of range", r))
		}
		a.labels[r.Index] = r.To
	}
	if !cfg.AsGiven {
		out = a.extend(p, q, out)
	}
	a.scores = oneHot(a.scores, p.Alpha, a.labels, k)
	abs := 0.0
	for _, v := range p.Alpha {
		abs += math.Abs(v)
	}
	mu := margin(p.AlphaErr, n, abs)
	if k == 2 {
		// Changing label i moves s₁ by αᵢ(1 − 2yᵢ).
		a.weights = grow(a.weights, n)
		for i, v := range p.Alpha {
			if a.labels[i] == 1 {
				v = -v
			}
			a.weights[i] = v
		}
	}
	src := randstream.Source(cfg.Seed, cfg.Purpose, uint64(index))
	rng := rand.New(src)
	a.noise.reset(q)
	level := cfg.Alpha / float64(len(looks))
	votes, drawn := 0, 0
	base := a.scores
	a.sample = grow(a.sample, k)
	scores := a.sample
	for _, look := range looks {
		for ; drawn < look; drawn++ {
			var win bool
			if k == 2 {
				s := base[1] + a.noise.sum(src, a.weights)
				win = (to == 1 && s > 0.5+mu) || (to == 0 && s < 0.5-mu)
			} else {
				copy(scores, base)
				a.noise.move(src, rng, p.Alpha, a.labels, scores)
				win = wins(scores, k, to, mu)
			}
			if win {
				votes++
			}
		}
		if lb, _ := sampler.LowerBound(votes, drawn, level); lb > 0.5 {
			out.Proven = true
			break
		}
		if 2*votes <= drawn {
			break
		}
	}
	out.Probes = drawn
	return out
}

// extend returns the smoothed outcome with its relabellings continued along
// the greedy order to the prefix Sampled documents, applied to a.labels,
// which hold the outcome's own relabellings. The order is the one the last
// Smoothed call built if it was for the same point and classes, else it is
// built anew; either way the Smoothed outcome's relabellings are left alone.
func (a *Attacker) extend(p RidgePoint, q float64, out Outcome) Outcome {
	if out.From < 0 || out.From >= p.Classes || out.From == out.To {
		panic(fmt.Sprintf("attacks: outcome from class %d to %d", out.From, out.To))
	}
	key := keyOf(p, out.From, out.To)
	ps := &a.sums.probe
	g := &ps.order
	// With ranked, the attack extended the last Smoothed call's order,
	// whose history its crossing might depend on, or a fresh one. The order
	// is made anew unless it is that call's: a point's memory may since
	// hold another point.
	s := search{a: a, g: g, p: p, q: q, class: out.From, rival: out.To, record: a.rankOf == key}
	if s.record && g.key == key {
		s.total, s.abs, s.maxAbs = ps.total, ps.abs, ps.maxAbs
	} else {
		s.scan()
		g.pair(p, out.From, out.To)
	}
	r := min(s.predict(false), g.size())
	if r <= out.Flips {
		return out
	}
	s.note(rankCall{r: r})
	moves := g.prefix(p, r)
	for i, m := range out.Relabels {
		if m != (Relabel{Index: int(moves[i].index), To: int(moves[i].to)}) {
			panic("attacks: the outcome's relabelings are not a prefix of the greedy order; verify them AsGiven")
		}
	}
	a.sampledRelabels = append(a.sampledRelabels[:0], out.Relabels...)
	for _, m := range moves[out.Flips:] {
		a.labels[m.index] = int(m.to)
		a.sampledRelabels = append(a.sampledRelabels, Relabel{Index: int(m.index), To: int(m.to)})
	}
	out.Flips, out.Relabels = r, a.sampledRelabels
	return out
}

// noise draws the changed positions of a noisy label vector, exactly
// Bernoulli(q) each (randstream.Bernoulli, as the sampled certificate does).
type noise struct {
	bits randstream.Bernoulli
}

func (z *noise) reset(q float64) { z.bits = randstream.NewBernoulli(q) }

// word returns 64 independent Bernoulli(q) bits.
func (z *noise) word(src *rand.PCG) uint64 { return z.bits.Word(src) }

// sum returns Σ weights[i] over the changed positions of one sample.
func (z *noise) sum(src *rand.PCG, weights []float64) float64 {
	var s float64
	for w := 0; w < len(weights); w += 64 {
		bits64 := z.word(src)
		block := weights[w:min(w+64, len(weights))]
		if len(block) < 64 {
			bits64 &= 1<<len(block) - 1
		}
		for ; bits64 != 0; bits64 &= bits64 - 1 {
			s += block[bits.TrailingZeros64(bits64)]
		}
	}
	return s
}

// move changes the one-hot scores of labels y by one sample's noise: each
// changed label moves by a uniform offset in 1..K−1, y′ᵢ = (yᵢ + o) mod K.
func (z *noise) move(src *rand.PCG, rng *rand.Rand, alpha []float64, y []int, scores []float64) {
	k := len(scores)
	for w := 0; w < len(alpha); w += 64 {
		bits64 := z.word(src)
		if len(alpha)-w < 64 {
			bits64 &= 1<<(len(alpha)-w) - 1
		}
		for ; bits64 != 0; bits64 &= bits64 - 1 {
			i := w + bits.TrailingZeros64(bits64)
			old := y[i]
			to := (old + 1 + rng.IntN(k-1)) % k
			scores[old] -= alpha[i]
			scores[to] += alpha[i]
		}
	}
}
