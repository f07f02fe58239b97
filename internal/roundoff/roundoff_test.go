package roundoff

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// TestGammaBoundsSums adds random terms of mixed signs and magnitudes in
// float64, in order, and checks the error against the exact sum in big.Float.
func TestGammaBoundsSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 200 {
		n := 2 + trial*5
		var s float64
		exact := new(big.Float).SetPrec(2000)
		var mag float64
		for range n {
			x := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(9)-4))
			s += x
			exact.Add(exact, new(big.Float).SetFloat64(x))
			mag += math.Abs(x)
		}
		diff, _ := new(big.Float).Sub(new(big.Float).SetFloat64(s), exact).Float64()
		if bound := Gamma(n-1) * mag; math.Abs(diff) > bound {
			t.Errorf("%d terms: error %g exceeds γ_%d Σ|x| = %g", n, math.Abs(diff), n-1, bound)
		}
	}
}

func TestGammaValues(t *testing.T) {
	if Gamma(0) != 0 {
		t.Errorf("γ_0 = %g, want 0", Gamma(0))
	}
	// γ_1 = u/(1−u) = 1/(2⁵³ − 1).
	if got, want := Gamma(1), 1/(math.Exp2(53)-1); math.Abs(got-want) > 1e-16*want {
		t.Errorf("γ_1 = %g, want %g", got, want)
	}
	for _, k := range []int{-1, 1 << 53} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Gamma(%d) did not panic", k)
				}
			}()
			Gamma(k)
		}()
	}
}
