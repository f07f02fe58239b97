package attacks

import (
	"math"

	"flipcert/internal/roundoff"
)

// shevtsova is the constant C₀ of the Berry–Esseen inequality for sums of
// independent, not necessarily identically distributed terms with finite
// third moments: sup_x |P(S ≤ x) − Φ((x − ES)/σ)| ≤ C₀·Σᵢ E|Xᵢ − EXᵢ|³/σ³,
// C₀ = 0.5600 (I. G. Shevtsova, An improvement of convergence rate estimates
// in the Lyapunov theorem, Doklady Mathematics 82 (2010) 862–864). The
// double nearest 0.56 lies below it, so the next double is used.
var shevtsova = math.Nextafter(0.56, 1)

// erfcErr bounds the relative error of math.Erfc where it does not
// underflow: its rational approximations are good to about 2⁻⁵⁹ and it
// takes a few dozen roundings; 2⁻⁴⁰ is thousands of ulps.
const erfcErr = 0x1p-40

func up(x float64) float64   { return math.Nextafter(x, math.Inf(1)) }
func down(x float64) float64 { return math.Nextafter(x, math.Inf(-1)) }

// normalTailUp returns an upper bound on Φ̄(z) = P(N(0, 1) > z) =
// ½·erfc(z/√2) for z > 0, and 1 otherwise. The argument of erfc, which
// decreases, is rounded down (math.Sqrt2/2 is within an ulp of 1/√2), its
// value raised by erfcErr and by the smallest double for an underflow.
func normalTailUp(z float64) float64 {
	if !(z > 0) {
		return 1
	}
	x := down(z * down(math.Sqrt2/2))
	return up(0.5 * up(math.Erfc(x)*(1+erfcErr)+0x1p-1074))
}

// tail describes a sum D = Σᵢ α̂ᵢXᵢ of independent bounded terms under the
// label noise by computed moments, for bounds on P(D_exact ≤ 0), D_exact the
// same sum with the exact kernel vector. |D_exact − D| ≤ E for every noisy
// labelling, E the kernel-vector error (docs/science.md §10 "Ridge conditioning"), so
// P(D_exact ≤ 0) ≤ P(D ≤ E).
type tail struct {
	mean     float64 // E D as computed
	slack    float64 // ≥ E plus the rounding error of mean
	variance float64 // Var D as computed, within a relative rel
	third    float64 // Σᵢ E|α̂ᵢXᵢ − E α̂ᵢXᵢ|³ as computed, within a relative rel
	rel      float64
	rate     float64 // the largest range of a term
}

// upper returns an upper bound on P(D_exact ≤ 0) by the Berry–Esseen
// inequality (docs/science.md §11):
//
//	P(D ≤ E) ≤ Φ((E − ED)/σ) + C₀·β = Φ̄((ED − E)/σ) + C₀·β,   β = Σ E|·|³/σ³,
//
// with the mean lowered by its slack, σ raised and β raised for rounding,
// every operation rounded outwards. It is at most 1, and 1 when the mean is
// not past E.
func (d tail) upper() float64 { return d.upperOf(d.variance, d.variance, d.third) }

// upperOf is upper with the variance in the normal term and in β, and the
// third moment, given apart: it grows with vNormal and third and falls with
// vBeta and the mean, so that a corner of a box of moments bounds it over
// the box.
func (d tail) upperOf(vNormal, vBeta, third float64) float64 {
	num := down(d.mean - d.slack)
	if !(num > 0 && vNormal > 0) {
		return 1
	}
	sdHi := up(math.Sqrt(up(vNormal * (1 + d.rel))))
	sdLo := down(math.Sqrt(down(vBeta * (1 - d.rel))))
	beta := up(up(third*(1+d.rel)) / down(down(sdLo*sdLo)*sdLo))
	p := up(normalTailUp(down(num/sdHi)) + up(shevtsova*beta))
	return min(p, 1)
}

// lower returns the Berry–Esseen lower estimate of P(D_exact ≤ 0),
// Φ̄((ED + E)/σ) − C₀·β, as computed: it decides only that no upper bound
// can be below a level, which costs an attack tightness if wrong, never
// soundness.
func (d tail) lower() float64 { return d.lowerOf(d.variance, d.variance, d.third) }

// lowerOf is lower with the variance in the normal term and in β, and the
// third moment, given apart: it falls with the mean and third and grows
// with vBeta; in vNormal it is monotone one way or the other.
func (d tail) lowerOf(vNormal, vBeta, third float64) float64 {
	if !(vNormal > 0) {
		return 0
	}
	sd, sdBeta := math.Sqrt(vNormal), math.Sqrt(vBeta)
	return 0.5*math.Erfc((d.mean+d.slack)/sd/math.Sqrt2) - shevtsova*third/(sdBeta*sdBeta*sdBeta)
}

// chernoffHopeless reports whether the Chernoff bound on P(D ≤ E) cannot
// fall below ½: its exponent ψ(t) = log E e^{−t(D−E)} has ψ(0) = 0,
// ψ′(0) = −(ED − E) and ψ″(0) = Var D, and ψ″ varies at rate at most the
// largest range B of a term, so with c = (ED − E)·B/Var D < 1,
// min ψ ≥ −Var D/B²·(c + (1−c)·log1p(−c)) (as in package analytic's
// search). Like lower it only saves a Chernoff bound that could not prove.
func (d tail) chernoffHopeless() bool { return d.floor() >= hopeless }

