package attacks

// The smoothed attack and its sampled verification as they were before the
// probes were made cheap: the reference the equality tests hold the current
// code to, bit for bit.

import (
	"fmt"
	"math"
	"math/rand/v2"

	"flipcert/randstream"
	"flipcert/sampler"

	"flipcert/analytic"
	"flipcert/internal/roundoff"
	"flipcert/whitebox"
)

// refAttacker holds the reference attack's scratch memory.
type refAttacker struct {
	rank, spare     ranked
	rankOf          rankKey
	relabels        []Relabel
	sampledRelabels []Relabel
	labels          []int
	applied         int
	scores          []float64
	sample          []float64
	weights         []float64
	white           whitebox.Certifier
	sums            refClassSums
	tails           []float64
	logBounds       []float64
	noise           noise
}

func (a *refAttacker) smoothed(p RidgePoint, q float64, class, radius int) (Outcome, error) {
	p.check()
	k := p.Classes
	if hi := float64(k-1) / float64(k); !(q > 0 && q < hi) {
		panic(fmt.Sprintf("attacks: noise level q = %v outside (0, %v)", q, hi))
	}
	if class < 0 || class >= k {
		panic(fmt.Sprintf("attacks: class %d outside 0..%d", class, k-1))
	}
	rival := 1 - class
	if k > 2 {
		a.scores = grow(a.scores, k)
		analytic.ExpectedScores(a.scores, p.Alpha, p.Y, k, q)
		rival = -1
		for j, s := range a.scores {
			if j != class && (rival < 0 || s > a.scores[rival]) {
				rival = j
			}
		}
	}
	a.rank.build(p.Alpha, p.Y, k, class, rival)
	a.rankOf = keyOf(p, class, rival) // as Smoothed sets it
	a.startLabels(p.Y)
	s := refSearch{a: a, rank: &a.rank, p: p, q: q, class: class, rival: rival}
	for _, v := range p.Alpha {
		s.abs += math.Abs(v)
		s.maxAbs = max(s.maxAbs, math.Abs(v))
	}
	s.mu = margin(p.AlphaErr, len(p.Alpha), s.abs)
	total := len(a.rank.moves)
	lo := 0 // r = 0 is the clean labels, whose smoothed prediction is class
	if radius >= 1 {
		r := min(radius, total)
		if s.proof(r) {
			return a.outcome(r, true, class, rival).withProbes(s.probes),
				fmt.Errorf("%w: %d relabelings give class %d against a certified radius of %d (class %d, q = %g)",
					ErrContradiction, r, rival, radius, class, q)
		}
		lo = r
	}
	if lo == total {
		return none(class).withProbes(s.probes), nil
	}
	hi := total + 1 // the smallest success found; total + 1 while none is
	guess := min(max(s.predict(true), lo+1), total)
	if s.proof(guess) {
		hi = guess
		for step := 1; hi-lo > 1; step *= 2 {
			r := max(hi-step, lo+1)
			if !s.proof(r) {
				lo = r
				break
			}
			hi = r
		}
	} else {
		lo = guess
		for step := 1; hi > total; step *= 2 {
			if lo == total {
				return none(class).withProbes(s.probes), nil
			}
			r := min(lo+step, total)
			if s.proof(r) {
				hi = r
			} else {
				lo = r
			}
		}
	}
	for hi-lo > 1 {
		r := lo + (hi-lo)/2
		if s.proof(r) {
			hi = r
		} else {
			lo = r
		}
	}
	return a.outcome(hi, true, class, rival).withProbes(s.probes), nil
}

type refSearch struct {
	a            *refAttacker
	rank         *ranked // the greedy order of class against rival
	p            RidgePoint
	q            float64
	class, rival int
	abs, maxAbs  float64 // Σ|α̂ᵢ| and max|α̂ᵢ|
	mu           float64 // the attacks' margin (docs/science.md §11)
	probes       int
}

