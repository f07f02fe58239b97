package sampler

import (
	"fmt"
	"math"
)

// LowerBound returns the one-sided Clopper-Pearson lower bound p̲ on a success
// probability after k successes in n trials, at confidence 1−alpha, together
// with log(1−p̲), which stays accurate when 1−p̲ is far below machine epsilon.
//
// p̲ is the alpha-quantile of Beta(k, n−k+1): I_p̲(k, n−k+1) = P(Bin(n, p̲) ≥ k)
// = alpha, with the closed forms p̲ = 0 at k = 0 and p̲ = alpha^{1/n} at k = n
// (docs/science.md §3). Elsewhere the equation is solved by safeguarded Newton in
// log p̲ (when p̲ ≤ ½) or in log(1−p̲) (when p̲ > ½) on a binomial tail that is
// accurate to about 1e-13 relative for any n (see logUpperTail); gonum's
// RegIncBeta degrades to ~1e-6 relative at n = 1e9 and its Beta quantile is
// wrong in the tails, so neither is used.
//
// Both are moved to the safe side (a smaller p̲, a larger log(1−p̲)) by a
// margin that covers the solver's and the closed form's error (safeSide).
//
// LowerBound panics unless 0 ≤ k ≤ n, n ≥ 1 and 0 < alpha < 1.
func LowerBound(k, n int, alpha float64) (p, logOneMinusP float64) {
	if n < 1 || k < 0 || k > n || !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("sampler: LowerBound(k=%d, n=%d, alpha=%g) out of range", k, n, alpha))
	}
	switch k {
	case 0:
		return 0, 0
	case n:
		// (p̲)^n = alpha, so 1−p̲ = −expm1(log(alpha)/n) without cancellation.
		lp := math.Log(alpha) / float64(n)
		// A few roundings in u = −expm1(lp) and its log: a few ulps.
		v := math.Log(-math.Expm1(lp))
		return fromLogOneMinusP(v + 8*0x1p-52*max(1, math.Abs(v)))
	}
	logAlpha := math.Log(alpha)
	nf := float64(n)
	if lt, _ := logUpperTail(k, n, 0.5, 0.5); lt >= logAlpha {
		// p̲ ≤ ½: solve in v = log p on [log p₁, log ½], where p₁ = 1−(1−alpha)^{1/n}
		// solves the k = 1 equation and P(Bin(n,p) ≥ k) ≤ P(Bin(n,p) ≥ 1).
		lo := math.Log(-math.Expm1(math.Log1p(-alpha) / nf))
		g := func(v float64) (float64, float64) {
			p := math.Exp(v)
			lt, lpmf := logUpperTail(k, n, p, -math.Expm1(v))
			// d log P/d log p = p·(k/p)·P(X = k)/P(X ≥ k).
			return lt - logAlpha, float64(k) * math.Exp(lpmf-lt)
		}
		v := solveLog(lo, math.Log(0.5), g)
		_, slope := g(v)
		p = math.Exp(v - safeSide(v, slope))
		return p, math.Log1p(-p)
	}
	// p̲ > ½: solve in v = log(1−p) on [log u_n, log ½], where u_n = 1−alpha^{1/n}
	// is the k = n solution and P(Bin(n,p) ≥ k) ≥ P(Bin(n,p) ≥ n). The
	// function decreases in v, so solveLog gets its negative.
	lo := math.Log(-math.Expm1(logAlpha / nf))
	g := func(v float64) (float64, float64) {
		u := math.Exp(v)
		p := -math.Expm1(v)
		lt, lpmf := logUpperTail(k, n, p, u)
		return logAlpha - lt, u / p * float64(k) * math.Exp(lpmf-lt)
	}
	v := solveLog(lo, math.Log(0.5), g)
	_, slope := g(v)
	return fromLogOneMinusP(v + safeSide(v, slope))
}

// tailErr bounds the relative error of logUpperTail, so the absolute error of
// the log tail the solver drives to log alpha (docs/science.md §10 "The sampled classifier's arithmetic").
const tailErr = 1e-13

// safeSide is the margin by which LowerBound moves a solved root v (log p̲, or
// log(1−p̲)) towards the safe side: the log tail is off by at most tailErr,
// which moves the root by at most about tailErr divided by the slope of the
// log tail in v, doubled for the slope's own error, plus a few ulps of v.
func safeSide(v, slope float64) float64 {
	return 2*tailErr/math.Abs(slope) + 8*0x1p-52*max(1, math.Abs(v))
}

