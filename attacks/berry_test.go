package attacks

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// bigNormalTail returns Φ̄(z) = ½·erfc(z/√2) for 0 ≤ z ≤ 8 in 600-bit
// arithmetic: erfc(x) = 1 − (2/√π)·Σₙ (−1)ⁿx²ⁿ⁺¹/(n!(2n+1)), with π from
// Machin's formula π = 16·atan(1/5) − 4·atan(1/239). The alternating series'
// largest term at x = 8/√2 is below 10¹⁴, so 600 bits leave over 150
// correct digits.
func bigNormalTail(z float64) float64 {
	const prec = 600
	f := func() *big.Float { return new(big.Float).SetPrec(prec) }
	atanInv := func(k int64) *big.Float { // atan(1/k) = Σ (−1)ⁿ/((2n+1)k²ⁿ⁺¹)
		sum, pow := f(), f().Quo(f().SetInt64(1), f().SetInt64(k))
		k2 := f().SetInt64(k * k)
		for n := int64(0); pow.MantExp(nil) > -prec-8; n++ {
			term := f().Quo(pow, f().SetInt64(2*n+1))
			if n%2 == 1 {
				term.Neg(term)
			}
			sum.Add(sum, term)
			pow.Quo(pow, k2)
		}
		return sum
	}
	pi := f().Sub(f().Mul(f().SetInt64(16), atanInv(5)), f().Mul(f().SetInt64(4), atanInv(239)))
	x := f().Quo(f().SetFloat64(z), f().Sqrt(f().SetInt64(2)))
	x2 := f().Mul(x, x)
	sum, pow := f(), f().Set(x) // pow = x²ⁿ⁺¹/n!
	for n := int64(0); n < 2000; n++ {
		term := f().Quo(pow, f().SetInt64(2*n+1))
		if n%2 == 1 {
			term.Neg(term)
		}
		sum.Add(sum, term)
		pow.Mul(pow, x2)
		pow.Quo(pow, f().SetInt64(n+1))
	}
	erf := f().Mul(sum, f().Quo(f().SetInt64(2), f().Sqrt(pi)))
	tail, _ := f().Quo(f().Sub(f().SetInt64(1), erf), f().SetInt64(2)).Float64()
	return tail
}

// TestNormalTailUp checks the rounded-up normal tail against the 600-bit
// reference: never below it, and above it by at most 10⁻¹⁰ relative. A few
// reference values for orientation: Φ̄(1) = 0.15865525393145705,
// Φ̄(3) = 0.0013498980316301, Φ̄(5) = 2.8665157187919391e−07.
func TestNormalTailUp(t *testing.T) {
	for _, z := range []float64{1e-300, 1e-9, 0.01, 0.1, 0.5, 1, 1.5, 2, 3, 4.75, 5, 6.5, 8} {
		got, want := normalTailUp(z), bigNormalTail(z)
		if !(got >= want) || got > want*(1+1e-10) {
			t.Errorf("Φ̄(%g): bound %.17g, reference %.17g", z, got, want)
		}
	}
	if normalTailUp(0) != 1 || normalTailUp(-1) != 1 {
		t.Errorf("Φ̄ bound at z ≤ 0 is not 1")
	}
}

// termProbs is the noise law of the term of a point with clean label yi,
// written from its definition: for K = 2 the probabilities that its noisy
// label is 1 and that it is 0; for K ≥ 3 that it is j, that it is k, and
// that it is neither.
func termProbs(classes, yi, j, k int, q float64) []float64 {
	if classes == 2 {
		pi := q
		if yi == 1 {
			pi = 1 - q
		}
		return []float64{pi, 1 - pi}
	}
	p := q / float64(classes-1)
	pj, pk := p, p
	switch yi {
	case j:
		pj = 1 - q
	case k:
		pk = 1 - q
	}
	return []float64{pj, pk, 1 - pj - pk}
}

// termValues are the values matching termProbs of the term of a point of
// weight a in the margin D whose non-positivity the event implies: h = k for
// K = 2 (D = S − ½ for k = 0, ½ − S for k = 1), s_j ≤ s_k for K ≥ 3
// (D = s_j − s_k).
func termValues(classes, k int, a float64) []float64 {
	if classes == 2 {
		if k == 1 {
			a = -a
		}
		return []float64{a, 0}
	}
	return []float64{a, -a, 0}
}