func (s *refSearch) proof(r int) bool {
	a, p := s.a, s.p
	a.apply(p.Y, r)
	s.probes++
	n, k := len(p.Alpha), p.Classes
	a.sums.set(p.Alpha, a.labels, k)
	if k == 2 {
		t := refBinaryTail(&a.sums, s.q, s.class, s.mu, n, s.maxAbs)
		if t.upper() < 0.5 {
			return true
		}
		if t.lower() >= 0.5 || t.chernoffHopeless() {
			return false
		}
		return refChernoffUp(a.white.LogBounds(nil, p.Alpha, a.labels, 2, s.q, p.AlphaErr, s.rival, 0)) < 0.5
	}
	main := refPairTail(&a.sums, s.q, k, s.rival, s.class, s.mu, n, s.maxAbs)
	bound := main.upper()
	if 2*main.lower() >= 1 || bound >= 0.5 && main.chernoffHopeless() {
		return false
	}
	a.tails = grow(a.tails, k)
	far := 0.0
	for c := range k {
		if c != s.rival && c != s.class {
			a.tails[c] = refPairTail(&a.sums, s.q, k, s.rival, c, s.mu, n, s.maxAbs).upper()
			far = up(far + a.tails[c])
		}
	}
	if up(2*bound+far) < 1 {
		return true
	}
	a.logBounds = grow(a.logBounds, k)
	a.white.Negligible = negligibleRival
	a.white.LogBounds(a.logBounds, p.Alpha, a.labels, k, s.q, p.AlphaErr, s.rival, 0)
	sum := 2 * min(bound, refChernoffUp(a.logBounds[s.class]))
	for c := range k {
		if c != s.rival && c != s.class {
			sum = up(sum + min(a.tails[c], refChernoffUp(a.logBounds[c])))
		}
	}
	return sum < 1
}

func (s *refSearch) predict(berryEsseen bool) int {
	v, t := refTarget(s, berryEsseen)
	if r := s.rank.crossing(v, t); r >= 0 {
		return r
	}
	return len(s.rank.moves) + 1
}

// refTarget is the reference's crossing problem, split from predict.
func refTarget(s *refSearch, berryEsseen bool) (float64, float64) {
	k, q := s.p.Classes, s.q
	pr := q / float64(k-1)
	keep := 1 - q - pr
	a, b, c := 1-q, q-pr, pr // the law of a term labelled class
	near, far := (a+c)*b+4*a*c, 2*pr
	nearThird := a*math.Pow(b+2*c, 3) + b*math.Pow(math.Abs(a-c), 3) + c*math.Pow(2*a+b, 3)
	farThird := 2 * pr
	if k == 2 { // D = 2S − 1: twice a Bernoulli(π) term
		near, nearThird = 4*q*(1-q), 8*q*(1-q)*(q*q+(1-q)*(1-q))
	}
	var own, riv, sum, v, third float64
	for i, x := range s.p.Alpha {
		sum += x
		x2, x3 := x*x, x*x*math.Abs(x)
		switch s.p.Y[i] {
		case s.class:
			own += x
			v += x2 * near
			third += x3 * nearThird
		case s.rival:
			riv += x
			v += x2 * near
			third += x3 * nearThird
		default:
			v += x2 * far
			third += x3 * farThird
		}
	}
	d := keep * (own - riv)
	if k == 2 {
		d = 2*(q*sum+keep*riv) - 1 // class 0: riv = Σ_{yᵢ=1}αᵢ
		if s.class == 1 {
			d = 2*(q*sum+keep*own) - 1
		} else {
			d = -d
		}
	}
	z := math.Sqrt(2 * math.Ln2)
	if cb := shevtsova * third / math.Pow(v, 1.5); berryEsseen && cb < 0.5 {
		z = min(z, math.Sqrt2*math.Erfcinv(1-2*cb))
	}
	return d / keep, -(z*math.Sqrt(v) + s.p.AlphaErr) / keep
}

func refBinaryTail(c *refClassSums, q float64, class int, mu float64, n int, maxAbs float64) refTail {
	mean := q*(c.s1[0]+c.s1[1]) + (1-2*q)*c.s1[1] - 0.5
	if class == 1 {
		mean = -mean
	}
	pq := q * (1 - q)
	return refTail{
		mean:     mean,
		slack:    mu + 0x1p-50,
		variance: pq * (c.s2[0] + c.s2[1]),
		third:    pq * (q*q + (1-q)*(1-q)) * (c.s3[0] + c.s3[1]),
		rel:      roundoff.Gamma(n + 16),
		rate:     maxAbs,
	}
}

func refPairTail(c *refClassSums, q float64, classes, j, k int, mu float64, n int, maxAbs float64) refTail {
	kf := float64(classes)
	p := q / (kf - 1)
	d := (kf - 1) - kf*q
	kappa := d / (kf - 1)
	a, b, cc := 1-q, q-p, p
	m := a - cc
	vNear := (a+cc)*b + 4*a*cc
	tNear := a*(b+2*cc)*(b+2*cc)*(b+2*cc) + b*math.Abs(m*m*m) + cc*(2*a+b)*(2*a+b)*(2*a+b) + 8*roundoff.Unit
	var s2, s3 float64
	for l := range classes {
		if l != j && l != k {
			s2 += c.s2[l]
			s3 += c.s3[l]
		}
	}
	mean := kappa * (c.s1[j] - c.s1[k])
	kappaErr := roundoff.Unit*(kf-1)/d + 4*roundoff.Unit
	return refTail{
		mean:     mean,
		slack:    mu + kappaErr*math.Abs(mean),
		variance: vNear*(c.s2[j]+c.s2[k]) + 2*p*s2,
		third:    tNear*(c.s3[j]+c.s3[k]) + 2*p*s3,
		rel:      roundoff.Gamma(n + 2*classes + 64),
		rate:     2 * maxAbs,
	}
}

