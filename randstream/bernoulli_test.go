package randstream

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBernoulliDigitsExact(t *testing.T) {
	for _, q := range []float64{0.1, 0.4, 1.0 / 3, 0.25, 1e-3, 0x1p-1000, math.Nextafter(0.5, 0)} {
		sum := 0.0
		for j, d := range NewBernoulli(q).digits {
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
		b := NewBernoulli(q)
		var lane [64]int
		adjacent := 0 // lanes 0 and 1 both set: checks independence across lanes
		for range words {
			w := b.Word(rng)
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
