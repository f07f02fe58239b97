package nn

import (
	"math"
	"math/rand/v2"

	"flipcert/internal/vec"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
)

// layer is one stage of a feed-forward network acting on a mini-batch of n
// samples stored row-major, one sample per row of length inLen()/outLen().
// Spatial activations are laid out NHWC (row, column, channel), so a
// convolution over a batch is a single GEMM on im2col patches whose product is
// already the NHWC output.
//
// Parameters live in one flat vector owned by the network; each layer sees its
// own slice p (and the matching gradient slice g). Per-batch state lives in a
// slot, one per layer and per shard, so shards never share buffers.
type layer interface {
	inLen() int
	outLen() int
	numParams() int
	// init draws the initial parameters.
	init(p []float64, rng *rand.Rand)
	// forward returns the output for the n samples in x, keeping in s what
	// backward needs. rng is used only by dropout in training mode.
	forward(p []float64, s *slot, x []float64, n int, train bool, rng *rand.Rand) []float64
	// backward adds the parameter gradient to g and returns dL/dx when
	// needDX (nil otherwise), given dL/dy for the last forward call.
	backward(p, g []float64, s *slot, dy []float64, n int, needDX bool) []float64
}

// slot holds one layer's buffers for one shard; they grow to the largest n seen.
type slot struct {
	x, y, dx    []float64
	cols, dcols []float64
	wt          []float64
	mask        []float64
	arg         []int32
}

// grow returns buf resized to n, reallocating only when it is too small.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}

func general(rows, cols int, data []float64) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

// gemm computes c = alpha·op(a)·op(b) + beta·c with gonum's pure-Go BLAS. Its
// result does not depend on GOMAXPROCS: gonum splits work only over blocks of
// c and always sums over k in the same order.
func gemm(ta, tb blas.Transpose, alpha float64, a, b blas64.General, beta float64, c blas64.General) {
	blas64.Gemm(ta, tb, alpha, a, b, beta, c)
}

// uniformInit fills w with U(−1/√fanIn, 1/√fanIn), PyTorch's default for
// convolutions and linear layers (weights and biases alike).
func uniformInit(w []float64, fanIn int, rng *rand.Rand) {
	bound := 1 / math.Sqrt(float64(fanIn))
	for i := range w {
		w[i] = (2*rng.Float64() - 1) * bound
	}
}

// addBias adds b to every row of y (n rows of len(b)).
func addBias(y, b []float64) {
	for i := 0; i < len(y); i += len(b) {
		row := y[i : i+len(b)]
		for j, v := range b {
			row[j] += v
		}
	}
}

// sumRows adds the column sums of dy (rows of len(g)) to g.
func sumRows(g, dy []float64) {
	for i := 0; i < len(dy); i += len(g) {
		for j, v := range dy[i : i+len(g)] {
			g[j] += v
		}
	}
}

// linear is y = x·W + b with W stored in×out row-major followed by b.
type linear struct{ in, out int }

func (l linear) inLen() int     { return l.in }
func (l linear) outLen() int    { return l.out }
func (l linear) numParams() int { return l.in*l.out + l.out }
func (l linear) init(p []float64, rng *rand.Rand) {
	uniformInit(p, l.in, rng)
}

func (l linear) forward(p []float64, s *slot, x []float64, n int, _ bool, _ *rand.Rand) []float64 {
	s.x = x
	s.y = grow(s.y, n*l.out)
	w := general(l.in, l.out, p[:l.in*l.out])
	// gonum's NoTrans×NoTrans kernel skips zero entries of x, so sparse inputs
	// (MNIST pixels, ReLU outputs) cost only their non-zeros.
	gemm(blas.NoTrans, blas.NoTrans, 1, general(n, l.in, x[:n*l.in]), w, 0, general(n, l.out, s.y))
	addBias(s.y, p[l.in*l.out:])
	return s.y
}

