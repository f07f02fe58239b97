package analytic

import (
	"fmt"
	"math"

	"flipcert/decide"
)

// histBins is the resolution of the K-class surrogate: per class and sign,
// |α| is binned by eighth-octaves below max|α| (the leading three bits of
// the mantissa); the last bin takes everything below max|α|·2⁻²⁴.
const histBins = 8 * 24

// coarseBins is how many neighbouring bins the coarse surrogate merges:
// half-octaves, whose root is within about 1e−4 of the fine one and costs a
// quarter as much per step.
const coarseBins = 4

// Roles of a term in the margin D_j = s_c − s_j of rival j against the
// predicted class c, indexing the laws (see law).
const (
	favours = iota // yᵢ = c with αᵢ > 0, or yᵢ = j with αᵢ < 0
	opposes        // yᵢ = c with αᵢ < 0, or yᵢ = j with αᵢ > 0
	neutral        // yᵢ ∉ {c, j}
)

// law is the distribution of one term αᵢXᵢ of D_j, Xᵢ ∈ {+1, 0, −1}, seen
// from its size a = |αᵢ|: pb = P(the term is −a), p0 = P(it is 0),
// ps = P(it is +a). With p = q/(K−1) (docs/science.md §8):
//
//	favours: (p, q−p, 1−q)   opposes: (1−q, q−p, p)   neutral: (p, 1−2p, p).
//
// The term's log-MGF is log E e^{−tαᵢXᵢ} = F(t·a) with
// F(x) = log(pb·eˣ + p0 + ps·e⁻ˣ) = x + log g, g = pb + p0·e + ps·e²,
// e = e^{−x}, and g ∈ [pb, 1].
type law struct{ pb, p0, ps float64 }

// tilt returns, for a term with law l at x = t·|αᵢ| ≥ 0 given e = e^{−x},
// g (F = x + log g) and the weights of the law tilted by e^{x·loss}, where
// the loss −αᵢXᵢ/|αᵢ| is +1, 0 or −1 with probabilities pb, p0, ps:
// wb = pb/g, w0 = p0·e/g, ws = ps·e²/g. It and cumulants are split so that
// each inlines into the hot loop.
func tilt(e float64, l law) (g, wb, w0, ws float64) {
	e2 := e * e
	g = l.pb + l.p0*e + l.ps*e2
	inv := 1 / g
	return g, l.pb * inv, l.p0 * e * inv, l.ps * e2 * inv
}

// tilt0 is tilt at x = 0: the weights are the law itself.
func tilt0(l law) (wb, w0, ws float64) { return l.pb, l.p0, l.ps }

// cumulants returns F′ = m, F″ = v, F‴ = k at the tilt with weights wb, w0,
// ws: the mean, variance and third cumulant of the loss. The variance is
// written as a sum of non-negative parts, free of cancellation.
func cumulants(wb, w0, ws float64) (m, v, k float64) {
	m = wb - ws
	s := wb + ws
	return m, s*w0 + 4*wb*ws, m * (1 - 3*s + 2*m*m)
}

// role returns the role of the terms with label k and sign σ (0 for αᵢ > 0,
// 1 for αᵢ < 0) in D_j against class c.
func role(k, sigma, c, j int) int {
	switch k {
	case c:
		return sigma // favours for αᵢ > 0, opposes for αᵢ < 0
	case j:
		return 1 - sigma
	}
	return neutral
}

// ExpectedScores sets dst[c] to the expected score of class c under the
// label noise (docs/science.md §8),
//
//	μ_c = Σᵢ αᵢ P(y′ᵢ = c) = p·Σᵢαᵢ + (1−q−p)·Σ_{yᵢ=c} αᵢ,   p = q/(K−1),
//
// in one pass over α, for K = classes = len(dst). It panics on the misuse
// Certify panics on (except non-finite α, which propagate) and if
// len(dst) ≠ classes.
func ExpectedScores(dst, alpha []float64, y []int, classes int, q float64) {
	checkArgs(len(alpha), len(y), classes, q, 0)
	if len(dst) != classes {
		panic(fmt.Sprintf("analytic: %d expected scores for %d classes", len(dst), classes))
	}
	scores(dst, alpha, y, classes, q)
}

