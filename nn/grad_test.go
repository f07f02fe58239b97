package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randVec returns n draws from N(0, 1).
func randVec(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.NormFloat64()
	}
	return v
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// checkClose fails if analytic and numeric derivatives differ by more than tol
// relative to their scale.
func checkClose(t *testing.T, what string, i int, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol*max(1, math.Abs(want)) {
		t.Errorf("%s[%d]: backward %.8g, finite difference %.8g", what, i, got, want)
	}
}

// TestLayerGradients checks every layer's backward pass against central finite
// differences of the scalar L = Σ r·forward(x) for a random r.
func TestLayerGradients(t *testing.T) {
	const n, h, tol = 2, 1e-6, 1e-6
	for _, tc := range []struct {
		name string
		l    layer
	}{
		{"linear", linear{7, 5}},
		{"conv", conv{h: 6, w: 5, c: 3, k: 3, f: 4}},
		{"conv sparse kernel", conv{h: 6, w: 6, c: 2, k: 2, f: 3, sparse: true}},
		{"conv 1 channel k5", conv{h: 8, w: 8, c: 1, k: 5, f: 2}},
		{"max-pool", maxPool{h: 4, w: 6, c: 3}},
		{"relu", relu{9}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			l := tc.l
			p := randVec(rng, l.numParams())
			x := randVec(rng, n*l.inLen())
			r := randVec(rng, n*l.outLen())
			loss := func() float64 {
				var s slot
				return dot(r, l.forward(p, &s, x, n, true, nil))
			}
			var s slot
			l.forward(p, &s, x, n, true, nil)
			g := make([]float64, len(p))
			dx := append([]float64(nil), l.backward(p, g, &s, r, n, true)...)
			for i := range x {
				checkClose(t, "dx", i, dx[i], centralDifference(x, i, h, loss), tol)
			}
			for i := range p {
				checkClose(t, "dparam", i, g[i], centralDifference(p, i, h, loss), tol)
			}
		})
	}
}

// TestDropoutGradient fixes a mask (both element-wise and per channel) and
// checks backward against finite differences and the mask's structure.
func TestDropoutGradient(t *testing.T) {
	const n, h = 3, 1e-6
	for _, l := range []dropout{{size: 12, rate: 0.5}, {size: 12, rate: 0.3, channels: 3}} {
		rng := rand.New(rand.NewPCG(3, 4))
		x := randVec(rng, n*l.size)
		r := randVec(rng, n*l.size)
		var s slot
		l.forward(nil, &s, x, n, true, rng)
		mask := append([]float64(nil), s.mask...)
		for i, m := range mask {
			if m != 0 && math.Abs(m-1/(1-l.rate)) > 1e-15 {
				t.Fatalf("mask[%d] = %g, want 0 or %g", i, m, 1/(1-l.rate))
			}
			if l.channels > 0 && m != mask[i%l.size%l.channels+i/l.size*l.size] {
				t.Fatalf("channel mask differs within a channel at %d", i)
			}
		}
		dx := append([]float64(nil), l.backward(nil, nil, &s, r, n, true)...)
		loss := func() float64 {
			s.mask = mask
			return dot(r, l.apply(&s, x, n))
		}
		for i := range x {
			checkClose(t, "dropout dx", i, dx[i], centralDifference(x, i, h, loss), 1e-6)
		}
		var e slot
		if y := l.forward(nil, &e, x, n, false, nil); dot(y, r) != dot(x, r) {
			t.Error("dropout is not the identity in evaluation mode")
		}
	}
}

// TestSoftmaxXent checks the loss against its closed form and its gradient
// against finite differences.
func TestSoftmaxXent(t *testing.T) {
	const k, h = 4, 1e-6
	rng := rand.New(rand.NewPCG(5, 6))
	z := randVec(rng, 2*k)
	y := []int{3, 0}
	dz := make([]float64, len(z))
	loss := softmaxXent(z, y, k, 1, dz)
	want := 0.0
	for i, lab := range y {
		sum := 0.0
		for _, v := range z[i*k : (i+1)*k] {
			sum += math.Exp(v)
		}
		want -= math.Log(math.Exp(z[i*k+lab]) / sum)
	}
	checkClose(t, "loss", 0, loss, want, 1e-12)
	scratch := make([]float64, len(z))
	for i := range z {
		checkClose(t, "dz", i, dz[i], centralDifference(z, i, h, func() float64 { return softmaxXent(z, y, k, 1, scratch) }), 1e-6)
	}
}

// TestEmbedderNetGradient checks the whole embedder stack, dropout included
// (masks fixed by reseeding), on a sample of parameters from every layer.
func TestEmbedderNetGradient(t *testing.T) {
	const n = 2
	nw := newEmbedderNet(6, 3)
	nw.init(9)
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float64, n*Pixels)
	for i := range x {
		x[i] = rng.Float64()
	}
	y := []int{2, 0}
	checkNetGradient(t, nw, denseSamples{x, Pixels}, y, 5, 1e-5)
}