func (l linear) backward(p, g []float64, s *slot, dy []float64, n int, needDX bool) []float64 {
	// dW += xᵀ·dy, db += Σ_rows dy, dx = dy·Wᵀ.
	gemm(blas.Trans, blas.NoTrans, 1, general(n, l.in, s.x[:n*l.in]), general(n, l.out, dy), 1, general(l.in, l.out, g[:l.in*l.out]))
	sumRows(g[l.in*l.out:], dy[:n*l.out])
	if !needDX {
		return nil
	}
	s.dx = grow(s.dx, n*l.in)
	gemm(blas.NoTrans, blas.Trans, 1, general(n, l.out, dy), general(l.in, l.out, p[:l.in*l.out]), 0, general(n, l.in, s.dx))
	return s.dx
}

// forwardSparse is forward on rows of a sparse input: y = x·W + b costs one
// axpy of a row of W per non-zero input (vec.AddRowsScaled, which keeps the
// output row in registers across them and skips the BLAS call's checks,
// which on rows this short cost as much as the arithmetic). It performs the
// same floating-point operations in the same order as forward on the dense
// rows (gonum's GEMM kernel skips the zeros and adds the non-zeros in column
// order, each as a rounded product then a sum), so the outputs are
// bit-identical.
func (l linear) forwardSparse(p []float64, s *slot, x *sparseRows, rows []int) []float64 {
	s.y = grow(s.y, len(rows)*l.out)
	w := p[:l.in*l.out]
	for r, i := range rows {
		y := s.y[r*l.out : (r+1)*l.out]
		clear(y)
		vec.AddRowsScaled(y, w, l.out, x.idx[x.ptr[i]:x.ptr[i+1]], x.val[x.ptr[i]:x.ptr[i+1]])
	}
	addBias(s.y, p[l.in*l.out:])
	return s.y
}

// backwardSparse adds the parameter gradient for rows of a sparse input to g:
// dW[c,:] += x[r,c]·dy[r,:] over the non-zeros, rows in order, which is again
// the dense kernel's arithmetic; db += Σ_rows dy. The input gradient is never
// needed (sparse inputs are data).
func (l linear) backwardSparse(g []float64, x *sparseRows, rows []int, dy []float64) {
	gw := g[:l.in*l.out]
	for r, i := range rows {
		vec.AddScaledToRows(gw, l.out, x.idx[x.ptr[i]:x.ptr[i+1]], x.val[x.ptr[i]:x.ptr[i+1]], dy[r*l.out:(r+1)*l.out])
	}
	sumRows(g[l.in*l.out:], dy[:len(rows)*l.out])
}

// conv is a valid, stride-1 2-D convolution of an h×w×c input with f filters
// of size k×k: y[i,j,o] = b[o] + Σ_{di,dj,ch} x[i+di, j+dj, ch]·W[o, (di,dj,ch)].
// W is stored f×(k·k·c), one filter per row, followed by b. sparse marks an
// input that is mostly zeros (raw digit images); it selects a forward kernel
// that skips them. It is a fixed property of the layer, never of the data, so
// an image's output never depends on the other images in its batch.
type conv struct {
	h, w, c, k, f int
	sparse        bool
}

// weights returns the filter matrix within a parameter (or gradient) slice.
func (l conv) weights(p []float64) blas64.General {
	return general(l.f, l.patch(), p[:l.f*l.patch()])
}

func (l conv) oh() int        { return l.h - l.k + 1 }
func (l conv) ow() int        { return l.w - l.k + 1 }
func (l conv) patch() int     { return l.k * l.k * l.c }
func (l conv) inLen() int     { return l.h * l.w * l.c }
func (l conv) outLen() int    { return l.oh() * l.ow() * l.f }
func (l conv) numParams() int { return l.patch()*l.f + l.f }
func (l conv) init(p []float64, rng *rand.Rand) {
	uniformInit(p, l.patch(), rng)
}

