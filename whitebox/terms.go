package whitebox

import (
	"math"
	"slices"

	"flipcert/internal/radix"
	"flipcert/internal/roundoff"
)

// law is the distribution of one term of an exponent, seen from its size
// a = |αᵢ| at x = t·a ≥ 0 with e = e^{−x}. A term whose loss is +a, 0 or −a
// with probabilities pb, p0, ps has the log-moment-generating function
//
//	F(x) = log(pb·eˣ + p0 + ps·e⁻ˣ) = x + log g,   g = pb + p0·e + ps·e²,
//
// and a term of the binary score with loss 0 or −a (down) has
// F(x) = log g with g = p0 + ps·e. Either way g ∈ [smallest probability, 1].
type law struct {
	pb, p0, ps float64
	down       bool
}

// at returns g and the weights of the law tilted by e^{x·loss} (wb, w0, ws
// for the losses +a, 0, −a): F′(x) = wb − ws and F″(x) = (wb + ws)·w0 +
// 4·wb·ws, the tilted mean and variance of the loss over a.
func (l law) at(e float64) (g, wb, w0, ws float64) {
	if l.down {
		g = l.p0 + l.ps*e
		inv := 1 / g
		return g, 0, l.p0 * inv, l.ps * e * inv
	}
	e2 := e * e
	g = l.pb + l.p0*e + l.ps*e2
	inv := 1 / g
	return g, l.pb * inv, l.p0 * e * inv, l.ps * e2 * inv
}

// moments returns F′ and F″ from the tilted weights.
func moments(wb, w0, ws float64) (m, v float64) {
	return wb - ws, (wb+ws)*w0 + 4*wb*ws
}

// kind is a kind of helpful relabelling: it changes a term's law from old to
// new, two laws in the up form with g_new − g_old = κ(1 − eᵏ), k = 1 or 2
// (pow2), so that the increment of the term is
//
//	δ(x) = log(g_new/g_old) = log1p(κ(1 − eᵏ)/g_old),
//
// positive and increasing in x for x > 0 (docs/science.md §14).
type kind struct {
	old, new law
	kappa    float64
	pow2     bool
}

// delta returns δ(x) and its first two derivatives in x.
func (k *kind) delta(x float64) (d, d1, d2 float64) {
	e := math.Exp(-x)
	gap := -math.Expm1(-x) // 1 − e without cancellation
	if k.pow2 {
		gap *= 1 + e
	}
	g, wb, w0, ws := k.old.at(e)
	d = math.Log1p(k.kappa * gap / g)
	m0, v0 := moments(wb, w0, ws)
	_, wb, w0, ws = k.new.at(e)
	m1, v1 := moments(wb, w0, ws)
	return d, m1 - m0, v1 - v0
}

// Roles of a term in the margin of rival j against the class c (K ≥ 3),
// indexing problem.laws as in package analytic.
const (
	favours = iota // yᵢ = c with αᵢ > 0, or yᵢ = j with αᵢ < 0
	opposes        // yᵢ = c with αᵢ < 0, or yᵢ = j with αᵢ > 0
	neutral        // yᵢ ∉ {c, j}
)

// role returns the role of the terms of segment (label k, sign σ) in the
// margin of rival j against class c.
func role(k, sigma, c, j int) int {
	switch k {
	case c:
		return sigma
	case j:
		return 1 - sigma
	}
	return neutral
}

// problem is what one call shares between its rivals.
type problem struct {
	n, classes, c int
	binary        bool
	// laws: binary, by segment 2·label + σ; K classes, by role.
	laws [4]law
	// kinds: binary, [the flip]; K classes, [favours → opposes,
	// neutral → opposes].
	kinds [2]kind
	a0    float64 // the binary ψ's −s·t/2: a0 = −s/2; 0 for K classes
	lin   float64 // Σ a over the up-law terms: ψ = a0·t + lin·t + Σ log g
	chunk int     // factors g multiplied before a log: pmin^chunk ≥ 2⁻¹⁰⁰⁰
	// Rounding (docs/science.md §14): a computed ψ(t) is raised by
	// pad + padPerT·t, a computed sum of δ by the factor 1 + walkErr(r, t).
	pad, padPerT float64
	deltaErr     float64 // relative error of κ, in each δ beside (2x + 48)u
	slope        float64 // the kernel-vector error E: every ψ is raised by E·t
	rate         float64 // B: ψ″(t)e^{−B|Δ|} ≤ ψ″(t+Δ) for every exponent
	maxAbs       float64
}

