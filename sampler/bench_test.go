package sampler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"flipcert/internal/cputime"
	"flipcert/internal/mnisttest"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// MNIST 1/7 sizes (docs/science.md §7): 13,007 training points, 50 features plus the
// intercept, 2,163 test points.
const (
	benchN    = 13007
	benchD    = 51
	benchTest = 2163
)

// mnist17 returns ridge on PCA-50 features of MNIST 1/7 (plus the intercept)
// at λ = 3·10⁴, the training labels and the 2,163 test points.
func mnist17(b *testing.B) (*ridge.Model, []int, *mat.Dense) {
	b.Helper()
	return mnisttest.Ridge17(b)
}

// BenchmarkCertifyMNIST17 times one Certify of the whole MNIST 1/7 test set
// (N0 = 100) and reports the seconds a million estimation samples take, scaled
// linearly from N. The larger cases take seconds to a minute: run them with
// -benchtime 1x, e.g. -bench 'MNIST17/q=0.05/N=\[1000000\]'.
func BenchmarkCertifyMNIST17(b *testing.B) {
	model, y, test := mnist17(b)
	for _, tc := range []struct {
		q float64
		n []int
	}{
		{0.05, []int{1e4}}, {0.05, []int{1e3, 1e4, 1e5}}, {0.05, []int{1e6}}, {0.4, []int{1e4}},
	} {
		b.Run(fmt.Sprintf("q=%g/N=%v", tc.q, tc.n), func(b *testing.B) {
			cfg := Config{N0: 100, N: tc.n, Q: tc.q, Seed: 1, Purpose: "bench"}
			b.ReportAllocs()
			cpu := cputime.Seconds()
			for b.Loop() {
				if _, err := Certify(model, y, test, cfg, nil); err != nil {
					b.Fatal(err)
				}
			}
			samples := float64(cfg.N0 + tc.n[len(tc.n)-1])
			// Wall time is noisy on the shared machine; CPU time is not.
			b.ReportMetric((cputime.Seconds()-cpu)/float64(b.N), "cpu-s/op")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)*1e6/samples, "s/1e6-samples")
		})
	}
}

// BenchmarkCertifyClasses times K-class sampling with full-MNIST shapes
// (n = 50,000 training points, 51 features, m = 10,000 test points, random
// features), per thousand samples.
func BenchmarkCertifyClasses(b *testing.B) {
	for _, k := range []int{2, 10} {
		pr := newProblem(b, 1, 50000, benchD, 10000, k, 1e5)
		b.Run(fmt.Sprintf("K=%d", k), func(b *testing.B) {
			cfg := Config{N0: 256, N: []int{768}, Q: 0.05, Classes: k, Seed: 1, Purpose: "bench"}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Certify(pr.model, pr.y, pr.test, cfg, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRightHandSides compares ways to form Φ̃ᵀy′ for one chunk of
// ChunkSize samples: the table-driven sparse update (as Certify uses), the
// plain sparse update (width 1), and a dense GEMM Φᵀ Y′ over an n×ChunkSize
// 0/1 label matrix (its flips are not even drawn: a lower bound on its cost).
func BenchmarkRightHandSides(b *testing.B) {
	pr := newProblem(b, 1, benchN, benchD, 1, 2, 3e4)
	grid, err := onGrid(pr.phi)
	if err != nil {
		b.Fatal(err)
	}
	for _, q := range []float64{0.05, 0.4} {
		f := newFlipper(grid, pr.y, benchD, 2, q)
		for _, width := range []int{f.width, 1} {
			b.Run(fmt.Sprintf("q=%g/sparse-width=%d", q, width), func(b *testing.B) {
				f.width = width
				s := f.newScratch()
				rhs := make([]float64, ChunkSize*benchD)
				rng := rand.NewPCG(1, 1)
				b.ReportAllocs()
				cpu := cputime.Seconds()
				for b.Loop() {
					f.fill(rhs, rng, s)
				}
				b.ReportMetric((cputime.Seconds()-cpu)/float64(b.N)*1e3, "cpu-ms/op")
			})
		}
		b.Run(fmt.Sprintf("q=%g/dense-gemm", q), func(b *testing.B) {
			labels := mat.NewDense(benchN, ChunkSize, nil)
			rng := rand.New(rand.NewPCG(1, 1))
			for i := range benchN {
				for c := range ChunkSize {
					labels.Set(i, c, float64(rng.IntN(2)))
				}
			}
			var rhs mat.Dense
			b.ReportAllocs()
			cpu := cputime.Seconds()
			for b.Loop() {
				rhs.Mul(pr.phi.T(), labels)
			}
			b.ReportMetric((cputime.Seconds()-cpu)/float64(b.N)*1e3, "cpu-ms/op")
		})
	}
}

func BenchmarkLowerBound(b *testing.B) {
	for _, tc := range []struct{ k, n int }{{1e5 - 3, 1e5}, {6e4, 1e5}, {5e4, 1e5}} {
		b.Run(fmt.Sprintf("k=%d/n=%d", tc.k, tc.n), func(b *testing.B) {
			for b.Loop() {
				LowerBound(tc.k, tc.n, 0.001)
			}
		})
	}
}
