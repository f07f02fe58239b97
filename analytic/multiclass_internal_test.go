package analytic

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naiveRivalPsi evaluates ψ_j(t) term by term as written in docs/science.md
// §8: Σᵢ log(P(Xᵢ=+1)e^{−tαᵢ} + P(Xᵢ=−1)e^{tαᵢ} + P(Xᵢ=0)) with the
// probabilities read off the noise model directly (not through law).
func naiveRivalPsi(alpha []float64, y []int, classes int, q float64, c, j int, t float64) float64 {
	p := q / float64(classes-1)
	var v float64
	for i, a := range alpha {
		var plus, minus float64 // P(y′ᵢ = c), P(y′ᵢ = j)
		switch y[i] {
		case c:
			plus, minus = 1-q, p
		case j:
			plus, minus = p, 1-q
		default:
			plus, minus = p, p
		}
		x, z := math.Log(plus)-t*a, math.Log(minus)+t*a
		w := math.Log1p(-plus - minus) // log P(Xᵢ = 0); −Inf for K = 2
		hi := max(x, z, w)
		v += hi + math.Log(math.Exp(x-hi)+math.Exp(z-hi)+math.Exp(w-hi))
	}
	return v
}

// randomKernel draws α of both signs with some zeros and one heavy entry,
// and labels in 0..classes−1.
func randomKernel(rng *rand.Rand, n, classes int) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	scale := math.Pow(10, -1.5+2*rng.Float64())
	for i := range alpha {
		y[i] = rng.IntN(classes)
		alpha[i] = scale * (rng.NormFloat64() + 0.5*float64(y[i]))
		if rng.IntN(10) == 0 {
			alpha[i] = 0
		}
	}
	alpha[rng.IntN(n)] *= 10
	return alpha, y
}

// randomRivalCase draws a K-class problem for the rival tests, K in
// 3..2+kinds and n in 1..maxN, with q anywhere in (0, (K−1)/K), and readies
// cz's expected scores for it.
func randomRivalCase(rng *rand.Rand, cz *Certifier, kinds, maxN int) (alpha []float64, y []int, classes int, q float64) {
	classes = 3 + rng.IntN(kinds)
	n := 1 + rng.IntN(maxN)
	alpha, y = randomKernel(rng, n, classes)
	q = float64(classes-1) / float64(classes) * (0.01 + 0.98*rng.Float64())
	cz.reserve(classes, n)
	scores(cz.mu, alpha, y, classes, q)
	return alpha, y, classes, q
}

// TestRivalPassesMatchNaive checks one dedicated pass and the shared pass
// against ψ_j evaluated directly, and ψ_j′ against a central difference.
func TestRivalPassesMatchNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	var cz Certifier
	for trial := range 200 {
		alpha, y, classes, q := randomRivalCase(rng, &cz, 5, 200)
		c := rng.IntN(classes)
		cz.setup(alpha, y, classes, c, q, 0)
		cz.order = cz.order[:0]
		for j := range classes {
			if j != c {
				cz.initRival(j)
				cz.order = append(cz.order, j)
			}
		}
		at := math.Pow(10, -1+3*rng.Float64())
		cz.sharedPass(at)
		for _, j := range cz.order {
			want := naiveRivalPsi(alpha, y, classes, q, c, j, at)
			tol := 1e-12 * (1 + math.Abs(want) + at*cz.pr.sum)
			psi, d1, d2, _ := cz.evalRival(j, at)
			shared, sd1, sd2, _ := cz.sharedRival(j, at)
			if math.Abs(psi-want) > tol || math.Abs(shared-want) > tol {
				t.Fatalf("trial %d rival %d: ψ(%v) = %v (pass), %v (shared pass), direct %v", trial, j, at, psi, shared, want)
			}
			if math.Abs(d1-sd1) > 1e-12*cz.pr.sum || math.Abs(d2-sd2) > 1e-12*d2 {
				t.Fatalf("trial %d rival %d: derivatives %v, %v (pass), %v, %v (shared pass)", trial, j, d1, d2, sd1, sd2)
			}
			h := 1e-5 * at
			fd := (naiveRivalPsi(alpha, y, classes, q, c, j, at+h) - naiveRivalPsi(alpha, y, classes, q, c, j, at-h)) / (2 * h)
			if math.Abs(d1-fd) > 1e-5*(1+math.Abs(fd)) {
				t.Fatalf("trial %d rival %d: ψ′(%v) = %v, difference quotient %v", trial, j, at, d1, fd)
			}
			fd2 := (naiveRivalPsi(alpha, y, classes, q, c, j, at+h) - 2*want + naiveRivalPsi(alpha, y, classes, q, c, j, at-h)) / (h * h)
			if math.Abs(d2-fd2) > 1e-3*(1+math.Abs(fd2)) {
				t.Fatalf("trial %d rival %d: ψ″(%v) = %v, difference quotient %v", trial, j, at, d2, fd2)
			}
		}
	}
}

