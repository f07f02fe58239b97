package radius

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrNoise reports a noise level q outside the open interval (0, ½).
var ErrNoise = errors.New("radius: noise level q must be in (0, 1/2)")

// logHalf is log ½, the certification threshold at r = 0: with no flips the
// prediction is certified iff ε < ½.
const logHalf = -math.Ln2

// Table is the tight Neyman-Pearson radius certificate for one noise level q
// (docs/science.md §5).
//
// Flipping r labels changes the law of the noisy labels only on those r
// coordinates. With K the number of them on which the noisy label agrees with
// the clean one, K ~ Bin(r, 1−q) under clean labels and Bin(r, q) under
// attack, and the likelihood ratio attacked/clean is ρ^{2K−r} with
// ρ = q/(1−q) < 1, largest at K = 0. The attacked mass of a set of clean mass
// ε is therefore largest when the set fills K = 0, 1, 2, … in order, the last
// level taken fractionally; call it A_r(ε). A_r is continuous and strictly
// increasing, so A_r(ε) < ½ iff ε < ε*(r), where A_r(ε*(r)) = ½. A prediction
// is certified at r iff it is certified against every r′ ≤ r, i.e. iff
// ε < min_{r′≤r} ε*(r′).
//
// A Table stores that running minimum in log space for r = 0..maxFlips, so a
// lookup is a binary search. It is immutable and safe for concurrent use.
type Table struct {
	q float64
	// logEpsMax[r] = log min_{r′≤r} ε*(r′), less a rounding margin for r ≥ 1:
	// certified at r iff log ε < logEpsMax[r]. Non-increasing in r.
	logEpsMax []float64
}

// NewTable builds the radius table for noise level q ∈ (0, ½) and radii up to
// maxFlips ≥ 0 (the training-set size: no radius exceeds it). It returns
// ErrNoise for a bad q.
//
// Each ε*(r) is found from the median K* of Bin(r, q), the level at which the
// worst-case attacked mass reaches ½:
//
//	ε*(r) = P_clean(K ≤ K*−1) + (½ − P_att(K ≤ K*−1)) · ρ^{r−2K*}.
//
// Both sums run downwards from K* and stop once their terms no longer change
// the sum (a few hundred terms at most for the attacked sum near its median;
// the clean sum is a far left tail that decays geometrically by about ρ²), so
// the build is close to O(maxFlips·√maxFlips).
func NewTable(q float64, maxFlips int) (*Table, error) {
	if !(q > 0 && q < 0.5) {
		return nil, fmt.Errorf("%w: got %v", ErrNoise, q)
	}
	if maxFlips < 0 {
		return nil, fmt.Errorf("radius: maxFlips must be ≥ 0, got %d", maxFlips)
	}
	b := newBinomials(q, maxFlips)
	logEpsMax := make([]float64, maxFlips+1)
	logEpsMax[0] = logHalf
	running := logHalf
	for r := 1; r <= maxFlips; r++ {
		running = min(running, b.logEpsStar(r))
		logEpsMax[r] = running - roundingMargin(r)
	}
	return &Table{q: q, logEpsMax: logEpsMax}, nil
}

// roundingMargin bounds the absolute rounding error of a computed log ε*(r).
// The log-binomial coefficients come from log-gamma values of size about
// r·ln r, each good to a few ulps; the downward sums add a few ulps more.
// Lowering every threshold by this much means the table never certifies a
// radius that only rounding supports (the cost, a relative 1e−9 in ε at
// r ≈ 10⁴, is far below anything a bound on ε resolves).
func roundingMargin(r int) float64 {
	x := float64(r + 1)
	return 1e-11 + 1e-14*x*(math.Log(x)+1)
}

// Q returns the noise level of the table.
func (t *Table) Q() float64 { return t.q }

// MaxFlips returns the largest radius the table can report.
func (t *Table) MaxFlips() int { return len(t.logEpsMax) - 1 }

// MaxLogEps returns the threshold at r: a bound ε is certified at r flips iff
// log ε < MaxLogEps(r). It is non-increasing in r and equals log ½ at r = 0.
// It panics if r is outside [0, MaxFlips()].
func (t *Table) MaxLogEps(r int) float64 {
	if r < 0 || r >= len(t.logEpsMax) {
		panic(fmt.Sprintf("radius: r = %d outside [0, %d]", r, t.MaxFlips()))
	}
	return t.logEpsMax[r]
}

// Radius returns the largest number of flips r ≤ MaxFlips() certified for a
// bound ε = exp(logEps) on the wrong class, or −1 when ε ≥ ½ (not certified
// even at r = 0). logEps may be far below −745 or −Inf (certified up to
// MaxFlips()). It panics on NaN, which only a bug upstream produces.
func (t *Table) Radius(logEps float64) int {
	if math.IsNaN(logEps) {
		panic("radius: log ε is NaN")
	}
	// logEpsMax is non-increasing, so {r : logEps < logEpsMax[r]} is a prefix.
	return sort.Search(len(t.logEpsMax), func(r int) bool { return logEps >= t.logEpsMax[r] }) - 1
}

