package vec

import (
	"math/rand/v2"
	"testing"
)

// The benchmarks time each kernel at the size flipcert's hot loops call it
// with; run them with -tags purego for the portable loops.

// BenchmarkMatMul: the sampler's scores, four test points against a block of
// 256 samples with 51 features.
func BenchmarkMatMul(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y, out := normalSlice(rng, 4*51), normalSlice(rng, 51*256), make([]float64, 4*256)
	for b.Loop() {
		MatMul(out, x, 51, 4, 51, y, 256, 256)
	}
}

// BenchmarkAddRows: one sample's right-hand side (51 features) taking eight
// table rows, as the sampler's fill does.
func BenchmarkAddRows(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	w, y := normalSlice(rng, 1024*51), make([]float64, 51)
	idx := []int32{5, 900, 77, 310, 1000, 12, 640, 333}
	for b.Loop() {
		AddRows(y, w, 51, idx)
	}
}

// BenchmarkAddRowsScaled and BenchmarkAddScaledToRows: the network's sparse
// first layer, an image's 150 non-zero pixels against 32 hidden units.
func BenchmarkAddRowsScaled(b *testing.B) {
	w, y, idx, val := sparseLayer()
	for b.Loop() {
		AddRowsScaled(y, w, 32, idx, val)
	}
}

func BenchmarkAddScaledToRows(b *testing.B) {
	w, s, idx, val := sparseLayer()
	for b.Loop() {
		AddScaledToRows(w, 32, idx, val, s)
	}
}

func sparseLayer() (w, y []float64, idx []int32, val []float64) {
	rng := rand.New(rand.NewPCG(1, 3))
	w, y = normalSlice(rng, 784*32), normalSlice(rng, 32)
	for i := range 784 {
		if rng.IntN(5) == 0 {
			idx = append(idx, int32(i))
			val = append(val, rng.Float64())
		}
	}
	return w, y, idx, val
}

// BenchmarkAdam: one Adam step of the baseline network's 25,186 parameters.
func BenchmarkAdam(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 4))
	n := 25186
	p, g, m, v := normalSlice(rng, n), normalSlice(rng, n), make([]float64, n), make([]float64, n)
	a := Adam{B1: 0.9, OneMinusB1: 0.1, B2: 0.999, OneMinusB2: 0.001, C1: 0.1, C2: 0.001, LR: 1e-3, Eps: 1e-8}
	for b.Loop() {
		a.Step(p, g, m, v)
	}
}

// normalSlice returns standard normal values: the awkward ones of the tests
// include subnormals, whose arithmetic takes the processor's slow path.
func normalSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.NormFloat64()
	}
	return s
}
