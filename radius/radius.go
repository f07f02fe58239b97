package radius

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"sync"
	"sync/atomic"
)

// ErrNoise reports a noise level q outside (0, (K−1)/K) for K classes.
var ErrNoise = errors.New("radius: noise level q out of range")

// Table is the tight (Neyman-Pearson) radius certificate for K classes and
// one noise level q (docs/science.md §5, §8).
//
// Under noise each label is kept with probability 1−q and otherwise replaced
// by one of the K−1 other classes, each with probability p = q/(K−1).
// Changing r training labels changes the law of the noisy labels only on
// those r coordinates, and there the likelihood ratio attacked/clean is ρ^Z
// with ρ = (1−q)/p > 1 and Z = A − B: A counts the coordinates whose noisy
// label is the new label, B those whose noisy label is the old one.
// (A, B, C) ~ Mult(r; p, 1−q, (K−2)p) under clean labels and
// P_att(Z = z) = ρ^z·P_clean(Z = z). The set of clean mass ε with the largest
// attacked mass fills the levels z = r, r−1, … in turn, the last one
// fractionally; ε*(r) is the clean mass at which that attacked mass reaches
// ½. A bound ε on the wrong class is certified at r iff ε < ε*(r′) for every
// r′ ≤ r. For K = 2 this is the binomial certificate of §5 (Z = r − 2·#kept).
//
// The table stores, for each r, a threshold MaxLogEps(r) that is provably at
// most log min_{r′≤r} ε*(r′): every rounding error of its computation is
// bounded and subtracted (docs/science.md §10 "The radius table"). It is built lazily, one r at
// a time, as far as lookups need; a Table is safe for concurrent use.
type Table struct {
	q        float64
	classes  int
	maxFlips int

	// Bounds on L = ln ρ and on the KL divergence per changed label,
	// (1−q−p)·L; all satisfy lo ≤ true ≤ hi.
	logRhoLo, logRhoHi float64
	klHi               float64
	// floor is a lower bound on the threshold at maxFlips (the crude bound
	// of crudeLogEps): any log ε below it is certified at maxFlips.
	floor float64

	thresholds atomic.Pointer[[]float64] // published prefix r = 0..built

	mu sync.Mutex // guards b and the growth of thresholds
	b  builder
}

// NewTable returns the radius table for noise level q and K = classes
// classes, for radii up to maxFlips (the number of training labels: no radius
// exceeds it). It builds nothing yet: thresholds are computed on first use,
// up to the radius a lookup needs.
//
// It returns an error wrapping ErrNoise unless 0 < q < (K−1)/K, and an error
// for classes < 2 or maxFlips < 0.
func NewTable(q float64, classes, maxFlips int) (*Table, error) {
	if classes < 2 {
		return nil, fmt.Errorf("radius: classes must be ≥ 2, got %d", classes)
	}
	k := float64(classes)
	if !(q > 0 && q < (k-1)/k) {
		return nil, fmt.Errorf("%w: q = %v must be in (0, %v) for %d classes", ErrNoise, q, (k-1)/k, classes)
	}
	if min := MinQ(classes); q < min {
		return nil, fmt.Errorf("%w: q = %v is below %v: the noise level of one class, q/(K−1), must be a normal float64 (at least 2⁻¹⁰²²), or its logarithm is inexact", ErrNoise, q, min)
	}
	if maxFlips < 0 {
		return nil, fmt.Errorf("radius: maxFlips must be ≥ 0, got %d", maxFlips)
	}
	t := &Table{q: q, classes: classes, maxFlips: maxFlips}

	// ρ − 1 = ((K−1) − Kq)/q and 1−q−p = ((K−1) − Kq)/(K−1), both from the
	// one difference d = (K−1) − Kq; its rounding error is at most
	// u·Kq + u·|d| (one rounding in Kq, one in the subtraction).
	kq := k * q
	d := (k - 1) - kq
	dErr := up(2 * u * (kq + d))
	dHi, dLo := up(d+dErr), max(0, down(d-dErr))
	// L = log1p(d/q) is increasing in d. Where d/q is huge (q below ~1e-18)
	// log1p(x) ∈ [ln x, ln x + 1/x] keeps it finite for any q.
	if xHi := up(dHi / q); xHi < 0x1p60 {
		t.logRhoHi = up(math.Log1p(xHi) * (1 + libErr))
		t.logRhoLo = max(0, down(math.Log1p(down(dLo/q))*(1-libErr)))
	} else {
		t.logRhoHi = up(up(logHi(dHi)-logLo(q)) + 0x1p-59)
		t.logRhoLo = max(0, down(logLo(dLo)-logHi(q)))
	}
	t.klHi = up(up(dHi/(k-1)) * t.logRhoHi)
	t.floor = t.crudeLogEps(maxFlips)

	t.b = newBuilder(q, classes)
	first := []float64{logHalf}
	t.thresholds.Store(&first)
	return t, nil
}