// fromLogOneMinusP returns p̲ and log(1−p̲) from v = log(1−p̲) ≤ 0, clamped to
// 0, with p̲ = −expm1(v) formed from it.
func fromLogOneMinusP(v float64) (p, logOneMinusP float64) {
	v = min(0, v)
	return -math.Expm1(v), v
}

// solveLog finds the root of an increasing function g on [lo, hi] with g(lo) ≤ 0
// ≤ g(hi) by Newton's method, falling back to bisection whenever a step leaves
// the current bracket. g returns its value and derivative.
func solveLog(lo, hi float64, g func(v float64) (val, deriv float64)) float64 {
	v := lo
	for range 200 {
		val, deriv := g(v)
		switch {
		case val == 0:
			return v
		case val < 0:
			lo = v
		default:
			hi = v
		}
		next := v - val/deriv
		if !(next > lo && next < hi) { // also catches NaN from a zero derivative
			next = lo + (hi-lo)/2
		}
		if math.Abs(next-v) <= 1e-15*math.Abs(v) || hi-lo <= 1e-15*math.Abs(v) {
			return next
		}
		v = next
	}
	return v
}

// logUpperTail returns log P(X ≥ k) and log P(X = k) for X ~ Bin(n, p), 1 ≤ k ≤ n.
// The caller passes u = 1−p computed without cancellation, so p near 0 or 1
// keeps full relative precision. The tail is summed from k away from the mean,
// where terms fall off at least geometrically; below the mean the complement is
// summed instead, whose value is then ≤ ½ (a binomial median is ≥ ⌊np⌋), so
// log1p(−lower) loses nothing.
func logUpperTail(k, n int, p, u float64) (logTail, logPMF float64) {
	logPMF = logBinomPMF(k, n, p, u)
	if float64(k) >= float64(n)*p {
		return logPMF + math.Log(ratioSum(k, n, p/u, 1)), logPMF
	}
	lower := logBinomPMF(k-1, n, p, u) + math.Log(ratioSum(k-1, n, u/p, -1))
	return math.Log1p(-math.Exp(lower)), logPMF
}

// ratioSum returns Σ_j P(X = i_j)/P(X = i) for i_j = i, i+dir, i+2·dir, … within
// [0, n], using P(X = i+1)/P(X = i) = (n−i)/(i+1)·p/u (dir = +1, odds = p/u) or
// P(X = i−1)/P(X = i) = i/(n−i+1)·u/p (dir = −1, odds = u/p). The ratios shrink
// along the walk, so once a term times r/(1−r) (a geometric bound on the rest)
// is below half an ulp of the sum, the sum is final.
func ratioSum(i, n int, odds float64, dir int) float64 {
	s, t := 1.0, 1.0
	for {
		var r float64
		if dir > 0 {
			if i == n {
				return s
			}
			r = float64(n-i) / float64(i+1) * odds
		} else {
			if i == 0 {
				return s
			}
			r = float64(i) / float64(n-i+1) * odds
		}
		t *= r
		s += t
		i += dir
		if r < 1 && t*r < 0x1p-54*s*(1-r) {
			return s
		}
	}
}

// logBinomPMF returns log P(X = x) for X ~ Bin(n, p) with u = 1−p, by Loader's
// saddle-point form (C. Loader, "Fast and accurate computation of binomial
// probabilities", 2000): log C(n,x)p^x u^{n−x} = δ(n) − δ(x) − δ(n−x)
// − D(x, np) − D(n−x, nu) − ½ log(2π x(n−x)/n), with δ the Stirling error and D
// the deviance bd0. Unlike lgamma differences it has no cancellation of terms
// of size n log n, so it stays accurate for n up to 2^53.
func logBinomPMF(x, n int, p, u float64) float64 {
	nf, xf := float64(n), float64(x)
	switch x {
	case 0:
		if p < 0.5 {
			return nf * math.Log1p(-p)
		}
		return nf * math.Log(u)
	case n:
		if u < 0.5 {
			return nf * math.Log1p(-u)
		}
		return nf * math.Log(p)
	}
	lc := stirlerr(n) - stirlerr(x) - stirlerr(n-x) - bd0(xf, nf*p) - bd0(nf-xf, nf*u)
	// log(n−x) of the exact integer: log1p(−x/n) would round x/n first.
	lf := math.Log(2*math.Pi) + math.Log(xf) + math.Log(nf-xf) - math.Log(nf)
	return lc - 0.5*lf
}