// KL returns the KL (divergence-form) radius: the largest integer r with
//
//	r(1−2q)·ln((1−q)/q) < −½ ln(4ε(1−ε)),
//
// capped at maxFlips, or −1 when ε ≥ ½ (docs/science.md §5). ln(4ε(1−ε)) is formed
// as ln 4 + log ε + log1p(−ε), so logEps may be far below −745 or −Inf. It
// panics on a q outside (0, ½), a negative maxFlips or a NaN logEps.
func KL(logEps, q float64, maxFlips int) int {
	if !(q > 0 && q < 0.5) {
		panic(fmt.Sprintf("radius: KL with q = %v outside (0, 1/2)", q))
	}
	if maxFlips < 0 {
		panic(fmt.Sprintf("radius: KL with maxFlips = %d < 0", maxFlips))
	}
	if math.IsNaN(logEps) {
		panic("radius: log ε is NaN")
	}
	if logEps >= logHalf {
		return -1
	}
	// ln(4ε(1−ε)): near ε = ½ as log1p(−(1−2ε)²), since 1−2ε = −expm1(log 2ε)
	// keeps its digits there; elsewhere as ln 4 + log ε + log1p(−ε).
	var logFour float64
	if logEps > -3*math.Ln2 {
		d := -math.Expm1(logEps + math.Ln2)
		logFour = math.Log1p(-d * d)
	} else {
		logFour = 2*math.Ln2 + logEps + math.Log1p(-math.Exp(logEps))
	}
	x := -0.5 * logFour / ((1 - 2*q) * math.Log((1-q)/q)) // +Inf for logEps = −Inf
	if x > float64(maxFlips) {
		return maxFlips
	}
	// Largest integer r with r < x (strict): ⌈x⌉ − 1. r = 0 always qualifies
	// since ε < ½ makes 4ε(1−ε) < 1, even where that rounds to 1.
	return max(0, int(math.Ceil(x))-1)
}

// binomials evaluates Bin(r, q) (attacked) and Bin(r, 1−q) (clean) masses for
// r ≤ maxFlips from a table of log r!.
type binomials struct {
	q          float64
	logQ, logP float64 // log q, log(1−q)
	logRatio   float64 // L = ln((1−q)/q) > 0, so ρ = e^{−L}
	ratio      float64 // ρ = q/(1−q)
	logFact    []float64
}

func newBinomials(q float64, maxFlips int) *binomials {
	logFact := make([]float64, maxFlips+1)
	for j := range logFact {
		logFact[j], _ = math.Lgamma(float64(j) + 1)
	}
	return &binomials{
		q:        q,
		logQ:     math.Log(q),
		logP:     math.Log1p(-q),
		logRatio: math.Log1p(-q) - math.Log(q),
		ratio:    q / (1 - q),
		logFact:  logFact,
	}
}

// logBinom returns log C(r, k).
func (b *binomials) logBinom(r, k int) float64 {
	return b.logFact[r] - b.logFact[k] - b.logFact[r-k]
}

// logAttacked returns log P(K = k) for K ~ Bin(r, q).
func (b *binomials) logAttacked(r, k int) float64 {
	return b.logBinom(r, k) + float64(k)*b.logQ + float64(r-k)*b.logP
}

// logClean returns log P(K = k) for K ~ Bin(r, 1−q).
func (b *binomials) logClean(r, k int) float64 {
	return b.logBinom(r, k) + float64(k)*b.logP + float64(r-k)*b.logQ
}

// sumTiny is the relative size below which a further term of a decreasing
// series no longer changes a float64 sum.
const sumTiny = 1e-18

// logEpsStar returns log ε*(r) for r ≥ 1 (see NewTable).
func (b *binomials) logEpsStar(r int) float64 {
	// Attacked CDF at k0 = ⌊rq⌋, within one of the median. Below the mode the
	// pmf decreases going down: P(j−1)/P(j) = j(1−q)/((r−j+1)q).
	k := int(float64(r) * b.q)
	pk := math.Exp(b.logAttacked(r, k))
	sum, term := 1.0, 1.0
	for j := k; j > 0; j-- {
		term *= float64(j) / (float64(r-j+1) * b.ratio)
		sum += term
		if term < sumTiny*sum {
			break
		}
	}
	cdf := pk * sum // P_att(K ≤ k)
	// Move k to K* = the smallest k with P_att(K ≤ k) ≥ ½.
	for cdf >= 0.5 && k > 0 {
		below := cdf - pk
		if below < 0.5 {
			break
		}
		pk *= float64(k) / (float64(r-k+1) * b.ratio)
		cdf = below
		k--
	}
	for cdf < 0.5 {
		pk *= float64(r-k) * b.ratio / float64(k+1)
		cdf += pk
		k++
	}
	// Fractional level K*: the clean mass that puts attacked mass exactly ½,
	// (½ − P_att(K ≤ K*−1)) · P_clean(K*)/P_att(K*), with that ratio ρ^{r−2K*}.
	logFrac := math.Log(0.5-(cdf-pk)) + float64(2*k-r)*b.logRatio
	if k == 0 {
		return logFrac
	}
	// Clean mass of the full levels 0..K*−1: a far left tail of Bin(r, 1−q),
	// decreasing going down by j·q/((r−j+1)(1−q)) ≤ about ρ².
	top := k - 1
	sum, term = 1.0, 1.0
	for j := top; j > 0; j-- {
		term *= float64(j) * b.ratio / float64(r-j+1)
		sum += term
		if term < sumTiny*sum {
			break
		}
	}
	return logAddExp(b.logClean(r, top)+math.Log(sum), logFrac)
}

// logAddExp returns log(eˣ + eʸ) for finite x, y.
func logAddExp(x, y float64) float64 {
	if x < y {
		x, y = y, x
	}
	return x + math.Log1p(math.Exp(y-x))
}