// segment is a run of abs: the terms of one label and sign, split into
// buckets of decreasing size that are sorted only when a walk reaches them.
type segment struct {
	start, end int
	sorted     int // abs[start:sorted] holds whole buckets, sorted decreasing
	bucket     int // the next bucket to sort
	sum, sumSq float64
}

// buckets is the number of buckets per segment: quarter octaves below the
// largest |αᵢ|, the last one taking everything below max|αᵢ|·2⁻⁶³.
const buckets = 256

// bucketOf returns the bucket of a ∈ (0, top] where top's quarter octave is
// key = bits(top) >> 50 (exponent and two leading mantissa bits).
func bucketOf(a float64, key uint64) int {
	return int(min(key-math.Float64bits(a)>>50, buckets-1))
}

// status is the outcome of setup.
type status int

const (
	normal     status = iota
	trivial           // the bound is 1 already at r = 0
	impossible        // K = 2: the other class has probability 0 for every labelling
)

// setup validates the arguments and prepares the problem: laws, kinds,
// segments with their buckets, rounding pads, and the rivals.
func (cz *Certifier) setup(alpha []float64, y []int, classes int, q, alphaErr float64, class int) status {
	maxAbs := checkArgs(alpha, y, classes, q, alphaErr, class)
	pr := &cz.pr
	if q < minQ {
		cz.rivals, cz.trivial = cz.rivals[:0], cz.trivial[:0]
		for j := range classes {
			if j != class {
				cz.trivial = append(cz.trivial, j)
			}
		}
		return trivial
	}
	*pr = problem{n: len(alpha), classes: classes, c: class, binary: classes == 2, slope: alphaErr}
	s := 1.0 // binary side: the exponent of e^{s·t·S}
	if pr.binary && class == 1 {
		s = -1
	}
	pr.maxAbs = maxAbs
	nonZero := cz.bucket(alpha, y, s)
	pmin := pr.setLaws(q, s)
	pr.chunk = 512
	if lim := int(1000 / math.Log2(1/pmin)); lim < pr.chunk {
		pr.chunk = max(lim, 1)
	}
	var sumAbs float64
	for g := range cz.segs {
		sg := &cz.segs[g]
		sg.sum, sg.sumSq = chunkedSums(cz.abs[sg.start:sg.end], pr.chunk)
		sumAbs += sg.sum
		if !pr.binary || g&1 == 0 { // up-law terms: all for K classes
			pr.lin += sg.sum
		}
	}
	// Rounding of ψ (docs/science.md §14): as for the analytic certificate,
	// γ = (L + m/L + 2K + 128)·2⁻⁵² over the m non-zero terms,
	// pad = γ·m·(log(1/pmin) + 2) and padPerT = 2γ·Σ|αᵢ|.
	m := float64(nonZero)
	gamma := float64(pr.chunk+nonZero/pr.chunk+2*classes+128) * 0x1p-52
	pr.pad = gamma * m * (2 - math.Log(pmin))
	pr.padPerT = 2 * gamma * sumAbs

	if pr.binary {
		// For class 0, S ≥ ½ is possible under some labelling iff
		// −½ + Σ_{αᵢ>0} αᵢ + E ≥ 0, the slope of ψ at ∞; relabelling changes
		// which labels are likely, never which are possible. Within rounding
		// of 0 (the sum errs by less than γ_{n+3} of its size) the certificate
		// proceeds, which is conservative.
		slopeInf := pr.a0 + pr.lin + alphaErr
		if band := roundoff.Gamma(len(alpha)+3) * (0.5 + pr.lin + alphaErr); s > 0 && slopeInf < -band {
			return impossible
		}
	}
	return cz.initRivals()
}

// bucket counting-sorts the non-zero |αᵢ| into cz.abs by segment (label and
// sign index: the sign of αᵢ, for K = 2 of s·αᵢ) and, within it, by bucket,
// largest first, and returns how many there are.
func (cz *Certifier) bucket(alpha []float64, y []int, s float64) int {
	sigma := func(a float64) int {
		b := int(math.Float64bits(a) >> 63)
		if s < 0 {
			b = 1 - b
		}
		return b
	}
	nseg := 2 * cz.pr.classes
	cz.segs = grow(cz.segs, nseg)
	cz.ends = grow(cz.ends, nseg*buckets)
	clear(cz.segs)
	clear(cz.ends)
	key := math.Float64bits(cz.pr.maxAbs) >> 50
	nonZero := 0
	for i, a := range alpha {
		if a != 0 {
			cz.ends[(2*y[i]+sigma(a))*buckets+bucketOf(math.Abs(a), key)]++
			nonZero++
		}
	}
	cz.abs = grow(cz.abs, nonZero)
	pos := int32(0)
	for g := range nseg {
		cz.segs[g].start = int(pos)
		for b := range buckets {
			count := cz.ends[g*buckets+b]
			cz.ends[g*buckets+b] = pos // the next free slot, for now
			pos += count
		}
		cz.segs[g].end, cz.segs[g].sorted = int(pos), cz.segs[g].start
	}
	for i, a := range alpha {
		if a != 0 {
			slot := &cz.ends[(2*y[i]+sigma(a))*buckets+bucketOf(math.Abs(a), key)]
			cz.abs[*slot] = math.Abs(a)
			*slot++ // ends at the bucket's end
		}
	}
	return nonZero
}

