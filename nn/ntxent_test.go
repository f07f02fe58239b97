package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestNTXentGradient compares ntXent with a direct evaluation of its formula
// and its gradient with central finite differences.
func TestNTXentGradient(t *testing.T) {
	const b, p, tau, h = 3, 4, 0.5, 1e-6
	rng := rand.New(rand.NewPCG(1, 3))
	z := randVec(rng, 2*b*p)
	dz := make([]float64, len(z))
	var sc ntScratch
	loss := ntXent(z, b, p, tau, dz, &sc)
	// Direct: cosine similarities from scratch, one anchor at a time.
	want := 0.0
	cos := func(i, k int) float64 {
		zi, zk := z[i*p:(i+1)*p], z[k*p:(k+1)*p]
		return dot(zi, zk) / math.Sqrt(dot(zi, zi)*dot(zk, zk))
	}
	for i := range 2 * b {
		den := 0.0
		for k := range 2 * b {
			if k != i {
				den += math.Exp(cos(i, k) / tau)
			}
		}
		want -= math.Log(math.Exp(cos(i, (i+b)%(2*b))/tau) / den)
	}
	want /= 2 * b
	checkClose(t, "loss", 0, loss, want, 1e-12)
	scratch := make([]float64, len(z))
	for i := range z {
		checkClose(t, "dz", i, dz[i], centralDifference(z, i, h, func() float64 { return ntXent(z, b, p, tau, scratch, &sc) }), 1e-6)
	}
}