// scores is ExpectedScores without the argument checks, except of the
// labels. It reports whether every αᵢ is finite.
func scores(dst, alpha []float64, y []int, classes int, q float64) bool {
	clear(dst)
	var total, check float64 // a − a is NaN exactly when a is NaN or ±Inf
	for i, a := range alpha {
		k := y[i]
		if uint(k) >= uint(classes) {
			panic(fmt.Sprintf("analytic: label y[%d] = %d outside 0..%d", i, k, classes-1))
		}
		dst[k] += a
		total += a
		check += a - a
	}
	p := q / float64(classes-1)
	keep := 1 - q - p
	for k := range dst {
		dst[k] = p*total + keep*dst[k]
	}
	return check == 0
}

// A Certifier computes certificates with scratch memory it keeps between
// calls, so that K-class certificates do not allocate once it has grown to
// the largest problem. The zero value is ready to use. A Certifier must not
// be used by several goroutines at once; use one per goroutine.
type Certifier struct {
	mu     []float64 // expected scores, one per class
	segs   []segment // terms by class k and sign σ, at 2k+σ
	abs    []float64 // the non-zero |αᵢ|, grouped by segment
	hist   []bin     // per segment, histBins bins of |α|
	rivals []rival   // by class
	order  []int     // the rival classes, most dangerous first
	nodes  []node    // the surrogate's nodes
	part   []sums    // shared pass: class k as the rival at 2k, as neutral at 2k+1
	own    sums      // shared pass: the terms of class c
	sur    surrogate
	pr     problem
}

// segment is a run of abs: the terms of one class and sign, with their
// power sums Σa² and Σa³ (for the search's start).
type segment struct {
	start, end int
	s2, s3     float64
}

// bin accumulates count, Σa and Σa² of the |αᵢ| in one histogram bin.
type bin struct{ count, sum, sumSq float64 }

// sums are the parts of one pass over some terms at t: Σ log g, and ψ′, ψ″,
// ψ‴ summed as Σ a·m, Σ a²·v, Σ a³·k.
type sums struct{ logG, d1, d2, d3 float64 }

func (s *sums) add(o sums) {
	s.logG += o.logG
	s.d1 += o.d1
	s.d2 += o.d2
	s.d3 += o.d3
}

// rival is the minimisation of one rival's ψ_j.
type rival struct {
	prog     progress
	next     float64 // where the search would evaluate next
	t0       float64 // the cubic Taylor start
	estimate float64 // the Gaussian estimate −ψ′(0)²/(2ψ″(0)) of min ψ_j
}

// problem is what one K-class call shares between its rivals.
type problem struct {
	classes, c int
	laws       [3]law
	chunk      int     // factors g ≥ p multiplied before a log: p^chunk ≥ 2⁻¹⁰⁰⁰
	sum        float64 // S = Σ|αᵢ|: every ψ_j(t) is t·S + Σ log gᵢ
	s          search
}