// stirlerr returns δ(n) = log n! − (n+½)log n + n − ½ log 2π, n ≥ 1.
func stirlerr(n int) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	x := float64(n)
	if n <= 15 {
		// Absolute error ~1e-14: the terms are below 50 and δ is not needed
		// more precisely than the rest of the log-probability.
		lg, _ := math.Lgamma(x + 1)
		return lg - (x+0.5)*math.Log(x) + x - 0.5*math.Log(2*math.Pi)
	}
	// Stirling's series, truncated where the next term is below 1e-17.
	xx := x * x
	switch {
	case n > 500:
		return (s0 - s1/xx) / x
	case n > 80:
		return (s0 - (s1-s2/xx)/xx) / x
	case n > 35:
		return (s0 - (s1-(s2-s3/xx)/xx)/xx) / x
	}
	return (s0 - (s1-(s2-(s3-s4/xx)/xx)/xx)/xx) / x
}

// bd0 returns the deviance D(x, m) = x log(x/m) + m − x ≥ 0, by its series in
// v = (x−m)/(x+m) when x is near m, where the direct form cancels.
func bd0(x, m float64) float64 {
	if math.Abs(x-m) < 0.1*(x+m) {
		v := (x - m) / (x + m)
		s := (x - m) * v
		ej := 2 * x * v
		v *= v
		for j := 3.0; j < 1000; j += 2 {
			ej *= v
			next := s + ej/j
			if next == s {
				return s
			}
			s = next
		}
		return s
	}
	return x*math.Log(x/m) + m - x
}

// Interval returns the exact two-sided Clopper-Pearson interval [lo, hi] for a
// success probability after k successes in n trials, at confidence 1−alpha
// (alpha/2 in each tail, docs/science.md §12):
// P(Bin(n, lo) ≥ k) = alpha/2 and P(Bin(n, hi) ≤ k) = alpha/2, that is
// lo = LowerBound(k, n, alpha/2) and 1−hi = LowerBound(n−k, n, alpha/2) (the
// failures' lower bound). Closed forms: lo = 0 and hi = 1−(alpha/2)^{1/n} at
// k = 0; lo = (alpha/2)^{1/n} and hi = 1 at k = n. Both ends are as accurate as
// LowerBound for any n; hi is formed from log(1−hi), so it keeps its digits
// when it is tiny.
//
// Interval panics unless 0 ≤ k ≤ n, n ≥ 1 and 0 < alpha < 1.
func Interval(k, n int, alpha float64) (lo, hi float64) {
	if n < 1 || k < 0 || k > n || !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("sampler: Interval(k=%d, n=%d, alpha=%g) out of range", k, n, alpha))
	}
	lo, _ = LowerBound(k, n, alpha/2)
	_, logHi := LowerBound(n-k, n, alpha/2)
	return lo, math.Exp(logHi)
}

// Log10SamplesNeeded returns log₁₀ N* for N* = ⌈ln alpha / ln(1−ε)⌉, ε = exp(logEps):
// the fewest estimation samples with which CERTIFY, even with every vote for
// its class, bounds the other classes by ε at level alpha (N of N votes give
// 1−p̲ = 1−alpha^{1/N} ≤ ε iff N ≥ ln alpha / ln(1−ε); docs/science.md §12).
//
// It works in logs, ln(−ln(1−ε)) = logEps + ln(1 + ε/2 + ε²/3 + …), so ε far
// below the smallest float64 (logEps = −10⁶) is fine; +Inf for logEps = −Inf.
// While the ratio is below 2^53 it is formed directly to a few ulps and N* is
// its exact ceiling (barring a ratio within those ulps of an integer); above,
// N* and the ratio agree to far better than float64 resolves log₁₀ N*.
//
// Log10SamplesNeeded panics unless logEps < 0 (ε < 1, else no N is needed or
// defined) and 0 < alpha < 1.
func Log10SamplesNeeded(logEps, alpha float64) float64 {
	if !(logEps < 0) || !(alpha > 0 && alpha < 1) {
		panic(fmt.Sprintf("sampler: Log10SamplesNeeded(logEps=%g, alpha=%g) out of range", logEps, alpha))
	}
	negLogAlpha := -math.Log(alpha)
	// −ln(1−ε) to a few ulps while ε is representable; 0 once it underflows.
	l := -math.Log1p(-math.Exp(logEps))
	if ratio := negLogAlpha / l; ratio < 1<<53 {
		return math.Log10(math.Ceil(ratio))
	}
	// Below ε = e^{−40} the correction ln(1 + ε/2 + …) ≈ ε/2 < 3e-18 is under
	// half an ulp of |logEps| ≥ 40, so ln(−ln(1−ε)) = logEps.
	logL := logEps
	if logEps > -40 {
		logL = math.Log(l)
	}
	return (math.Log(negLogAlpha) - logL) / math.Ln10
}