// setLaws sets the laws, kinds of moves, the relative error of κ and the
// rate B for noise q and binary side s, and returns the smallest
// probability of any law.
func (pr *problem) setLaws(q, s float64) (pmin float64) {
	if pr.binary {
		pr.a0 = -s / 2
		pr.laws = [4]law{
			{pb: q, p0: 1 - q},             // label 0, s·αᵢ > 0
			{p0: 1 - q, ps: q, down: true}, // label 0, s·αᵢ < 0
			{pb: 1 - q, p0: q},             // label 1, s·αᵢ > 0
			{p0: q, ps: 1 - q, down: true}, // label 1, s·αᵢ < 0
		}
		kappa := 1 - 2*q // 2q is exact: one rounding
		pr.kinds[0] = kind{old: pr.laws[0], new: pr.laws[2], kappa: kappa}
		pr.deltaErr = 2 * roundoff.Unit
		pr.rate = pr.maxAbs
		return q
	}
	k := float64(pr.classes)
	p := q / (k - 1)
	pr.laws[favours] = law{pb: p, p0: q - p, ps: 1 - q}
	pr.laws[opposes] = law{pb: 1 - q, p0: q - p, ps: p}
	pr.laws[neutral] = law{pb: p, p0: 1 - 2*p, ps: p}
	// κ = 1−q−p = ((K−1) − Kq)/(K−1): Kq and the difference d are rounded
	// once each, d by at most u(Kq + |d|), so κ errs by a relative
	// u(K−1)/d plus two roundings.
	d := (k - 1) - k*q
	kappa := d / (k - 1)
	pr.kinds[0] = kind{old: pr.laws[favours], new: pr.laws[opposes], kappa: kappa, pow2: true}
	pr.kinds[1] = kind{old: pr.laws[neutral], new: pr.laws[opposes], kappa: kappa}
	pr.deltaErr = roundoff.Unit*(k-1)/d + 2*roundoff.Unit
	pr.rate = 2 * pr.maxAbs
	return p
}

// chunkedSums returns Σa and Σa² over abs, each summed in chunks of chunk
// terms.
func chunkedSums(abs []float64, chunk int) (sum, sumSq float64) {
	for start := 0; start < len(abs); start += chunk {
		var s, s2 float64
		for _, a := range abs[start:min(start+chunk, len(abs))] {
			s += a
			s2 += a * a
		}
		sum += s
		sumSq += s2
	}
	return sum, sumSq
}

// segLaw returns the law of segment g's terms in rival j's exponent.
func (pr *problem) segLaw(g, j int) law {
	if pr.binary {
		return pr.laws[g]
	}
	return pr.laws[role(g/2, g&1, pr.c, j)]
}

// sums are the parts of one pass over some terms at t: Σ log g, Σ a·F′ and
// Σ a²·F″.
type sums struct{ logG, d1, d2 float64 }

func (s *sums) add(o sums) {
	s.logG += o.logG
	s.d1 += o.d1
	s.d2 += o.d2
}

// accumulate returns the sums over the sizes abs at t under law l and, if
// dual, under l2 too, from one exp per term. The g, each in [pmin, 1], are
// multiplied in chunks of chunk factors before one log; the other sums are
// taken in the same chunks, which bounds their rounding (docs/science.md
// §14).
func accumulate(abs []float64, t float64, chunk int, l, l2 law, dual bool) (s, s2 sums) {
	for start := 0; start < len(abs); start += chunk {
		part := abs[start:min(start+chunk, len(abs))]
		prod, d1, d2 := 1.0, 0.0, 0.0
		prod2, e1, e2 := 1.0, 0.0, 0.0
		for _, a := range part {
			e := math.Exp(-t * a)
			g, wb, w0, ws := l.at(e)
			m, v := moments(wb, w0, ws)
			prod *= g
			d1 += a * m
			d2 += a * a * v
			if dual {
				g, wb, w0, ws := l2.at(e)
				m, v := moments(wb, w0, ws)
				prod2 *= g
				e1 += a * m
				e2 += a * a * v
			}
		}
		s.add(sums{math.Log(prod), d1, d2})
		if dual {
			s2.add(sums{math.Log(prod2), e1, e2})
		}
	}
	return s, s2
}