// Certify returns the certificate of Certify, reusing the Certifier's
// scratch memory. It panics as Certify does.
//
// For two classes it is the binary certificate (see Certify). For K ≥ 3
// (docs/science.md §8) the class c is the argmax of the expected scores μ
// (ExpectedScores), lowest index on ties. For each rival j ≠ c the margin
// D_j = s_c − s_j = Σ αᵢXᵢ is a sum of independent terms Xᵢ ∈ {+1, 0, −1}
// (see law), and since the base classifier returns c only if every D_j > 0
// (a tie D_j = 0 counts as a loss),
//
//	P(h ≠ c) ≤ Σ_j P(D_j ≤ 0) ≤ Σ_j min_{t≥0} exp ψ_j(t),
//	ψ_j(t) = Σᵢ log E e^{−tαᵢXᵢ} = t·Σ|αᵢ| + Σᵢ log gᵢ(t),
//
// each ψ_j convex with ψ_j′(0) = −(μ_c − μ_j) ≤ 0 and ψ_j′(∞) = Σ|αᵢ| > 0
// (every term can reach −|αᵢ|), so the minimum is at a finite t, found as
// in the binary case: a surrogate root from histogram bins of |α|, then
// exact passes with safeguarded Halley steps and the one-pass bounds, here
// with B = 2·max|αᵢ| as each term spans 2|αᵢ|. Each ψ_j is raised by
// t·alphaErr; a rival with ψ_j′(0) + alphaErr ≥ 0 (a tie of μ, or a margin
// the kernel error could erase) has the bound 1. LogEps is the log-sum-exp
// of the K−1 exponents, capped at 0, and Iterations counts all exact passes.
//
// The rivals share work: the first exact pass, at the root for the rival
// with the largest Gaussian estimate, evaluates every ψ_j there, each exp
// serving a term's two roles (rival or neutral). Every t gives a valid bound,
// so a rival whose bound there is below the others' sum by more than
// log(2(K−2)/1e−9) is left at that bound, and one whose bound is already
// certified is done; the others get their own passes, most dangerous first,
// until the rivals done are certified to add up to 1 or more. LogEps is
// within 1e−9 of min(log Σ_j min_t exp ψ_j(t), 0), on the safe side: half of
// that for each rival's gap, half for the rivals left early.
func (cz *Certifier) Certify(alpha []float64, y []int, classes int, q float64, alphaErr float64) Certificate {
	checkArgs(len(alpha), len(y), classes, q, alphaErr)
	if classes == 2 {
		return certifyBinary(alpha, y, q, alphaErr)
	}
	return cz.certifyK(alpha, y, classes, q, alphaErr)
}

// certifyK is the K-class certificate, for any K ≥ 2 (the tests run it with
// K = 2 against the binary path).
func (cz *Certifier) certifyK(alpha []float64, y []int, classes int, q, alphaErr float64) Certificate {
	cz.reserve(classes, len(alpha))
	if !scores(cz.mu, alpha, y, classes, q) {
		for i, a := range alpha {
			if math.IsNaN(a) || math.IsInf(a, 0) {
				panic(fmt.Sprintf("analytic: kernel weight α[%d] = %v is not finite", i, a))
			}
		}
	}
	c := decide.Argmax(cz.mu)
	cert := Certificate{Class: c}
	for j, m := range cz.mu {
		// ψ_j′(0) = −(μ_c − μ_j) + alphaErr ≥ 0 (a tie, α ≡ 0, or a margin the
		// kernel error could erase): min ψ_j = ψ_j(0) = 0, and the union is 1.
		if j != c && alphaErr-(cz.mu[c]-m) >= 0 {
			return cert
		}
	}
	pr := &cz.pr
	cz.setup(alpha, y, classes, c, q, alphaErr)
	cz.order = cz.order[:0]
	for j := range classes {
		if j != c {
			cz.initRival(j)
			cz.order = append(cz.order, j)
		}
	}
	// Most dangerous first (insertion sort: K is small; ties keep index order).
	for i := 1; i < len(cz.order); i++ {
		for k := i; k > 0 && cz.rivals[cz.order[k]].estimate > cz.rivals[cz.order[k-1]].estimate; k-- {
			cz.order[k], cz.order[k-1] = cz.order[k-1], cz.order[k]
		}
	}
	first := cz.order[0]
	t := cz.surrogateRoot(first, cz.rivals[first].t0, newBracket())
	passes, shared := 0, t
	if len(cz.order) > 1 {
		cz.sharedPass(t)
		passes++
		t = cz.rivals[first].next
	}
	passes += cz.minimiseRival(first, t)
	logSum := cz.rivals[first].prog.best
	logFloor := cz.rivals[first].prog.floor
	// Left at its shared-pass bound, each such rival adds at most
	// e^{logSum − margin}: all of them together raise LogEps by at most tol/2.
	margin := math.Log(2 * float64(classes-2) / tolerance)
	for _, j := range cz.order[1:] {
		if logFloor >= 0 {
			// The optimal union bound is certified ≥ 1 already: LogEps is 0.
			cert.Iterations = passes
			return cert
		}
		r := &cz.rivals[j]
		if r.prog.best > logSum-margin && pr.s.more(&r.prog) {
			// Halley's step from the shared pass lands within about the cube
			// of its relative length of the minimiser: better than the
			// surrogate (about 1e−6) when that length is below 1e−3.
			t := r.next
			if math.Abs(t-shared) > 1e-3*shared {
				if ts := cz.surrogateRoot(j, t, r.prog.br); r.prog.br.inside(ts) {
					t = ts
				}
			}
			passes += cz.minimiseRival(j, t)
		}
		logSum = logAddExp(logSum, r.prog.best)
		if r.prog.floor > math.Inf(-1) {
			logFloor = logAddExp(logFloor, r.prog.floor)
		}
	}
	cert.Iterations = passes
	// The log-sum-exp again, in class order, then raised by a few ulps of its
	// size: the rounding of this last step must not make it optimistic.
	top := math.Inf(-1)
	for _, j := range cz.order {
		top = max(top, cz.rivals[j].prog.best)
	}
	var total float64
	for j := range classes {
		if j != c {
			total += math.Exp(cz.rivals[j].prog.best - top)
		}
	}
	logEps := top + math.Log(total)
	logEps += 0x1p-50 * (math.Abs(logEps) + float64(classes))
	cert.LogEps = min(logEps, 0)
	return cert
}