type refClassSums struct{ s1, s2, s3 []float64 }

func (c *refClassSums) set(alpha []float64, z []int, classes int) {
	c.s1, c.s2, c.s3 = grow(c.s1, classes), grow(c.s2, classes), grow(c.s3, classes)
	clear(c.s1)
	clear(c.s2)
	clear(c.s3)
	for i, a := range alpha {
		a2 := a * a
		c.s1[z[i]] += a
		c.s2[z[i]] += a2
		c.s3[z[i]] += a2 * math.Abs(a)
	}
}

func (a *refAttacker) startLabels(y []int) {
	a.labels = append(a.labels[:0], y...)
	a.applied = 0
}

func (a *refAttacker) apply(y []int, r int) {
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

func (a *refAttacker) outcome(r int, proven bool, from, to int) Outcome {
	a.relabels = a.relabels[:0]
	for _, m := range a.rank.prefix(r) {
		a.relabels = append(a.relabels, Relabel{Index: int(m.index), To: int(m.to)})
	}
	return Outcome{Flips: r, Proven: proven, From: from, To: to, Relabels: a.relabels}
}

type refTail struct {
	mean     float64 // E D as computed
	slack    float64 // ≥ E plus the rounding error of mean
	variance float64 // Var D as computed, within a relative rel
	third    float64 // Σᵢ E|α̂ᵢXᵢ − E α̂ᵢXᵢ|³ as computed, within a relative rel
	rel      float64
	rate     float64 // the largest range of a term
}

func (d refTail) upper() float64 {
	num := down(d.mean - d.slack)
	if !(num > 0 && d.variance > 0) {
		return 1
	}
	sdHi := up(math.Sqrt(up(d.variance * (1 + d.rel))))
	sdLo := down(math.Sqrt(down(d.variance * (1 - d.rel))))
	beta := up(up(d.third*(1+d.rel)) / down(down(sdLo*sdLo)*sdLo))
	p := up(refNormalTailUp(down(num/sdHi)) + up(shevtsova*beta))
	return min(p, 1)
}

func (d refTail) lower() float64 {
	if !(d.variance > 0) {
		return 0
	}
	sd := math.Sqrt(d.variance)
	return 0.5*math.Erfc((d.mean+d.slack)/sd/math.Sqrt2) - shevtsova*d.third/(sd*sd*sd)
}

func (d refTail) chernoffHopeless() bool {
	m := d.mean - d.slack
	if !(m > 0) {
		return true
	}
	if !(d.variance > 0 && d.rate > 0) {
		return false
	}
	c := m * d.rate / d.variance
	if c >= 1 {
		return false
	}
	floor := -d.variance / (d.rate * d.rate) * (c + (1-c)*math.Log1p(-c))
	return floor >= -math.Ln2+1e-9
}

func refNormalTailUp(z float64) float64 {
	if !(z > 0) {
		return 1
	}
	x := down(z * down(math.Sqrt2/2))
	return up(0.5 * up(math.Erfc(x)*(1+erfcErr)+0x1p-1074))
}

func refChernoffUp(logEps float64) float64 {
	return up(math.Exp(logEps) * (1 + 0x1p-49))
}

func (a *refAttacker) sampled(p RidgePoint, q float64, smoothed Outcome, cfg Sampling, index int) Outcome {
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
func (a *refAttacker) extend(p RidgePoint, q float64, out Outcome) Outcome {
	if out.From < 0 || out.From >= p.Classes || out.From == out.To {
		panic(fmt.Sprintf("attacks: outcome from class %d to %d", out.From, out.To))
	}
	rank := &a.rank
	if a.rankOf != keyOf(p, out.From, out.To) {
		rank = &a.spare
		rank.build(p.Alpha, p.Y, p.Classes, out.From, out.To)
	}
	s := refSearch{a: a, rank: rank, p: p, q: q, class: out.From, rival: out.To}
	r := min(s.predict(false), len(rank.moves))
	if r <= out.Flips {
		return out
	}
	moves := rank.prefix(r)
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