// lawMoments returns the mean, variance and third absolute central moment
// of a law with values vals and probabilities probs, from the definitions.
func lawMoments(vals, probs []float64) (m, v, third float64) {
	for i := range vals {
		m += vals[i] * probs[i]
	}
	for i := range vals {
		d := math.Abs(vals[i] - m)
		v += probs[i] * d * d
		third += probs[i] * d * d * d
	}
	return m, v, third
}

// TestTailMoments checks binaryTail's and pairTail's moments against sums of
// each point's law written from its definition.
func TestTailMoments(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var sums classSums
	for trial := range 40 {
		classes := 2 + trial%4
		n := 50 + rng.IntN(200)
		q := rng.Float64() * float64(classes-1) / float64(classes)
		alpha, y := gaussianKernel(rng, n, classes)
		sums.set(alpha, y, classes)
		var got tail
		j, k := rng.IntN(classes), 0
		if classes == 2 {
			k = rng.IntN(2)
			got = binaryTail(&sums, q, k, 0, n, 1)
		} else {
			k = (j + 1 + rng.IntN(classes-1)) % classes
			got = pairTail(&sums, q, classes, j, k, 0, n, 1)
		}
		var mean, variance, third float64
		for i, a := range alpha {
			vals, probs := termValues(classes, k, a), termProbs(classes, y[i], j, k, q)
			m, v, th := lawMoments(vals, probs)
			mean, variance, third = mean+m, variance+v, third+th
		}
		if classes == 2 {
			mean += map[int]float64{0: -0.5, 1: 0.5}[k]
		}
		for _, c := range []struct {
			name      string
			got, want float64
		}{{"mean", got.mean, mean}, {"variance", got.variance, variance}, {"third moment", got.third, third}} {
			if math.Abs(c.got-c.want) > 1e-12*(math.Abs(c.want)+1e-3) {
				t.Errorf("trial %d (K = %d, q = %g, pair %d, %d): %s %.15g, definition %.15g", trial, classes, q, j, k, c.name, c.got, c.want)
			}
		}
	}
}

// TestTailUpperExact checks the Berry–Esseen bound against exact
// probabilities: kernel weights on a lattice (small integers over 64) make
// the margin D a lattice variable whose law a convolution gives exactly, and
// P(D ≤ 0) must not exceed the bound. Near-threshold means are the cases
// that matter; the random labels put the mean on either side.
func TestTailUpperExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var sums classSums
	checked := 0
	for trial := range 400 {
		classes := 2 + trial%2
		n := 40 + rng.IntN(160)
		q := []float64{0.05, 0.2, 0.4}[rng.IntN(3)]
		ints, alpha, y := make([]int, n), make([]float64, n), make([]int, n)
		for i := range n {
			ints[i] = rng.IntN(12) - 2
			alpha[i] = float64(ints[i]) / 64
			y[i] = rng.IntN(classes)
		}
		sums.set(alpha, y, classes)
		var tl tail
		j, k := 1, 0
		if classes == 2 {
			tl = binaryTail(&sums, q, k, 0, n, 12.0/64)
		} else {
			tl = pairTail(&sums, q, classes, j, k, 0, n, 24.0/64)
		}
		bound := tl.upper()
		if bound >= 1 {
			continue
		}
		checked++
		// Exact law of 64·D (D = S − ½ for K = 2, s_1 − s_0 otherwise) by
		// convolution over integer offsets.
		off := 0
		for _, v := range ints {
			off += max(-v, v)
		}
		pmf := make([]float64, 2*off+1)
		pmf[off] = 1
		for i, v := range ints {
			next := make([]float64, len(pmf))
			steps, probs := []int{v, -v, 0}, termProbs(classes, y[i], j, k, q)
			if classes == 2 {
				steps = []int{v, 0}
			}
			for x, w := range pmf {
				if w == 0 {
					continue
				}
				for s := range steps {
					if x+steps[s] >= 0 && x+steps[s] < len(next) {
						next[x+steps[s]] += w * probs[s]
					}
				}
			}
			pmf = next
		}
		var exact float64
		for x, w := range pmf {
			d := float64(x-off) / 64
			if classes == 2 {
				d -= 0.5 // the event h = 0 is S < ½: D = S − ½ < 0
				if d < 0 {
					exact += w
				}
				continue
			}
			if d <= 0 {
				exact += w
			}
		}
		if exact > bound {
			t.Errorf("trial %d (K = %d, n = %d, q = %g): P = %.12g above the Berry–Esseen bound %.12g", trial, classes, n, q, exact, bound)
		}
	}
	t.Logf("%d of 400 cases had a bound below 1", checked)
	if checked < 50 {
		t.Errorf("only %d of 400 cases had a bound below 1", checked)
	}
}