// logAddExp returns log(eˣ + eʸ), for y > −∞.
func logAddExp(x, y float64) float64 {
	hi, lo := max(x, y), min(x, y)
	return hi + math.Log1p(math.Exp(lo-hi))
}

// reserve grows the scratch memory for classes and n terms.
func (cz *Certifier) reserve(classes, n int) {
	cz.mu = grow(cz.mu, classes)
	cz.segs = grow(cz.segs, 2*classes)
	cz.abs = grow(cz.abs, n)
	cz.hist = grow(cz.hist, 2*classes*histBins)
	cz.rivals = grow(cz.rivals, classes)
	cz.part = grow(cz.part, 2*classes)
	cz.nodes = grow(cz.nodes, 3*histBins)
	if cap(cz.order) < classes {
		cz.order = make([]int, 0, classes)
	}
}

// grow returns s resliced to length n, reallocated if too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// setup fills cz.pr and groups the non-zero |αᵢ| by class and sign into
// cz.abs (a counting sort), with each segment's power sums and histogram.
func (cz *Certifier) setup(alpha []float64, y []int, classes, c int, q, alphaErr float64) {
	clear(cz.segs)
	clear(cz.hist)
	var sum, maxAbs float64
	for start := 0; start < len(alpha); start += productChunk {
		part := alpha[start:min(start+productChunk, len(alpha))]
		var chunkSum float64 // summed in chunks, as the padding assumes
		for i, a := range part {
			if a == 0 {
				continue
			}
			cz.segs[2*y[start+i]+int(math.Float64bits(a)>>63)].end++
			abs := math.Abs(a)
			chunkSum += abs
			maxAbs = max(maxAbs, abs)
		}
		sum += chunkSum
	}
	nonZero := 0
	for k := range cz.segs {
		count := cz.segs[k].end
		cz.segs[k].start, cz.segs[k].end = nonZero, nonZero
		nonZero += count
	}
	for i, a := range alpha {
		if a != 0 {
			sg := &cz.segs[2*y[i]+int(math.Float64bits(a)>>63)]
			cz.abs[sg.end] = math.Abs(a)
			sg.end++
		}
	}
	top := int(math.Float64bits(maxAbs) >> 49) // 8·exponent + three leading mantissa bits
	for k := range cz.segs {
		sg := &cz.segs[k]
		hist := cz.hist[k*histBins : (k+1)*histBins]
		var s2, s3 float64
		for _, a := range cz.abs[sg.start:sg.end] {
			a2 := a * a
			s2 += a2
			s3 += a2 * a
			h := &hist[min(top-int(math.Float64bits(a)>>49), histBins-1)]
			h.count++
			h.sum += a
			h.sumSq += a2
		}
		sg.s2, sg.s3 = s2, s3
	}

	p := q / float64(classes-1)
	pr := &cz.pr
	pr.classes, pr.c, pr.sum = classes, c, sum
	pr.laws[favours] = law{pb: p, p0: q - p, ps: 1 - q}
	pr.laws[opposes] = law{pb: 1 - q, p0: q - p, ps: p}
	pr.laws[neutral] = law{pb: p, p0: 1 - 2*p, ps: p}
	pr.chunk = productChunk
	if lim := int(1000 / math.Log2(1/p)); lim < pr.chunk {
		pr.chunk = max(lim, 1)
	}
	// Rounding (docs/science.md §10 "Margins of the analytic certificate"): each term's g, m, v and k err by a few
	// dozen ulps at most; the segments and the assembly of the rivals add 2K
	// chunks to the sums (see newSearch).
	pr.s = newSearch(nonZero, pr.chunk, classes, p, sum, 2*maxAbs, alphaErr, tolerance/2)
}