// TestClassifierNetGradient checks the classifier stack with K = 4 outputs,
// reading a sparse input (the first layer's sparse backward pass), on every
// parameter.
func TestClassifierNetGradient(t *testing.T) {
	const k = 4
	nw := newNetwork(classifierShard, linear{Pixels, 6}, relu{6}, linear{6, k})
	nw.init(2)
	rng := rand.New(rand.NewPCG(9, 10))
	x := mat.NewDense(3, Pixels, nil)
	for i := range x.RawMatrix().Data {
		if rng.IntN(5) == 0 {
			x.RawMatrix().Data[i] = rng.Float64()
		}
	}
	im, err := NewImages(x)
	if err != nil {
		t.Fatal(err)
	}
	checkNetGradient(t, nw, &im.rows, []int{3, 0, 2}, Pixels*6+6, 1e-6)
}

// checkNetGradient compares the network's backward pass on all samples of x
// (dropout masks fixed by reseeding) with central finite differences of the
// summed softmax cross-entropy, for perLayer random parameters of each layer
// (every parameter of a layer with at most perLayer).
func checkNetGradient(t *testing.T, nw *network, x samples, y []int, perLayer int, tol float64) {
	t.Helper()
	const h = 1e-5
	rows := make([]int, x.len())
	for i := range rows {
		rows[i] = i
	}
	tp := nw.newTape()
	// lossAndGrad runs a forward pass and writes the loss's gradient with
	// respect to the outputs to dz.
	lossAndGrad := func(dz []float64) (float64, []float64) {
		x.gather(tp, rows)
		z := nw.forward(tp, len(nw.layers), true, rand.New(rand.NewPCG(1, 1)))
		dz = grow(dz, len(z))
		return softmaxXent(z, y, nw.outLen(), 1, dz), dz
	}
	_, dz := lossAndGrad(nil)
	nw.backward(tp, dz)
	grad := append([]float64(nil), tp.grad...)
	scratch := make([]float64, len(dz))
	loss := func() float64 {
		l, _ := lossAndGrad(scratch)
		return l
	}
	rng := rand.New(rand.NewPCG(3, 5))
	for li := range nw.layers {
		lo, hi := nw.offs[li], nw.offs[li+1]
		for k := range min(perLayer, hi-lo) {
			i := lo + k
			if hi-lo > perLayer {
				i = lo + rng.IntN(hi-lo)
			}
			checkClose(t, "param", i, grad[i], centralDifference(nw.params, i, h, loss), tol)
		}
	}
}

// TestConvForward compares both convolution kernels with the textbook sum
// y[s,i,j,o] = b[o] + Σ x[s,i+di,j+dj,c]·W[o,(di,dj,c)], and max-pooling with
// a direct 2×2 maximum.
func TestConvForward(t *testing.T) {
	const n = 2
	rng := rand.New(rand.NewPCG(11, 12))
	for _, l := range []conv{{h: 7, w: 6, c: 3, k: 3, f: 2}, {h: 7, w: 6, c: 3, k: 3, f: 2, sparse: true}} {
		p := randVec(rng, l.numParams())
		x := randVec(rng, n*l.inLen())
		for i := range x {
			if rng.IntN(2) == 0 {
				x[i] = 0 // exercise the zero-skipping kernel
			}
		}
		var s slot
		y := l.forward(p, &s, x, n, false, nil)
		for smp := range n {
			for i := range l.oh() {
				for j := range l.ow() {
					for o := range l.f {
						want := p[l.f*l.patch()+o]
						for di := range l.k {
							for dj := range l.k {
								for c := range l.c {
									want += x[smp*l.inLen()+((i+di)*l.w+j+dj)*l.c+c] * p[o*l.patch()+(di*l.k+dj)*l.c+c]
								}
							}
						}
						got := y[((smp*l.oh()+i)*l.ow()+j)*l.f+o]
						checkClose(t, "conv y", o, got, want, 1e-12)
					}
				}
			}
		}
	}
	pool := maxPool{h: 4, w: 4, c: 2}
	x := randVec(rng, n*pool.inLen())
	var s slot
	y := pool.forward(nil, &s, x, n, false, nil)
	at := func(smp, i, j, c int) float64 { return x[smp*pool.inLen()+(i*pool.w+j)*pool.c+c] }
	for smp := range n {
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				for c := range 2 {
					want := max(at(smp, 2*i, 2*j, c), at(smp, 2*i, 2*j+1, c), at(smp, 2*i+1, 2*j, c), at(smp, 2*i+1, 2*j+1, c))
					if got := y[((smp*2+i)*2+j)*2+c]; got != want {
						t.Errorf("pool[%d,%d,%d,%d] = %g, want %g", smp, i, j, c, got, want)
					}
				}
			}
		}
	}
}

// centralDifference estimates ∂f/∂v[i] as (f(v + h·eᵢ) − f(v − h·eᵢ)) / 2h and
// leaves v as it was.
func centralDifference(v []float64, i int, h float64, f func() float64) float64 {
	old := v[i]
	v[i] = old + h
	up := f()
	v[i] = old - h
	down := f()
	v[i] = old
	return (up - down) / (2 * h)
}