// TestRivalBoundsAreRigorous checks the one-pass bounds with B = 2·max|αᵢ|
// on ψ_j evaluated directly: the lower bound lies below ψ_j on a dense grid
// and ψ_j at the point the upper bound refers to does not exceed it.
func TestRivalBoundsAreRigorous(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	var cz Certifier
	for trial := range 150 {
		alpha, y, classes, q := randomRivalCase(rng, &cz, 3, 30)
		c, j := 0, 1+rng.IntN(classes-1)
		cz.setup(alpha, y, classes, c, q, 0)
		s := cz.pr.s
		at := math.Pow(10, -1+3*rng.Float64())
		psi, d1, d2, _ := cz.evalRival(j, at)
		upper, lower := s.bounds(at, psi, d1, d2)
		tol := 1e-11 * (1 + math.Abs(psi))
		for u := 0.0; u < 20*at; u += at / 50 {
			if v := naiveRivalPsi(alpha, y, classes, q, c, j, u); lower > v+tol {
				t.Fatalf("trial %d: lower bound %v above ψ(%v) = %v", trial, lower, u, v)
			}
		}
		cc := math.Abs(d1) * s.rate / d2
		to := max(at-math.Copysign(math.Log1p(cc)/s.rate, d1), 0)
		if v := naiveRivalPsi(alpha, y, classes, q, c, j, to); upper < psi && v > upper+tol {
			t.Errorf("trial %d: upper bound %v below ψ(%v) = %v", trial, upper, to, v)
		}
	}
}

// TestKPathMatchesBinary runs the K-class path with K = 2 against the binary
// path. With Σα = 1 the two bound the same event: D = s₁ − s₀ = 2S − 1, so
// P(D ≤ 0) = P(S ≤ ½), and ψ_K(t) = ψ_binary(2t). They differ only in ties
// of μ with ½, which the cases avoid, by each search's certified gap and by
// their rounding pads.
func TestKPathMatchesBinary(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	var cz Certifier
	for trial := range 400 {
		n := 1 + rng.IntN(300)
		if trial%40 == 0 {
			n = 5000
		}
		alpha, y := make([]float64, n), make([]int, n)
		var sum float64
		for i := range alpha {
			y[i] = rng.IntN(2)
			alpha[i] = rng.NormFloat64() + rng.Float64()*float64(4*y[i]-2)
			sum += alpha[i]
		}
		for i := range alpha { // Σα = 1 up to rounding, as with an unpenalised intercept
			alpha[i] -= (sum - 1) / float64(n)
		}
		q := 0.5 * (0.01 + 0.98*rng.Float64())
		bin := certifyBinary(alpha, y, q, 0)
		k := cz.certifyK(alpha, y, 2, q, 0)
		var mu float64
		for i, a := range alpha {
			mu += a * map[bool]float64{true: 1 - q, false: q}[y[i] == 1]
		}
		if math.Abs(mu-0.5) < 1e-9 {
			continue
		}
		if bin.Class != k.Class {
			t.Fatalf("trial %d: binary class %d, K path %d (μ = %v)", trial, bin.Class, k.Class, mu)
		}
		// Each is within 1e−9 of the optimum plus its rounding pads, about
		// 1e−13 per term and unit of log(1/q) (docs/science.md §10 "Margins of the analytic certificate").
		pads := 4e-13 * float64(n) * (math.Log(1/q) + 2)
		if d := math.Abs(bin.LogEps - k.LogEps); d > 3e-9+pads+1e-12*math.Abs(bin.LogEps) {
			t.Errorf("trial %d (n=%d q=%v): binary LogEps %v, K path %v", trial, n, q, bin.LogEps, k.LogEps)
		}
	}
}