// base returns rival j's exponent at t from sums over all its terms:
// ψ = a0·t + lin·t + Σ log g, ψ′ = a0 + Σ a·F′, ψ″ = Σ a²·F″.
func (pr *problem) base(t float64, s sums) (psi, d1, d2 float64) {
	return (pr.a0+pr.lin)*t + s.logG, pr.a0 + s.d1, s.d2
}

// pass evaluates rival j's exponent at t with one exp per term.
func (cz *Certifier) pass(j int, t float64) (psi, d1, d2 float64) {
	pr := &cz.pr
	var tot sums
	for g, sg := range cz.segs {
		l := pr.segLaw(g, j)
		s, _ := accumulate(cz.abs[sg.start:sg.end], t, pr.chunk, l, l, false)
		tot.add(s)
	}
	return pr.base(t, tot)
}

// sharedPass evaluates every rival's exponent at t in one pass (K ≥ 3), one
// exp per term: the terms of class c have one law for every rival, those of
// class k ≠ c two (rival for j = k, neutral otherwise). It calls set for
// each rival.
func (cz *Certifier) sharedPass(t float64, set func(j int, psi, d1, d2 float64)) {
	pr := &cz.pr
	var own sums
	cz.part = grow(cz.part, 2*pr.classes) // class k as the rival at 2k, as neutral at 2k+1
	part := cz.part
	clear(part)
	for g, sg := range cz.segs {
		k, sigma := g/2, g&1
		abs := cz.abs[sg.start:sg.end]
		if k == pr.c {
			s, _ := accumulate(abs, t, pr.chunk, pr.laws[sigma], pr.laws[sigma], false)
			own.add(s)
			continue
		}
		asRival, asNeutral := accumulate(abs, t, pr.chunk, pr.laws[1-sigma], pr.laws[neutral], true)
		part[2*k].add(asRival)
		part[2*k+1].add(asNeutral)
	}
	for j := range pr.classes {
		if j == pr.c {
			continue
		}
		tot := own
		tot.add(part[2*j])
		for k := range pr.classes {
			if k != pr.c && k != j {
				tot.add(part[2*k+1])
			}
		}
		psi, d1, d2 := pr.base(t, tot)
		set(j, psi, d1, d2)
	}
}

// walkErr returns the relative error bound of a computed sum of r
// increments δ at t (docs/science.md §14): each δ errs by a relative
// ε = (2x + 48)u + deltaErr, x = t·|αᵢ| ≤ t·max|α| (capped at 746, beyond
// which e^{−x} is below every double), the merge of two streams by computed
// δ may lose 2ε of the exact top-r sum, and the serial sum adds γ_r.
func (pr *problem) walkErr(r int, t float64) float64 {
	x := math.Min(t*pr.maxAbs, 746)
	eps := (2*x+48)*roundoff.Unit + pr.deltaErr
	return 3*eps + roundoff.Gamma(r+8)
}

// sortBucket sorts segment g's next bucket in decreasing order. Equal
// weights are equal bits, so any sort gives the same sequence; long buckets
// go by radix (package radix) on the complement of the bits, which order as
// the weights do (all positive), larger first.
func (cz *Certifier) sortBucket(g int) {
	sg := &cz.segs[g]
	end := int(cz.ends[g*buckets+sg.bucket])
	part := cz.abs[sg.sorted:end]
	if len(part) < radixMin {
		slices.Sort(part)
		slices.Reverse(part)
	} else {
		cz.keys = grow(cz.keys, len(part))
		for i, a := range part {
			cz.keys[i] = ^math.Float64bits(a)
		}
		cz.kbuf, _ = radix.Sort[struct{}](cz.keys, nil, cz.kbuf, nil)
		for i, k := range cz.keys {
			part[i] = math.Float64frombits(^k)
		}
	}
	sg.sorted, sg.bucket = end, sg.bucket+1
}

// radixMin is the bucket length from which sortBucket sorts by radix.
const radixMin = 64

// grow returns s resliced to length n, reallocated if too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}
