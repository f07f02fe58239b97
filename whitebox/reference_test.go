package whitebox_test

// The white-box certificate as it was before it was made faster: the
// reference the equality tests hold the current code to, bit for bit.

import (
	"fmt"
	"math"
	"slices"

	"flipcert/analytic"
	"flipcert/internal/roundoff"
)

// logHalf is the certification threshold: the double nearest log ½, which
// lies above it with no double in between, so v < logHalf for a double v
// holds iff v < log ½ (docs/science.md §10 "Margins of the analytic certificate").
const logHalf = -math.Ln2

// minQ is the smallest noise level the certificate works with: below it a
// law's smallest probability could leave the normal range in the products
// of a pass, which the rounding bounds exclude. Radius returns −1 and
// LogBounds 0 there, which is always sound.
const minQ = 0x1p-500

// A refCertifier computes white-box certificates (docs/science.md §14) with
// scratch memory it keeps between calls, so that certifying many test points
// does not allocate once it has grown to the largest problem. The zero value
// is ready to use. A refCertifier must not be used by several goroutines at
// once; use one per goroutine.
type refCertifier struct {
	// Negligible is how far, in nats, a rival's bound may lie below the
	// union of all rivals' bounds before the search stops improving it (K ≥ 3;
	// its share of the union is then below e^{−Negligible}). If it is 0 it
	// defaults to 30, which leaves the union as good as exact; a caller that
	// needs the union only to a few digits may set less and save passes.
	// Every bound stays valid whatever it is.
	Negligible float64

	pr      problem
	abs     []float64 // the non-zero |αᵢ| by segment, each segment's buckets largest first
	segs    []segment
	ends    []int32 // per segment, the end in abs of each of its buckets
	rivals  []rival
	order   []int  // indices into rivals, most dangerous first
	index   []int  // by class: the index of its rival, −1 if none
	trivial []int  // the rivals whose bound is 1
	part    []sums // shared pass: class k as the rival at 2k, as neutral at 2k+1
	vals    []float64
}

// Radius returns the white-box radius of the smoothed ridge classifier at one
// test point: the largest r ≤ len(y) such that for every set F of at most r
// training points and every relabelling of them, the bound of LogBounds at r
// is below ½ — so that P_F(h ≠ class) < ½ and the smoothed classifier still
// predicts class — or −1 if not even the clean labels are certified.
//
// alpha is the computed kernel vector, y the training labels in
// 0..classes−1, q the noise level in (0, (classes−1)/classes), alphaErr ≥ 0 a
// bound on Σᵢ|α̂ᵢ − αᵢ| (analytic.Certify documents these), and class the
// analytic certificate's prediction (analytic.Certificate.Class), whose
// robustness is certified. The exact bound rises with r, so an r whose
// padded bound is below ½ certifies every r′ ≤ r as well; Radius searches t
// and r for the largest such r (docs/science.md §14) and returns one for
// which that is proven. It is capped at len(y), which it returns when even
// every helpful relabelling keeps the bound below ½ or when the other class
// is impossible whatever the labels (K = 2, as analytic.LogEpsImpossible).
//
// It panics on the misuse analytic.Certify panics on and on a class outside
// 0..classes−1.
func (cz *refCertifier) Radius(alpha []float64, y []int, classes int, q, alphaErr float64, class int) int {
	switch cz.setup(alpha, y, classes, q, alphaErr, class) {
	case trivial:
		return -1
	case impossible:
		return len(y)
	}
	return min(cz.radius(), len(y))
}