// initRival sets up rival j's minimisation: its cumulants at t = 0 from the
// segments' power sums, the cubic Taylor start as in the binary case, and
// the Gaussian estimate of its exponent that orders the rivals.
func (cz *Certifier) initRival(j int) {
	pr := &cz.pr
	k1 := pr.s.slope - (cz.mu[pr.c] - cz.mu[j]) // ψ_j′(0) < 0
	var k2, k3 float64
	for k := range pr.classes {
		for sigma := range 2 {
			sg := cz.segs[2*k+sigma]
			_, v, kk := cumulants(tilt0(pr.laws[role(k, sigma, pr.c, j)]))
			k2 += v * sg.s2
			k3 += kk * sg.s3
		}
	}
	t0 := -k1 / k2
	if disc := k2*k2 - 2*k3*k1; disc >= 0 {
		t0 = -2 * k1 / (k2 + math.Sqrt(disc))
	}
	cz.rivals[j] = rival{prog: newProgress(), t0: t0, estimate: -k1 * k1 / (2 * k2)}
}

// surrogateRoot returns the root of rival j's surrogate ψ_j′ searched
// from t0 inside br: first on half-octave bins, then refined on the
// eighth-octave ones, whose root lies within about 1e−6 of the exact one.
func (cz *Certifier) surrogateRoot(j int, t0 float64, br bracket) float64 {
	cz.buildSurrogate(j, coarseBins)
	t := cz.sur.root(t0, br, 1e-6)
	cz.buildSurrogate(j, 1)
	return cz.sur.root(t, br, 1e-9)
}

// buildSurrogate sets cz.sur to rival j's surrogate with bins of merge
// histogram bins: per bin, one node for each sign of class c and of class j
// and one for the neutral terms of all other classes together.
func (cz *Certifier) buildSurrogate(j, merge int) {
	pr := &cz.pr
	sur := &cz.sur
	sur.nodes, sur.multi, sur.laws, sur.slope, sur.n = cz.nodes, true, pr.laws, pr.s.slope, 0
	for b := 0; b < histBins; b += merge {
		var acc [3]bin // by role
		for k := range pr.classes {
			for sigma := range 2 {
				r := &acc[role(k, sigma, pr.c, j)]
				for _, h := range cz.hist[(2*k+sigma)*histBins+b : (2*k+sigma)*histBins+b+merge] {
					r.count += h.count
					r.sum += h.sum
					r.sumSq += h.sumSq
				}
			}
		}
		for r, h := range acc {
			if h.count > 0 {
				sur.add(h.count, h.sum, h.sumSq, r)
			}
		}
	}
}

// minimiseRival continues rival j's minimisation from t with its own exact
// passes and returns how many it spent.
func (cz *Certifier) minimiseRival(j int, t float64) int {
	s := &cz.pr.s
	p := &cz.rivals[j].prog
	before := p.passes
	for s.more(p) {
		psi, d1, d2, d3 := cz.evalRival(j, t)
		next := s.step(p, t, psi, d1, d2, d3)
		if next == t { // the bracket has shrunk to rounding
			break
		}
		t = next
	}
	return p.passes - before
}