// MinQ is the smallest noise level a table accepts for the given number of
// classes: (K−1)·2⁻¹⁰²², where the per-class noise q/(K−1) is the smallest
// normal float64. Below it logarithms of subnormal numbers are off by up to
// tens of nats, and nothing can be certified soundly (docs/science.md §10 "The radius table").
func MinQ(classes int) float64 { return float64(classes-1) * 0x1p-1022 }

// Q returns the noise level q.
func (t *Table) Q() float64 { return t.q }

// Classes returns the number of classes K.
func (t *Table) Classes() int { return t.classes }

// MaxFlips returns the largest radius the table reports.
func (t *Table) MaxFlips() int { return t.maxFlips }

// MaxLogEps returns the threshold at r: a bound ε is certified at r flips if
// log ε < MaxLogEps(r), and Radius is the largest such r. It is
// non-increasing in r and equals log ½ (the nearest double) at r = 0. For
// r ≥ 1 it is at most log min_{r′≤r} ε*(r′), every rounding error of its
// computation being bounded and subtracted, and it falls short of that by far
// less than the step between consecutive thresholds (docs/science.md §10 "The radius table").
// It extends the table to r if needed, and panics if r is outside
// [0, MaxFlips()].
func (t *Table) MaxLogEps(r int) float64 {
	if r < 0 || r > t.maxFlips {
		panic(fmt.Sprintf("radius: r = %d outside [0, %d]", r, t.maxFlips))
	}
	s := *t.thresholds.Load()
	if r >= len(s) {
		s = t.extend(r, math.Inf(-1))
	}
	return s[r]
}

// Radius returns the largest r ≤ MaxFlips() certified for a bound
// ε = exp(logEps) on the wrong classes, that is the largest r with
// logEps < MaxLogEps(r), or −1 when ε ≥ ½ (not certified even at r = 0).
// logEps may be far below −745 or −Inf (certified up to MaxFlips()). It
// panics on NaN, which only a bug upstream produces.
func (t *Table) Radius(logEps float64) int {
	if math.IsNaN(logEps) {
		panic("radius: log ε is NaN")
	}
	if logEps < t.floor {
		return t.maxFlips
	}
	s := *t.thresholds.Load()
	if len(s) <= t.maxFlips && logEps < s[len(s)-1] {
		s = t.extend(t.maxFlips, logEps)
	}
	// s is non-increasing, so {r : logEps < s[r]} is a prefix.
	return sort.Search(len(s), func(r int) bool { return logEps >= s[r] }) - 1
}