func (l conv) forward(p []float64, s *slot, x []float64, n int, _ bool, _ *rand.Rand) []float64 {
	rows, kc := n*l.oh()*l.ow(), l.k*l.c
	s.cols = grow(s.cols, rows*l.patch())
	// im2col: patch row (sample, i, j) holds, for each di, the k·c values
	// x[i+di, j:j+k, :], which are contiguous in NHWC.
	r := 0
	for smp := 0; smp < n; smp++ {
		img := x[smp*l.inLen() : (smp+1)*l.inLen()]
		for i := 0; i < l.oh(); i++ {
			for j := 0; j < l.ow(); j++ {
				dst := s.cols[r*l.patch() : (r+1)*l.patch()]
				for di := 0; di < l.k; di++ {
					src := ((i+di)*l.w + j) * l.c
					copy(dst[di*kc:(di+1)*kc], img[src:src+kc])
				}
				r++
			}
		}
	}
	s.y = grow(s.y, rows*l.f)
	cols := general(rows, l.patch(), s.cols)
	if l.sparse {
		// cols·Wᵀ with Wᵀ stored K×f: gonum's NoTrans×NoTrans kernel skips the
		// zero patch entries, so the cost is proportional to the ink.
		s.wt = grow(s.wt, l.patch()*l.f)
		for o := 0; o < l.f; o++ {
			for q, v := range p[o*l.patch() : (o+1)*l.patch()] {
				s.wt[q*l.f+o] = v
			}
		}
		gemm(blas.NoTrans, blas.NoTrans, 1, cols, general(l.patch(), l.f, s.wt), 0, general(rows, l.f, s.y))
	} else {
		gemm(blas.NoTrans, blas.Trans, 1, cols, l.weights(p), 0, general(rows, l.f, s.y))
	}
	addBias(s.y, p[l.patch()*l.f:])
	return s.y
}

func (l conv) backward(p, g []float64, s *slot, dy []float64, n int, needDX bool) []float64 {
	rows, kc := n*l.oh()*l.ow(), l.k*l.c
	// With dy as the left operand gonum's kernels skip its zeros, and most of
	// dy is zero: max-pooling passes back one gradient in four.
	dym := general(rows, l.f, dy[:rows*l.f])
	gemm(blas.Trans, blas.NoTrans, 1, dym, general(rows, l.patch(), s.cols[:rows*l.patch()]), 1, l.weights(g))
	sumRows(g[l.patch()*l.f:], dy[:rows*l.f])
	if !needDX {
		return nil
	}
	s.dcols = grow(s.dcols, rows*l.patch())
	gemm(blas.NoTrans, blas.NoTrans, 1, dym, l.weights(p), 0, general(rows, l.patch(), s.dcols))
	s.dx = grow(s.dx, n*l.inLen())
	clear(s.dx)
	// col2im: scatter-add each patch gradient back to the pixels it came from.
	r := 0
	for smp := 0; smp < n; smp++ {
		img := s.dx[smp*l.inLen() : (smp+1)*l.inLen()]
		for i := 0; i < l.oh(); i++ {
			for j := 0; j < l.ow(); j++ {
				src := s.dcols[r*l.patch() : (r+1)*l.patch()]
				for di := 0; di < l.k; di++ {
					dst := img[((i+di)*l.w+j)*l.c:]
					for t, v := range src[di*kc : (di+1)*kc] {
						dst[t] += v
					}
				}
				r++
			}
		}
	}
	return s.dx
}

// maxPool is 2×2 max pooling with stride 2 on an h×w×c input (h, w even).
type maxPool struct{ h, w, c int }

func (l maxPool) inLen() int                     { return l.h * l.w * l.c }
func (l maxPool) outLen() int                    { return l.h / 2 * l.w / 2 * l.c }
func (l maxPool) numParams() int                 { return 0 }
func (l maxPool) init(_ []float64, _ *rand.Rand) {}

func (l maxPool) forward(_ []float64, s *slot, x []float64, n int, _ bool, _ *rand.Rand) []float64 {
	s.y = grow(s.y, n*l.outLen())
	s.arg = grow(s.arg, n*l.outLen())
	o := 0
	for smp := 0; smp < n; smp++ {
		base := smp * l.inLen()
		for i := 0; i < l.h; i += 2 {
			for j := 0; j < l.w; j += 2 {
				for ch := 0; ch < l.c; ch++ {
					// The first maximum in (i,j),(i,j+1),(i+1,j),(i+1,j+1) order wins ties.
					best := base + (i*l.w+j)*l.c + ch
					for _, q := range [3]int{
						base + (i*l.w+j+1)*l.c + ch,
						base + ((i+1)*l.w+j)*l.c + ch,
						base + ((i+1)*l.w+j+1)*l.c + ch,
					} {
						if x[q] > x[best] {
							best = q
						}
					}
					s.y[o], s.arg[o] = x[best], int32(best)
					o++
				}
			}
		}
	}
	return s.y
}

