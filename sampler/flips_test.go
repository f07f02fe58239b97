package sampler

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestBinaryDigitsExact(t *testing.T) {
	for _, q := range []float64{0.1, 0.4, 1.0 / 3, 0.25, 1e-3, 0x1p-1000, math.Nextafter(0.5, 0)} {
		sum := 0.0
		for j, d := range binaryDigits(q) {
			if d {
				sum += math.Ldexp(1, -(j + 1)) // exact: one nonzero bit per term, no overlap
			}
		}
		if sum != q {
			t.Errorf("digits of %v sum to %v", q, sum)
		}
	}
}

func TestBernoulliWordFrequency(t *testing.T) {
	const words = 20000
	rng := rand.NewPCG(9, 9)
	for _, q := range []float64{0.1, 0.4, 1.0 / 3, 0.001, 0.499} {
		digits := binaryDigits(q)
		var lane [64]int
		adjacent := 0 // lanes 0 and 1 both set: checks independence across lanes
		for range words {
			w := bernoulliWord(rng, digits)
			for l := range 64 {
				lane[l] += int(w >> l & 1)
			}
			if w&3 == 3 {
				adjacent++
			}
		}
		total := 0
		for l, c := range lane {
			total += c
			if sd := math.Sqrt(q * (1 - q) / words); math.Abs(float64(c)/words-q) > 5*sd {
				t.Errorf("q=%v lane %d: frequency %.4f", q, l, float64(c)/words)
			}
		}
		draws := float64(64 * words)
		if sd := math.Sqrt(q * (1 - q) / draws); math.Abs(float64(total)/draws-q) > 4*sd {
			t.Errorf("q=%v: overall frequency %.5f", q, float64(total)/draws)
		}
		if sd := math.Sqrt(q * q * (1 - q*q) / words); math.Abs(float64(adjacent)/words-q*q) > 4*sd {
			t.Errorf("q=%v: both lanes 0,1 set %.5f, want q² = %.5f", q, float64(adjacent)/words, q*q)
		}
	}
}

// TestFillMatchesDirect replays the flip bits fill draws (same stream, same
// order: point by point, word by word) and recomputes Φᵀy′ directly as
// Σᵢ y′ᵢφᵢ, for every table width.
func TestFillMatchesDirect(t *testing.T) {
	pr := newProblem(t, 4, 37, 4, 1, 1)
	n, d := pr.phi.Dims()
	const samples = 100 // two words, the second partly used
	for _, q := range []float64{0.1, 0.4} {
		for width := 1; width <= 8; width++ {
			f := &flipper{psi: make([]float64, n*d), base: make([]float64, d), n: n, d: d, width: width, digits: binaryDigits(q)}
			for i, yi := range pr.y {
				for j := range d {
					f.psi[i*d+j] = float64(1-2*yi) * pr.phi.At(i, j)
					f.base[j] += float64(yi) * pr.phi.At(i, j)
				}
			}
			rhs := make([]float64, samples*d)
			f.fill(rhs, rand.NewPCG(1, 2), f.newScratch(samples))

			replay := rand.NewPCG(1, 2)
			flips := make([][2]uint64, n)
			for i := range n {
				for w := range 2 {
					flips[i][w] = bernoulliWord(replay, f.digits)
				}
			}
			for b := range samples {
				want := make([]float64, d)
				for i, yi := range pr.y {
					yp := yi ^ int(flips[i][b/64]>>(b%64)&1)
					for j := range d {
						want[j] += float64(yp) * pr.phi.At(i, j)
					}
				}
				got := rhs[b*d : (b+1)*d]
				if !mat.EqualApprox(mat.NewVecDense(d, got), mat.NewVecDense(d, want), 1e-12) {
					t.Fatalf("q=%v width=%d sample %d: Φᵀy′ = %v, want %v", q, width, b, got, want)
				}
			}
		}
	}
}

func TestBlockWidth(t *testing.T) {
	// At small q nearly every block has at most one flip and tables do not pay;
	// at q = 0.4 several points per add do.
	if w := blockWidth(13007, 0.01, ChunkSize); w > 2 {
		t.Errorf("q=0.01: width %d", w)
	}
	if w := blockWidth(13007, 0.4, ChunkSize); w < 4 {
		t.Errorf("q=0.4: width %d", w)
	}
}
