package sampler

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// MNIST 1/7 sizes (docs/science.md §7): 13,007 training points, 50 features plus the
// intercept, 2,163 test points; random features stand in for the embedding.
const (
	benchN    = 13007
	benchD    = 51
	benchTest = 2163
)

// BenchmarkCertifyMNISTSized times one Certify of the whole test set (N0 = 100).
// The N = 1e5 cases take seconds each: run them with -benchtime 1x.
func BenchmarkCertifyMNISTSized(b *testing.B) {
	pr := newProblem(b, 1, benchN, benchD, benchTest, 3e4)
	for _, q := range []float64{0.1, 0.4} {
		for _, n := range []int{1e4, 1e5} {
			b.Run(fmt.Sprintf("q=%g/N=%.0e", q, float64(n)), func(b *testing.B) {
				cfg := Config{N0: 100, N: n, Alpha: 0.001, Q: q, Seed: 1, Purpose: "bench"}
				b.ReportAllocs()
				cpu := cpuSeconds()
				for b.Loop() {
					if _, err := Certify(pr.model, pr.y, pr.test, cfg, nil); err != nil {
						b.Fatal(err)
					}
				}
				// Wall time is noisy on the shared machine; CPU time is not.
				b.ReportMetric((cpuSeconds()-cpu)/float64(b.N), "cpu-s/op")
			})
		}
	}
}

// BenchmarkRightHandSides compares ways to form Φᵀy′ for one chunk of
// ChunkSize samples: the table-driven sparse update (as Certify uses), the
// plain sparse update (width 1), and a dense GEMM Φᵀ Y′ over an n×ChunkSize
// 0/1 label matrix (its flips are not even drawn: a lower bound on its cost).
func BenchmarkRightHandSides(b *testing.B) {
	pr := newProblem(b, 1, benchN, benchD, 1, 3e4)
	for _, q := range []float64{0.1, 0.4} {
		f := &flipper{psi: make([]float64, benchN*benchD), base: make([]float64, benchD), n: benchN, d: benchD, digits: binaryDigits(q)}
		for i, yi := range pr.y {
			for j := range benchD {
				f.psi[i*benchD+j] = float64(1-2*yi) * pr.phi.At(i, j)
			}
		}
		for _, width := range []int{blockWidth(benchN, q, ChunkSize), 1} {
			b.Run(fmt.Sprintf("q=%g/sparse-width=%d", q, width), func(b *testing.B) {
				f.width = width
				s := f.newScratch(ChunkSize)
				rhs := make([]float64, ChunkSize*benchD)
				rng := rand.NewPCG(1, 1)
				b.ReportAllocs()
				cpu := cpuSeconds()
				for b.Loop() {
					f.fill(rhs, rng, s)
				}
				b.ReportMetric((cpuSeconds()-cpu)/float64(b.N)*1e3, "cpu-ms/op")
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
			cpu := cpuSeconds()
			for b.Loop() {
				rhs.Mul(pr.phi.T(), labels)
			}
			b.ReportMetric((cpuSeconds()-cpu)/float64(b.N)*1e3, "cpu-ms/op")
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