// evalRival returns ψ_j(t) and its first three derivatives in one pass.
func (cz *Certifier) evalRival(j int, t float64) (psi, d1, d2, d3 float64) {
	pr := &cz.pr
	var tot sums
	for k := range pr.classes {
		for sigma := range 2 {
			sg := cz.segs[2*k+sigma]
			l := pr.laws[role(k, sigma, pr.c, j)]
			s, _ := accumulate(cz.abs[sg.start:sg.end], t, pr.chunk, l, l, false)
			tot.add(s)
		}
	}
	return t*pr.sum + tot.logG, tot.d1, tot.d2, tot.d3
}

// sharedPass evaluates every rival's ψ_j at t in one pass, one exp per term:
// the terms of class c have one role for all rivals, those of class k ≠ c
// two (rival for j = k, neutral otherwise). Each rival records the pass.
func (cz *Certifier) sharedPass(t float64) {
	pr := &cz.pr
	cz.own = sums{}
	for k := range pr.classes {
		cz.part[2*k], cz.part[2*k+1] = sums{}, sums{}
		for sigma := range 2 {
			sg := cz.segs[2*k+sigma]
			abs := cz.abs[sg.start:sg.end]
			if k == pr.c {
				s, _ := accumulate(abs, t, pr.chunk, pr.laws[sigma], pr.laws[sigma], false)
				cz.own.add(s)
				continue
			}
			asRival, asNeutral := accumulate(abs, t, pr.chunk, pr.laws[1-sigma], pr.laws[neutral], true)
			cz.part[2*k].add(asRival)
			cz.part[2*k+1].add(asNeutral)
		}
	}
	for _, j := range cz.order {
		psi, d1, d2, d3 := cz.sharedRival(j, t)
		r := &cz.rivals[j]
		r.next = pr.s.step(&r.prog, t, psi, d1, d2, d3)
	}
}

// sharedRival assembles ψ_j(t) and its derivatives from the shared pass at t.
func (cz *Certifier) sharedRival(j int, t float64) (psi, d1, d2, d3 float64) {
	pr := &cz.pr
	tot := cz.own
	tot.add(cz.part[2*j])
	for k := range pr.classes {
		if k != pr.c && k != j {
			tot.add(cz.part[2*k+1])
		}
	}
	return t*pr.sum + tot.logG, tot.d1, tot.d2, tot.d3
}

// accumulate returns the sums over the sizes abs of the terms' log g and
// a·m, a²·v, a³·k (see tilt) at t under law l and, if dual, under law l2
// too, from one exp per term. The g are multiplied in chunks of chunk
// factors, each in [p, 1], before one log; the other sums are taken in the
// same chunks, which bounds their rounding error (docs/science.md §10 "Margins of the analytic certificate").
func accumulate(abs []float64, t float64, chunk int, l, l2 law, dual bool) (s, s2 sums) {
	for start := 0; start < len(abs); start += chunk {
		part := abs[start:min(start+chunk, len(abs))]
		prod, d1, d2, d3 := 1.0, 0.0, 0.0, 0.0
		prod2, e1, e2, e3 := 1.0, 0.0, 0.0, 0.0
		for _, a := range part {
			e := math.Exp(-t * a)
			a2 := a * a
			g, wb, w0, ws := tilt(e, l)
			m, v, k := cumulants(wb, w0, ws)
			prod *= g
			d1 += a * m
			d2 += a2 * v
			d3 += a2 * a * k
			if dual {
				g, wb, w0, ws := tilt(e, l2)
				m, v, k := cumulants(wb, w0, ws)
				prod2 *= g
				e1 += a * m
				e2 += a2 * v
				e3 += a2 * a * k
			}
		}
		s.add(sums{math.Log(prod), d1, d2, d3})
		if dual {
			s2.add(sums{math.Log(prod2), e1, e2, e3})
		}
	}
	return s, s2
}