// RadiusKL returns the KL (divergence-form) radius: the largest integer
// r ≤ MaxFlips() with
//
//	r·(1−q−p)·ln ρ < −½ ln(4ε(1−ε)),
//
// or −1 when ε ≥ ½ (docs/science.md §5, §8; for K = 2 the per-change
// divergence is (1−2q)·ln((1−q)/q)). Both sides are bounded with their
// rounding errors and compared on the conservative side, so an r that only
// rounding would admit is not certified (docs/science.md §10 "The radius table"). logEps may be
// far below −745 or −Inf. It panics on NaN.
func (t *Table) RadiusKL(logEps float64) int {
	if math.IsNaN(logEps) {
		panic("radius: log ε is NaN")
	}
	if logEps >= logHalf {
		return -1
	}
	x := down(klBudgetLo(logEps) / t.klHi) // ≤ the exact budget/divergence
	if x > float64(t.maxFlips) {
		return t.maxFlips
	}
	// Largest integer r with r < x: ⌈x⌉ − 1, and r = 0 whenever ε < ½.
	return max(0, int(math.Ceil(x))-1)
}

// klBudgetLo returns a lower bound on −½ ln(4ε(1−ε)) for ε = exp(logEps) < ½,
// from log ε so that ε may underflow. Near ε = ½ it is −½ log1p(−d²) with
// d = 1−2ε = −expm1(log ε + ln 2), which keeps its digits there; elsewhere
// −½(ln 4 + log ε + log1p(−ε)). Each step's error is bounded and taken on the
// side that lowers the result.
func klBudgetLo(logEps float64) float64 {
	if logEps > -3*math.Ln2 {
		// s = log ε + ln 2 ≤ 0 to within u|s| + 2⁻⁵³ (the sum's rounding and
		// that of the constant); d = −expm1(s) has slope e^s ≤ 1 in s.
		s := logEps + math.Ln2
		sErr := up(u*math.Abs(s) + 0x1p-53)
		dHat := -math.Expm1(s)
		dLo := down(dHat - up(sErr+libErr*dHat))
		if dLo <= 0 {
			return 0
		}
		v := math.Log1p(-down(dLo * dLo)) // ≤ 0, decreasing in d
		return max(0, down(-0.5*up(v-libErr*v)))
	}
	// ln 4(1−ε)ε ≤ (2 Ln2 + 2⁻⁵²) + log ε + log1p(−ε_lo).
	epsLo := down(math.Exp(logEps) * (1 - libErr))
	w := math.Log1p(-epsLo)
	logFourHi := up(up(up(2*math.Ln2+0x1p-52)+logEps) + up(w-libErr*w))
	return down(-0.5 * logFourHi)
}

// crudeLogEps returns a lower bound on log ε*(r) from the largest likelihood
// ratio alone: a set of clean mass ε has attacked mass at most ε·ρ^r, so
// log ε < −ln 2 − r·ln ρ certifies r.
func (t *Table) crudeLogEps(r int) float64 {
	return down(down(-math.Ln2) - up(float64(r)*t.logRhoHi))
}

// extend builds thresholds until the table reaches r or its last threshold is
// at most logEps (no larger radius can then be certified), and returns the
// published prefix. It grows by at least a quarter of its length at a time,
// so a slowly rising demand costs few lock acquisitions.
func (t *Table) extend(r int, logEps float64) []float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := *t.thresholds.Load()
	minLen := min(t.maxFlips+1, len(s)+len(s)/4+32)
	for len(s) <= r && (s[len(s)-1] > logEps || len(s) < minLen) {
		lambda := max(t.b.step(t.logRhoLo, t.logRhoHi), t.crudeLogEps(len(s)))
		// Appending never rewrites an element a reader's shorter prefix holds.
		s = append(s, min(s[len(s)-1], lambda))
	}
	t.thresholds.Store(&s)
	return s
}

// logHalf is the double nearest log ½. It lies above log ½, but no double
// lies strictly between them, so log ε < logHalf holds for a double log ε
// iff ε < ½.
const logHalf = -math.Ln2

