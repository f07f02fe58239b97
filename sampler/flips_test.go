package sampler

import (
	"math"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestFillMatchesDirect replays the draws fill makes (same stream, same
// order: point by point, word by word, for K ≥ 3 a new class per flip after
// each word) and recomputes every right-hand side directly as Σ_{y′ᵢ=c} φ̃ᵢ,
// summed backwards. On the grid both must agree bit for bit, for every table
// width and class count.
func TestFillMatchesDirect(t *testing.T) {
	pr := newProblem(t, 4, 37, 4, 1, 2, 1)
	n, d := pr.phi.Dims()
	grid, err := onGrid(pr.phi)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{2, 3, 5} {
		y := make([]int, n)
		for i, yi := range pr.y {
			y[i] = (yi + i) % k // every class present
		}
		for _, q := range []float64{0.1, 0.4} {
			for width := 1; width <= 8; width++ {
				if k > 2 && width > 1 {
					break // no tables for K ≥ 3
				}
				f := newFlipper(grid, y, d, k, q)
				if k == 2 {
					f.width = width
				}
				rhs := make([]float64, ChunkSize*f.cols*d)
				f.fill(rhs, rand.NewPCG(1, 2), f.newScratch())

				replay := rand.NewPCG(1, 2)
				noisy := make([][]int, ChunkSize) // noisy[b][i] = y′ᵢ of sample b
				for b := range noisy {
					noisy[b] = append([]int(nil), y...)
				}
				for i := range n {
					for w := range chunkWords {
						for x := f.noise.Word(replay); x != 0; x &= x - 1 {
							b := w*64 + bits.TrailingZeros64(x)
							noisy[b][i] = 1 - y[i]
							if k > 2 {
								noisy[b][i] = (y[i] + 1 + int(uniformBelow(replay, uint64(k-1)))) % k
							}
						}
					}
				}
				for b, yp := range noisy {
					for c := range f.cols {
						class := c
						if k == 2 {
							class = 1
						}
						want := make([]float64, d)
						for i := n - 1; i >= 0; i-- {
							if yp[i] == class {
								for j := range d {
									want[j] += grid[i*d+j]
								}
							}
						}
						got := rhs[(b*f.cols+c)*d : (b*f.cols+c+1)*d]
						if !bitwiseEqual(got, want) {
							t.Fatalf("K=%d q=%v width=%d sample %d class %d: Φ̃ᵀ·1[y′=c] = %v, direct sum %v", k, q, width, b, class, got, want)
						}
					}
				}
			}
		}
	}
}

// TestOnGrid: on the grid every subset sum of a column, in two different
// orders of float64 additions, equals the exact math/big sum; rounding moves
// each feature by at most 2^−52·Σᵢ|φᵢⱼ|; and columns of every scale work.
func TestOnGrid(t *testing.T) {
	const n = 500
	rng := rand.New(rand.NewPCG(2, 2))
	cols := []func(i int) float64{
		func(int) float64 { return rng.NormFloat64() },
		func(int) float64 { return 1 }, // the intercept
		func(int) float64 { return 0 },
		func(int) float64 { return 1e290 * rng.NormFloat64() },
		func(int) float64 { return 1e-300 * rng.NormFloat64() },
		func(int) float64 { return 5e-324 * float64(rng.IntN(5)-2) }, // subnormals
		func(i int) float64 { // mixed magnitudes
			if i == 0 {
				return 1e10
			}
			return 1e-10 * rng.NormFloat64()
		},
	}
	phi := mat.NewDense(n, len(cols), nil)
	for i := range n {
		for j, col := range cols {
			phi.Set(i, j, col(i))
		}
	}
	grid, err := onGrid(phi)
	if err != nil {
		t.Fatal(err)
	}
	d := len(cols)
	for j := range d {
		abs := 0.0
		for i := range n {
			abs += math.Abs(phi.At(i, j))
		}
		for i := range n {
			if e := math.Abs(grid[i*d+j] - phi.At(i, j)); e > 0x1p-52*abs*(1+1e-10) {
				t.Errorf("column %d row %d: moved by %g, Σ|φ| = %g", j, i, e, abs)
			}
		}
		for trial := range 50 {
			exact := new(big.Float).SetPrec(2000)
			var fwd, bwd float64
			pick := make([]float64, 0, n)
			for i := range n {
				if trial == 0 || rng.IntN(2) == 0 {
					v := grid[i*d+j]
					if rng.IntN(2) == 0 {
						v = -v
					}
					pick = append(pick, v)
					exact.Add(exact, new(big.Float).SetFloat64(v))
				}
			}
			for i := range pick {
				fwd += pick[i]
				bwd += pick[len(pick)-1-i]
			}
			want, acc := exact.Float64()
			if acc != big.Exact || fwd != want || bwd != want {
				t.Fatalf("column %d trial %d: sums %v and %v, exact %v (%v)", j, trial, fwd, bwd, want, acc)
			}
		}
	}
	phi.Set(0, 0, 1e305)
	phi.Set(1, 0, 1e305)
	if _, err := onGrid(phi); err == nil {
		t.Error("Σ|φ| above 2^1000 accepted")
	}
}

func TestUniformBelow(t *testing.T) {
	const draws = 60000
	rng := rand.NewPCG(3, 3)
	for _, n := range []uint64{1, 2, 3, 9} {
		counts := make([]float64, n)
		for range draws {
			counts[uniformBelow(rng, n)]++
		}
		// Pearson's χ² with n−1 ≤ 8 degrees of freedom: above 40, p < 1e-5.
		chi := 0.0
		for _, c := range counts {
			e := float64(draws) / float64(n)
			chi += (c - e) * (c - e) / e
		}
		if chi > 40 {
			t.Errorf("n=%d: counts %v, χ² = %.1f", n, counts, chi)
		}
	}
}

func TestBlockWidth(t *testing.T) {
	// At small q most blocks have at most one flip and big tables do not pay;
	// at q = 0.4 several points per row do. The widths measured fastest on
	// MNIST 1/7 (BenchmarkCertifyMNIST17): 3 at q = 0.01 and 0.05, 5 at 0.4.
	for _, tc := range []struct {
		q      float64
		lo, hi int
	}{{0.01, 1, 3}, {0.05, 2, 3}, {0.4, 4, 6}} {
		if w := blockWidth(13007, tc.q, ChunkSize); w < tc.lo || w > tc.hi {
			t.Errorf("q=%g: width %d, want %d…%d", tc.q, w, tc.lo, tc.hi)
		}
	}
}
