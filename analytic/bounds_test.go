package analytic

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naivePsi evaluates ψ(t) term by term as written in docs/science.md §4:
// −s·t/2 + Σ log(1 − πᵢ + πᵢe^{s·t·αᵢ}), with plain exp and log.
func naivePsi(alpha []float64, y []int, q, s, t float64) float64 {
	v := -s * t / 2
	for i, a := range alpha {
		pi := q
		if y[i] == 1 {
			pi = 1 - q
		}
		v += math.Log(1 - pi + pi*math.Exp(s*t*a))
	}
	return v
}

// TestBoundsAreRigorous checks the one-pass bounds against ψ evaluated
// directly: the lower bound lies below ψ everywhere on a dense grid, and the
// upper bound is met by ψ at the point it refers to, t ∓ log1p(c)/B clamped
// at 0 (see bounds).
func TestBoundsAreRigorous(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for trial := range 300 {
		n := 1 + rng.IntN(30)
		alpha, y := make([]float64, n), make([]int, n)
		for i := range alpha {
			alpha[i] = rng.NormFloat64() * math.Pow(10, -1+rng.Float64())
			y[i] = rng.IntN(2)
		}
		q := 0.01 + 0.48*rng.Float64()
		s := float64(2*rng.IntN(2) - 1)
		logit := math.Log1p(-q) - math.Log(q)
		m := model{alpha: alpha, y: y, s: s, ell: [2]float64{-logit, logit}}
		m.softplusEll = [2]float64{softplus(-logit), softplus(logit)}
		var srch search
		for _, a := range alpha {
			m.sumAlpha += a
			srch.rate = max(srch.rate, math.Abs(a))
		}
		at := math.Pow(10, -1+3*rng.Float64())
		psi, d1, d2, _ := m.eval(at)
		if want := naivePsi(alpha, y, q, s, at); math.Abs(psi-want) > 1e-12*(1+math.Abs(want)) {
			t.Fatalf("trial %d: eval ψ(%v) = %v, direct %v", trial, at, psi, want)
		}
		upper, lower := srch.bounds(at, psi, d1, d2)
		tol := 1e-11 * (1 + math.Abs(psi))
		for u := 0.0; u < 20*at; u += at / 50 {
			if v := naivePsi(alpha, y, q, s, u); lower > v+tol {
				t.Fatalf("trial %d: lower bound %v above ψ(%v) = %v", trial, lower, u, v)
			}
		}
		c := math.Abs(d1) * srch.rate / d2
		to := at - math.Copysign(math.Log1p(c)/srch.rate, d1)
		if to < 0 {
			to = 0
		}
		if v := naivePsi(alpha, y, q, s, to); upper < psi && v > upper+tol {
			t.Errorf("trial %d: upper bound %v below ψ(%v) = %v", trial, upper, to, v)
		}
	}
}