// hopeless is the level of chernoffHopeless's floor from which the
// Chernoff bound is left out.
const hopeless = -math.Ln2 + 1e-9

// floor returns the lower bound of chernoffHopeless on min ψ: +Inf when
// the mean is not past E (the minimum is at t = 0), −Inf when there is
// none. It falls as the mean grows and grows with the variance.
func (d tail) floor() float64 {
	m := d.mean - d.slack
	if !(m > 0) {
		return math.Inf(1)
	}
	if !(d.variance > 0 && d.rate > 0) {
		return math.Inf(-1)
	}
	c := m * d.rate / d.variance
	if c >= 1 {
		return math.Inf(-1)
	}
	return -d.variance / (d.rate * d.rate) * (c + (1-c)*math.Log1p(-c))
}

// classSums holds the moments by class of the labels the smoothed attack
// looks at, and the rest of its scratch.
type classSums struct {
	moments
	probe probeScratch
}

// set computes the sums for labels z in one pass.
func (m *moments) set(alpha []float64, z []int, classes int) {
	m.reset(classes)
	for i, a := range alpha {
		a2 := a * a
		m.s1[z[i]] += a
		m.s2[z[i]] += a2
		m.s3[z[i]] += a2 * math.Abs(a)
	}
}

// binaryTail returns the tail of the event that the binary smoothed
// classifier still returns class at labels z (sums c): with
// S = Σα̂ᵢy′ᵢ, y′ᵢ ~ Bernoulli(πᵢ), πᵢ = q + (1−2q)·1[zᵢ = 1], class 1 is
// returned iff S ≥ ½, so D = ½ − S, and class 0 iff S < ½, so D = S − ½
// (the event then implies D ≤ 0). Var S = q(1−q)Σα̂², and each term's third
// absolute central moment is |α̂ᵢ|³·q(1−q)(q² + (1−q)²). The mean's slack is
// the attacks' margin μ (docs/science.md §11) and 2⁻⁵⁰ for the ½.
func binaryTail(c *classSums, q float64, class int, mu float64, n int, maxAbs float64) tail {
	return binaryTailOf(c.s1, c.s2, c.s3, q, class, mu, n, maxAbs)
}

// binaryTailOf is binaryTail from the sums s1, s2, s3 by class: its mean
// grows with s1 for class 0 and falls with it for class 1, and its
// variance and third moment grow with s2 and s3.
func binaryTailOf(s1, s2, s3 []float64, q float64, class int, mu float64, n int, maxAbs float64) tail {
	mean := q*(s1[0]+s1[1]) + (1-2*q)*s1[1] - 0.5
	if class == 1 {
		mean = -mean
	}
	pq := q * (1 - q)
	return tail{
		mean:     mean,
		slack:    mu + 0x1p-50,
		variance: pq * (s2[0] + s2[1]),
		third:    pq * (q*q + (1-q)*(1-q)) * (s3[0] + s3[1]),
		rel:      roundoff.Gamma(n + 16),
		rate:     maxAbs,
	}
}

// pairTail returns the tail of the margin D = s_j − s_k of classes j and k
// at labels z (sums c), K ≥ 3, p = q/(K−1). Each term is α̂ᵢXᵢ with
// Xᵢ = 1 if y′ᵢ = j, −1 if y′ᵢ = k, 0 otherwise, of law (a, b, c) =
// (P(1), P(0), P(−1)):
//
//	zᵢ = j: (1−q, q−p, p),   zᵢ = k: (p, q−p, 1−q),   otherwise (p, 1−2p, p),
//
// so ED = κ(Σ_{z=j}α̂ − Σ_{z=k}α̂), κ = 1−q−p; the variance of a law is
// (a + c)·b + 4ac (no cancellation), 2p for the last; its third absolute
// central moment, with m = a − c, is a(b + 2c)³ + b|m|³ + c(2a + b)³, 2p for
// the last. The mean's slack adds to the margin μ the error of κ (a relative
// u(K−1)/((K−1) − Kq), as in package radius); the third moment gets an
// absolute 8u for the rounding of m.
func pairTail(c *classSums, q float64, classes, j, k int, mu float64, n int, maxAbs float64) tail {
	return pairTailOf(c.s1[j], c.s1[k], c.s2, c.s3, q, classes, j, k, mu, n, maxAbs)
}

// pairTailOf is pairTail from Σα̂ over the points labelled j and k and the
// sums s2, s3 by class: its mean grows with s1j and falls with s1k, and its
// variance and third moment grow with s2 and s3.
func pairTailOf(s1j, s1k float64, s2s, s3s []float64, q float64, classes, j, k int, mu float64, n int, maxAbs float64) tail {
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
			s2 += s2s[l]
			s3 += s3s[l]
		}
	}
	mean := kappa * (s1j - s1k)
	kappaErr := roundoff.Unit*(kf-1)/d + 4*roundoff.Unit
	return tail{
		mean:     mean,
		slack:    mu + kappaErr*math.Abs(mean),
		variance: vNear*(s2s[j]+s2s[k]) + 2*p*s2,
		third:    tNear*(s3s[j]+s3s[k]) + 2*p*s3,
		rel:      roundoff.Gamma(n + 2*classes + 64),
		rate:     2 * maxAbs,
	}
}