func (l maxPool) backward(_, _ []float64, s *slot, dy []float64, n int, needDX bool) []float64 {
	if !needDX {
		return nil
	}
	s.dx = grow(s.dx, n*l.inLen())
	clear(s.dx)
	for o, v := range dy[:n*l.outLen()] {
		s.dx[s.arg[o]] += v
	}
	return s.dx
}

// relu is y = max(x, 0) on vectors of length size.
type relu struct{ size int }

func (l relu) inLen() int                     { return l.size }
func (l relu) outLen() int                    { return l.size }
func (l relu) numParams() int                 { return 0 }
func (l relu) init(_ []float64, _ *rand.Rand) {}

func (l relu) forward(_ []float64, s *slot, x []float64, n int, _ bool, _ *rand.Rand) []float64 {
	s.y = grow(s.y, n*l.size)
	for i, v := range x[:n*l.size] {
		s.y[i] = max(v, 0)
	}
	return s.y
}

func (l relu) backward(_, _ []float64, s *slot, dy []float64, n int, needDX bool) []float64 {
	if !needDX {
		return nil
	}
	s.dx = grow(s.dx, n*l.size)
	for i, v := range dy[:n*l.size] {
		if s.y[i] > 0 {
			s.dx[i] = v
		} else {
			s.dx[i] = 0
		}
	}
	return s.dx
}

// dropout zeroes each unit with probability rate during training and scales
// the survivors by 1/(1−rate) (inverted dropout), so evaluation is the
// identity. With channels > 0 the input is NHWC with that many channels and a
// whole channel of a sample is kept or dropped together (PyTorch's Dropout2d,
// used by the MNIST example after its second convolution).
type dropout struct {
	size     int
	rate     float64
	channels int
}

func (l dropout) inLen() int                     { return l.size }
func (l dropout) outLen() int                    { return l.size }
func (l dropout) numParams() int                 { return 0 }
func (l dropout) init(_ []float64, _ *rand.Rand) {}

func (l dropout) forward(_ []float64, s *slot, x []float64, n int, train bool, rng *rand.Rand) []float64 {
	if !train {
		s.mask = nil
		return x[:n*l.size]
	}
	s.mask = grow(s.mask, n*l.size)
	scale := 1 / (1 - l.rate)
	keep := func() float64 {
		if rng.Float64() < l.rate {
			return 0
		}
		return scale
	}
	if l.channels == 0 {
		for i := range s.mask {
			s.mask[i] = keep()
		}
	} else {
		for smp := 0; smp < n; smp++ {
			m := s.mask[smp*l.size : (smp+1)*l.size]
			for ch := 0; ch < l.channels; ch++ {
				v := keep()
				for i := ch; i < l.size; i += l.channels {
					m[i] = v
				}
			}
		}
	}
	return l.apply(s, x, n)
}

// apply multiplies x by the stored mask.
func (l dropout) apply(s *slot, x []float64, n int) []float64 {
	s.y = grow(s.y, n*l.size)
	for i, v := range x[:n*l.size] {
		s.y[i] = v * s.mask[i]
	}
	return s.y
}

func (l dropout) backward(_, _ []float64, s *slot, dy []float64, n int, needDX bool) []float64 {
	if !needDX {
		return nil
	}
	s.dx = grow(s.dx, n*l.size)
	for i, v := range dy[:n*l.size] {
		s.dx[i] = v * s.mask[i]
	}
	return s.dx
}

// softmaxXent returns Σ_i −log softmax(z_i)[y_i] over the n rows of logits z
// (k columns) and writes scale·(softmax(z_i) − onehot(y_i)), its gradient
// times scale, to dz.
func softmaxXent(z []float64, y []int, k int, scale float64, dz []float64) float64 {
	loss := 0.0
	for i, lab := range y {
		row, d := z[i*k:(i+1)*k], dz[i*k:(i+1)*k]
		m := row[0]
		for _, v := range row[1:] {
			m = max(m, v)
		}
		sum := 0.0
		for j, v := range row {
			d[j] = math.Exp(v - m)
			sum += d[j]
		}
		loss += math.Log(sum) + m - row[lab]
		for j := range d {
			d[j] *= scale / sum
		}
		d[lab] -= scale
	}
	return loss
}