const (
	// u is the unit roundoff of float64: a correctly rounded operation
	// returns x(1+δ) with |δ| ≤ u.
	u = 0x1p-53
	// libErr bounds the relative error of math.Log, Log1p, Exp and Expm1:
	// Go documents them as accurate to within one ulp (a relative 2u); we
	// allow four.
	libErr = 8 * u
	// tiny is the attacked mass below which a level is dropped from the
	// window, its mass added to the builder's deficit bound: ~10 standard
	// deviations from the mode, so the window stays a few thousand levels.
	tiny = 0x1p-80
	// underflow is the size below which a lower-bounded partial sum is
	// flushed to zero, keeping every operand normal and so every rounding
	// relative.
	underflow = 0x1p-1000
	// roundingsPerStep bounds the roundings one convolution step adds to
	// the path of any attacked mass: two in each coefficient, one product,
	// two additions, and one for products that fall below the normal range.
	roundingsPerStep = 7
)

// relErr(n) = 2nu bounds |θ| for any product of n factors (1+δᵢ)^{±1} with
// |δᵢ| ≤ u, n·u ≤ ½ (Higham, Accuracy and Stability, Lemma 3.1).
func relErr(n int) float64 { return float64(n) * 0x1p-52 }

// logLo and logHi bound ln x, trusting math.Log to libErr.
func logLo(x float64) float64 { v := math.Log(x); return down(v - up(libErr*math.Abs(v))) }
func logHi(x float64) float64 { v := math.Log(x); return up(v + up(libErr*math.Abs(v))) }

// up and down move a correctly rounded result one ulp outwards, so that
// they bound the exact value of the operation that produced it.
func up(x float64) float64   { return math.Nextafter(x, math.Inf(1)) }
func down(x float64) float64 { return math.Nextafter(x, math.Inf(-1)) }

// builder holds the attacked law of Z at the current r on a window of
// levels and advances it one changed label at a time (docs/science.md §10 "The radius table").
//
// Invariant, with P the exact attacked pmf at r and θ = relErr(7r):
//
//	(1−θ)·(P(z) − d(z)) ≤ c(z) ≤ (1+θ)·P(z),  d ≥ 0,  Σ_z d(z) ≤ deficit,
//
// where c(z) is the stored mass (zero outside the window): every rounding is
// relative, and mass is lost only where a level is dropped, which adds at
// most twice the dropped value to deficit.
type builder struct {
	plus, zero, minus float64 // attacked step law: Z+1 w.p. 1−q, Z w.p. (K−2)p, Z−1 w.p. p
	invRho            float64 // 1/ρ = p/(1−q), to 3 roundings; 0 if below the normal range
	subnormal         float64 // 16K·2⁻¹⁰⁷⁴: mass a level may lose per step to underflow
	r                 int
	zlo               int       // level of c[0]
	c                 []float64 // attacked masses of levels zlo, zlo+1, …
	spare             []float64 // the other buffer
	deficit           float64
}

func newBuilder(q float64, classes int) builder {
	p := q / float64(classes-1)
	b := builder{
		plus:      1 - q,
		zero:      float64(classes-2) * p,
		minus:     p,
		invRho:    p / (1 - q),
		subnormal: float64(classes) * 0x1p-1070,
		c:         []float64{1},
	}
	if b.invRho < underflow {
		b.invRho = 0 // H below then stays 0: a valid lower bound
	}
	return b
}

// step advances r by one and returns a lower bound on log ε*(r), given
// bounds lo ≤ ln ρ ≤ hi. The result is −Inf if precision allows no bound.
func (b *builder) step(logRhoLo, logRhoHi float64) float64 {
	b.convolve()
	return b.logEpsStarLo(logRhoLo, logRhoHi)
}

