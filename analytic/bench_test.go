package analytic_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"flipcert/analytic"
)

// BenchmarkCertify certifies ridge-like kernels of the MNIST 1/7 size
// (n = 13,007) whose margins run from abstaining to bounds ≪ e^−745, and
// reports the cost per (test point × training label) and the mean number of
// passes over α.
func BenchmarkCertify(b *testing.B) {
	const n, points = 13007, 16
	for _, q := range []float64{0.05, 0.2, 0.4} {
		b.Run(fmt.Sprintf("q=%v", q), func(b *testing.B) {
			rng := rand.New(rand.NewPCG(5, 5))
			alphas, ys := make([][]float64, points), make([][]int, points)
			for i := range points {
				alphas[i], ys[i] = kernelLike(rng, n, 0.15*float64(i))
			}
			b.ReportAllocs()
			calls, iters := 0, 0
			for b.Loop() {
				c := analytic.Certify(alphas[calls%points], ys[calls%points], q)
				calls++
				iters += c.Iterations
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(calls*n), "ns/point×label")
			b.ReportMetric(float64(iters)/float64(calls), "iters/point")
		})
	}
}

// BenchmarkCertifyParallel runs Certify from GOMAXPROCS goroutines, as the
// experiments do over test points, and reports the wall time one MNIST 1/7
// test set (2,163 points × 13,007 labels) would take at this throughput.
func BenchmarkCertifyParallel(b *testing.B) {
	const n, points, testSet = 13007, 16, 2163
	rng := rand.New(rand.NewPCG(6, 6))
	alphas, ys := make([][]float64, points), make([][]int, points)
	for i := range points {
		alphas[i], ys[i] = kernelLike(rng, n, 0.15*float64(i))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			analytic.Certify(alphas[i%points], ys[i%points], 0.05)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*testSet/1e9, "s/test-set")
}
