package analytic_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

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
				c := analytic.Certify(alphas[calls%points], ys[calls%points], 2, q, 0)
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
			analytic.Certify(alphas[i%points], ys[i%points], 2, 0.05, 0)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*testSet/1e9, "s/test-set")
}

// ridgeKernels fits one-hot ridge regression with an unpenalised intercept
// on random features in K classes and returns the kernel vectors
// α = Φ(ΦᵀΦ + λD)⁻¹φ(x) of test points, with the training labels. Features
// are class means plus unit noise, and one training point in 500 is an
// outlier at ten times the spread: its high leverage gives each α a few
// heavy entries, as real kernels have. The test points run from typical
// members of a class to points halfway between two classes, so their
// certificates run from abstaining to far below float64's range.
func ridgeKernels(rng *rand.Rand, n, classes, points int) ([][]float64, []int) {
	const d, sep = 24, 1.2
	means := mat.NewDense(classes, d, nil)
	for k := range classes {
		for f := range d {
			means.Set(k, f, sep*rng.NormFloat64())
		}
	}
	y := make([]int, n)
	phi := mat.NewDense(n, d+1, nil)
	for i := range n {
		y[i] = rng.IntN(classes)
		spread := 1.0
		if rng.IntN(500) == 0 {
			spread = 10
		}
		for f := range d {
			phi.Set(i, f, means.At(y[i], f)+spread*rng.NormFloat64())
		}
		phi.Set(i, d, 1)
	}
	var gram mat.SymDense
	gram.SymOuterK(1, phi.T())
	lambda := 0.05 * float64(n)
	for f := range d {
		gram.SetSym(f, f, gram.At(f, f)+lambda)
	}
	var chol mat.Cholesky
	if !chol.Factorize(&gram) {
		panic("ridgeKernels: Gram matrix not positive definite")
	}
	test := mat.NewDense(d+1, points, nil)
	for j := range points {
		k, other := j%classes, (j+1)%classes
		mix := 0.5 * float64(j) / float64(points) // 0 … ½ of the way to another class
		for f := range d {
			test.Set(f, j, (1-mix)*means.At(k, f)+mix*means.At(other, f)+rng.NormFloat64())
		}
		test.Set(d, j, 1)
	}
	var beta, kernel mat.Dense
	if err := chol.SolveTo(&beta, test); err != nil {
		panic(err)
	}
	kernel.Mul(phi, &beta)
	alphas := make([][]float64, points)
	for j := range alphas {
		alphas[j] = mat.Col(nil, j, &kernel)
	}
	return alphas, y
}

// BenchmarkCertifyK certifies ridge kernels (ridgeKernels) for K = 2 (the
// binary path), 3 and 10 classes at the MNIST 1/7 size (n = 13,007) and the
// full-MNIST one (n = 50,000), and reports the cost per (test point ×
// training label × rival class), the mean exact passes and the share of
// abstentions.
func BenchmarkCertifyK(b *testing.B) {
	const points, q = 16, 0.05
	for _, n := range []int{13007, 50000} {
		for _, classes := range []int{2, 3, 10} {
			b.Run(fmt.Sprintf("K=%d/n=%d", classes, n), func(b *testing.B) {
				alphas, y := ridgeKernels(rand.New(rand.NewPCG(8, uint64(n*classes))), n, classes, points)
				var cz analytic.Certifier
				cz.Certify(alphas[0], y, classes, q, 0) // grow the scratch memory
				b.ReportAllocs()
				calls, iters, abstains := 0, 0, 0
				for b.Loop() {
					c := cz.Certify(alphas[calls%points], y, classes, q, 0)
					calls++
					iters += c.Iterations
					if c.Abstain() {
						abstains++
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(calls*n*(classes-1)), "ns/point×label×rival")
				b.ReportMetric(float64(iters)/float64(calls), "iters/point")
				b.ReportMetric(float64(abstains)/float64(calls), "abstain/point")
			})
		}
	}
}

// BenchmarkCertifyKParallel runs K-class certificates from GOMAXPROCS
// goroutines, one Certifier each, on full-MNIST-sized ridge kernels (ten
// classes, n = 50,000), and reports the wall time 10,000 test points would
// take at this throughput: the analytic part of one (q, λ) of the
// ten-digit experiment.
func BenchmarkCertifyKParallel(b *testing.B) {
	const n, classes, points, testSet, q = 50000, 10, 16, 10000, 0.05
	alphas, y := ridgeKernels(rand.New(rand.NewPCG(8, n*classes)), n, classes, points)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var cz analytic.Certifier
		for i := 0; pb.Next(); i++ {
			cz.Certify(alphas[i%points], y, classes, q, 0)
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*testSet/1e9, "s/10k-points")
}