// LogBounds returns the natural log of the white-box bound at r relabellings:
// an upper bound on max_{|F|≤r} P_F(h ≠ class), the largest probability that
// the base classifier does not return class over every relabelling of at
// most r training points (r ≥ 0; r = 0 is the clean labels). It is the union
// over the rivals j of
//
//	min_{t≥0} [ψ_j(t) + t·alphaErr + sum of the r largest δᵢ(t)],
//
// ψ_j the analytic certificate's exponent (docs/science.md §4, §8) and δᵢ(t)
// the most point i's relabelling can raise its term (docs/science.md §14),
// minimised over t by Newton steps, padded for rounding, and capped at 0.
// At r = 0 it is the analytic certificate's bound, computed independently.
// analytic.LogEpsImpossible stands for a class 0 whose other side is
// impossible whatever the labels (K = 2).
//
// If dst is not nil it must have length classes; dst[j] is set to the log
// bound on max_{|F|≤r} P_F(rival j beats class) for each j ≠ class (for
// K = 2 the one rival is the other class; 0 for a rival whose expected
// score is within the kernel error of class's) and dst[class] to −Inf. The
// arguments are those of Radius; it panics on the same misuse and if r < 0
// or dst has the wrong length.
func (cz *refCertifier) LogBounds(dst, alpha []float64, y []int, classes int, q, alphaErr float64, class, r int) float64 {
	if r < 0 {
		panic(fmt.Sprintf("whitebox: %d relabellings", r))
	}
	if dst != nil && len(dst) != classes {
		panic(fmt.Sprintf("whitebox: %d rival bounds for %d classes", len(dst), classes))
	}
	fill := func(v float64) float64 {
		for j := range dst {
			dst[j] = v
			if j == class {
				dst[j] = math.Inf(-1)
			}
		}
		return v
	}
	switch cz.setup(alpha, y, classes, q, alphaErr, class) {
	case trivial:
		if dst == nil {
			return 0
		}
	case impossible:
		return fill(analytic.LogEpsImpossible)
	}
	return cz.bounds(dst, r)
}