// convolve replaces c by its convolution with the one-change step law,
// dropping levels whose mass falls below tiny and trimming empty ends.
func (b *builder) convolve() {
	src := b.c
	n := len(src)
	if cap(b.spare) < n+2 {
		b.spare = make([]float64, n+2, 2*n+64)
	}
	dst := b.spare[:n+2]
	plus, zero, minus := b.plus, b.zero, b.minus
	// dst[j] is level zlo−1+j: plus·src[j−2] + zero·src[j−1] + minus·src[j].
	at := func(i int) float64 {
		if i < 0 || i >= n {
			return 0
		}
		return src[i]
	}
	dropped := 0.0
	keep := func(v float64) float64 {
		if v < tiny {
			dropped += v
			return 0
		}
		return v
	}
	for j := range 2 {
		dst[j] = keep(plus*at(j-2) + zero*at(j-1) + minus*at(j))
	}
	for j := 2; j < n; j++ {
		v := plus*src[j-2] + zero*src[j-1] + minus*src[j]
		if v < tiny {
			dropped += v
			v = 0
		}
		dst[j] = v
	}
	for j := max(2, n); j < n+2; j++ {
		dst[j] = keep(plus*at(j-2) + zero*at(j-1) + minus*at(j))
	}
	// A dropped level's true mass is below twice its computed value (c/(1−θ))
	// plus the absolute error of products below the normal range (at most
	// K·2⁻¹⁰⁷⁴, coefficients included); the float sum of the dropped values
	// is within a factor 2 of theirs.
	b.deficit = up(b.deficit + 4*dropped + float64(n+2)*b.subnormal)
	lo, hi := 0, len(dst)
	for lo < hi && dst[lo] == 0 {
		lo++
	}
	for hi > lo && dst[hi-1] == 0 {
		hi--
	}
	b.spare = src[:0]
	b.c = dst[lo:hi]
	b.zlo += lo - 1
	b.r++
}

// logEpsStarLo returns a lower bound on log ε*(r) at the current r.
//
// For any level k, with S(k) = P_att(Z > k) and H(k) = Σ_{z>k} P_att(z)ρ^{k−z},
//
//	ε_k = ρ^{−k}·(H(k) + ½ − S(k))
//
// is the value at attacked mass ½ of the k-th linear piece of the convex map
// attacked mass ↦ worst clean mass, so ε_k ≤ ε*(r) for every k, with equality
// at the level where S crosses ½. The walk from the top level down finds that
// level; the bound is the best of it and the two levels above it (for K = 2
// every other level is empty), each with its rounding error subtracted.
func (b *builder) logEpsStarLo(logRhoLo, logRhoHi float64) float64 {
	type state struct {
		z, walked int
		s, h      float64
	}
	var last [3]state // last[0] is the current level
	c := b.c
	s, h := 0.0, 0.0
	seen := 0
	for i := len(c) - 1; i >= 0; i-- {
		last[2], last[1] = last[1], last[0]
		last[0] = state{z: b.zlo + i, walked: len(c) - 1 - i, s: s, h: h}
		seen++
		if s+c[i] >= 0.5 {
			break
		}
		h = (h + c[i]) * b.invRho
		if h < underflow {
			h = 0
		}
		s += c[i]
	}
	best := math.Inf(-1)
	for _, st := range last[:min(seen, 3)] {
		best = max(best, b.candidateLo(st.z, st.walked, st.s, st.h, logRhoLo, logRhoHi))
	}
	return best
}

// candidateLo returns a lower bound on log ε_z from the computed sums s and
// h over the walked levels above z. s and h carry at most 7r roundings from
// the masses and 5·walked from the walk (an addition, a product and the three
// roundings of 1/ρ per level), so with e = relErr(7r + 5·walked + 8):
//
//	S(z) ≤ s(1+e) + deficit,  H(z) ≥ h(1−e),
//
// and ε_z ≥ ρ^{−z}(h(1−e) + ½ − s(1+e) − deficit).
func (b *builder) candidateLo(z, walked int, s, h, logRhoLo, logRhoHi float64) float64 {
	e := relErr(roundingsPerStep*b.r + 5*walked + 8)
	sHi := up(up(s*up(1+e)) + b.deficit)
	hLo := down(h * down(1-e))
	t := down(down(hLo+0.5) - sHi)
	if !(t > 0) {
		return math.Inf(-1)
	}
	logTLo := logLo(t)
	// Upper bound on z·ln ρ for either sign of z.
	var zl float64
	switch {
	case z > 0:
		zl = up(float64(z) * logRhoHi)
	case z < 0:
		zl = up(float64(z) * logRhoLo)
	}
	return down(logTLo - zl)
}