// checkArgs panics on the misuse Radius and LogBounds document.
func checkArgs(alpha []float64, y []int, classes int, q, alphaErr float64, class int) {
	if len(alpha) != len(y) {
		panic(fmt.Sprintf("whitebox: %d kernel weights for %d labels", len(alpha), len(y)))
	}
	if classes < 2 {
		panic(fmt.Sprintf("whitebox: %d classes, need at least 2", classes))
	}
	if hi := float64(classes-1) / float64(classes); !(q > 0 && q < hi) {
		panic(fmt.Sprintf("whitebox: noise level q = %v outside (0, %v) for %d classes", q, hi, classes))
	}
	if !(alphaErr >= 0) {
		panic(fmt.Sprintf("whitebox: kernel-vector error %v is negative or NaN", alphaErr))
	}
	if class < 0 || class >= classes {
		panic(fmt.Sprintf("whitebox: class %d outside 0..%d", class, classes-1))
	}
	for i, k := range y {
		if uint(k) >= uint(classes) {
			panic(fmt.Sprintf("whitebox: label y[%d] = %d outside 0..%d", i, k, classes-1))
		}
	}
	for i, a := range alpha {
		if math.IsNaN(a) || math.IsInf(a, 0) {
			panic(fmt.Sprintf("whitebox: kernel weight α[%d] = %v is not finite", i, a))
		}
	}
}

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
func (cz *refCertifier) setup(alpha []float64, y []int, classes int, q, alphaErr float64, class int) status {
	checkArgs(alpha, y, classes, q, alphaErr, class)
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
	for _, a := range alpha {
		pr.maxAbs = max(pr.maxAbs, math.Abs(a))
	}
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
func (cz *refCertifier) bucket(alpha []float64, y []int, s float64) int {
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
func (cz *refCertifier) pass(j int, t float64) (psi, d1, d2 float64) {
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
func (cz *refCertifier) sharedPass(t float64, set func(j int, psi, d1, d2 float64)) {
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

// sortBucket sorts segment g's next bucket in decreasing order.
func (cz *refCertifier) sortBucket(g int) {
	sg := &cz.segs[g]
	end := int(cz.ends[g*buckets+sg.bucket])
	part := cz.abs[sg.sorted:end]
	slices.Sort(part)
	slices.Reverse(part)
	sg.sorted, sg.bucket = end, sg.bucket+1
}

// grow returns s resliced to length n, reallocated if too small.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// maxPasses caps the exact passes spent on one rival; every t gives a valid
// bound, so a capped search costs tightness, never soundness.
const maxPasses = 16

// tolerance is the gap between a rival's bound and a certified lower bound
// on its optimum at which LogBounds stops minimising it.
const tolerance = 1e-10

// negligible is the default of refCertifier.Negligible: e^{−30} of the union
// at most.
const negligible = 30

// negligible returns how far below the union a rival's bound may lie before
// the search stops spending passes on it.
func (cz *refCertifier) negligible() float64 {
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
func (cz *refCertifier) initRivals() status {
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
func (cz *refCertifier) meanDepth(rv *rival, limit int) int {
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
func (cz *refCertifier) element(rv *rival, s, i int) (float64, bool) {
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
func (cz *refCertifier) moveTo(rv *rival, t, psi, d1, d2 float64) {
	rv.t, rv.psi, rv.d1, rv.d2 = t, psi, d1, d2
	rv.pos, rv.known, rv.done = [2]int{}, [2]bool{}, [2]bool{}
	rv.cum = append(rv.cum[:0], 0)
	rv.c1 = append(rv.c1[:0], 0)
	rv.c2 = append(rv.c2[:0], 0)
	rv.exhausted = false
	rv.recorded = 0
}

// evaluate spends one pass on the rival at t.
func (cz *refCertifier) evaluate(rv *rival, t float64) {
	psi, d1, d2 := cz.pass(rv.j, t)
	rv.passes++
	cz.moveTo(rv, t, psi, d1, d2)
}

// start evaluates every rival at its starting point: for K ≥ 3 one shared
// pass at the most dangerous rival's start, otherwise a pass at its start.
// atRadius starts where the bound is about ½ (the Gaussian model of the
// exponent, −m·t + v·t²/2 with minimum −m²/(2v) = log ½, is minimised at
// t = √(2 ln 2/v)) unless the clean minimiser m/v lies before it.
func (cz *refCertifier) start(atRadius bool) {
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
func (cz *refCertifier) walk(rv *rival, depth int, stop func(r int) bool) {
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
func (cz *refCertifier) record(rv *rival) {
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
func (cz *refCertifier) value(rv *rival, r int) float64 {
	pr := &cz.pr
	t := rv.t
	lift := pr.pad + pr.padPerT*t + pr.slope*t
	c := rv.cum[r]
	v := rv.psi + lift + c*(1+pr.walkErr(r, t))
	return v + 0x1p-50*(math.Abs(rv.psi)+lift+c)
}

// slopes returns the padded exponent's first two derivatives in t after r
// moves of the walk (the last one if the walk is shorter).
func (cz *refCertifier) slopes(rv *rival, r int) (d1, d2 float64) {
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
func (cz *refCertifier) predicted(rv *rival, r int) float64 {
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
func (cz *refCertifier) lower(rv *rival, r int) float64 {
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
func (cz *refCertifier) newton(rv *rival, target int) float64 {
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
func (cz *refCertifier) unionAt(r int, at func(rv *rival, r int) float64) float64 {
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
func (cz *refCertifier) radius() int {
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
func (cz *refCertifier) walkAll(limit int) int {
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
func (cz *refCertifier) crossing(depth int) (int, bool) {
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
func (cz *refCertifier) step(target int) bool {
	u := cz.unionAt(target, cz.predicted)
	moved := false
	for _, idx := range cz.order {
		rv := &cz.rivals[idx]
		if rv.passes >= maxPasses || cz.predicted(rv, target) < u-cz.negligible() {
			continue
		}
		next := cz.newton(rv, target)
		if math.Abs(next-rv.t) <= 1e-12*rv.t {
			continue
		}
		cz.evaluate(rv, next)
		moved = true
	}
	return moved
}

// bounds minimises every non-trivial rival's exponent after r moves and
// returns the union of all rivals' bounds, capped at 0, filling dst as
// LogBounds documents (0 for the trivial rivals).
func (cz *refCertifier) bounds(dst []float64, r int) float64 {
	if len(cz.rivals) > 0 {
		cz.minimise(r)
	}
	for i := range dst {
		dst[i] = math.Inf(-1)
	}
	for _, j := range cz.trivial {
		if dst != nil {
			dst[j] = 0
		}
	}
	for i := range cz.rivals {
		if dst != nil {
			dst[cz.rivals[i].j] = min(cz.rivals[i].bestAt(r), 0)
		}
	}
	if len(cz.trivial) > 0 {
		return 0
	}
	return min(cz.unionAt(r, bestOf), 0)
}

// minimise runs Newton steps on each rival that matters until its bound
// after r moves is certified within tolerance of its optimum, it stops
// moving, or its passes are spent.
func (cz *refCertifier) minimise(r int) {
	cz.start(r > 0)
	for {
		for _, idx := range cz.order {
			cz.walk(&cz.rivals[idx], r, func(int) bool { return false })
		}
		u := cz.unionAt(r, bestOf)
		moved := false
		for _, idx := range cz.order {
			rv := &cz.rivals[idx]
			b := rv.bestAt(r)
			if rv.passes >= maxPasses || b < u-cz.negligible() || b-cz.lower(rv, r) <= tolerance {
				continue
			}
			next := cz.newton(rv, r)
			if math.Abs(next-rv.t) <= 1e-12*rv.t {
				continue
			}
			cz.evaluate(rv, next)
			moved = true
		}
		if !moved {
			return
		}
	}
}
