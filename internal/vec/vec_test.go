package vec

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// awkward returns a float64 that stresses rounding: a wide exponent range,
// both signs, negative zero and subnormals among them.
func awkward(rng *rand.Rand) float64 {
	switch rng.IntN(10) {
	case 0:
		return math.Copysign(0, -1)
	case 1:
		return math.Float64frombits(rng.Uint64N(1 << 52)) // subnormal or +0
	case 2:
		return -math.Ldexp(1+rng.Float64(), -1050+rng.IntN(20))
	default:
		return math.Ldexp(rng.NormFloat64(), rng.IntN(80)-40)
	}
}

func awkwardSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = awkward(rng)
	}
	return s
}

func sameBits(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("%s: [%d] = %v (%#x), want %v (%#x)", what, i, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

// TestMatchesDefinitions checks each function bit for bit against its
// definition written out element by element, on every length up to 70 (the
// assembly's 16-, 4- and 1-element loops and their seams) and at offsets that
// leave the slices unaligned.
func TestMatchesDefinitions(t *testing.T) {
	checkDefinitions(t)
}

func checkDefinitions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 71 {
		off := rng.IntN(4)
		a := awkwardSlice(rng, n+off)[off:]
		b := awkwardSlice(rng, n+off)[off:]
		alpha := awkward(rng)

		got, want := append([]float64(nil), a...), make([]float64, n)
		for i := range n {
			want[i] = a[i] + b[i]
		}
		Add(got, b)
		sameBits(t, fmt.Sprintf("Add n=%d", n), got, want)

		got = make([]float64, n)
		AddTo(got, a, b)
		sameBits(t, fmt.Sprintf("AddTo n=%d", n), got, want)

		got = append([]float64(nil), a...)
		for i := range n {
			want[i] = a[i] - b[i]
		}
		Sub(got, b)
		sameBits(t, fmt.Sprintf("Sub n=%d", n), got, want)

		got = append([]float64(nil), a...)
		for i := range n {
			want[i] = a[i] + float64(alpha*b[i])
		}
		AddScaled(got, alpha, b)
		sameBits(t, fmt.Sprintf("AddScaled n=%d", n), got, want)
	}
	for _, tc := range []struct{ rows, d, cols, ldx, ldy int }{
		{4, 1, 8, 1, 8},
		{4, 51, 256, 51, 300},
		{4, 51, 250, 60, 250},
		{9, 51, 250, 51, 250},
		{4, 3, 7, 3, 7},
		{3, 51, 256, 51, 256},
		{1, 10, 17, 12, 40},
		{8, 64, 33, 64, 33},
		{5, 0, 9, 0, 9},
	} {
		x := awkwardSlice(rng, max(0, (tc.rows-1)*tc.ldx+tc.d))
		y := awkwardSlice(rng, max(0, (tc.d-1)*tc.ldy+tc.cols))
		out := make([]float64, tc.rows*tc.cols)
		for i := range out {
			out[i] = math.NaN() // every entry must be written
		}
		MatMul(out, x, tc.ldx, tc.rows, tc.d, y, tc.ldy, tc.cols)
		want := make([]float64, len(out))
		for r := range tc.rows {
			for j := range tc.cols {
				s := 0.0
				for l := range tc.d {
					s += float64(x[r*tc.ldx+l] * y[l*tc.ldy+j])
				}
				want[r*tc.cols+j] = s
			}
		}
		sameBits(t, fmt.Sprintf("MatMul %+v", tc), out, want)
	}
}

// checkRowsAndAdam checks AddRowsScaled, AddScaledToRows and Adam.Step bit
// for bit against their definitions, on widths around the 16-column groups
// the assembly keeps in registers, with a repeated row among the indices.
func checkRowsAndAdam(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, width := range []int{1, 2, 3, 4, 15, 16, 17, 32, 33, 47, 48, 50, 51, 52, 53, 99, 100} {
		ldw := width + rng.IntN(3)
		rows := 20
		w := awkwardSlice(rng, (rows-1)*ldw+width)
		idx := []int32{3, 0, 19, 7, 7, 12}
		val := awkwardSlice(rng, len(idx))
		y := awkwardSlice(rng, width)

		got, want := append([]float64(nil), y...), append([]float64(nil), y...)
		AddRowsScaled(got, w, ldw, idx, val)
		for k, i := range idx {
			for j := range want {
				want[j] += float64(val[k] * w[int(i)*ldw+j])
			}
		}
		sameBits(t, fmt.Sprintf("AddRowsScaled width=%d", width), got, want)

		got, want = append([]float64(nil), y...), append([]float64(nil), y...)
		AddRows(got, w, ldw, idx)
		for _, i := range idx {
			for j := range want {
				want[j] += w[int(i)*ldw+j]
			}
		}
		sameBits(t, fmt.Sprintf("AddRows width=%d", width), got, want)

		gotW, wantW := append([]float64(nil), w...), append([]float64(nil), w...)
		AddScaledToRows(gotW, ldw, idx, val, y)
		for k, i := range idx {
			for j, v := range y {
				wantW[int(i)*ldw+j] += float64(val[k] * v)
			}
		}
		sameBits(t, fmt.Sprintf("AddScaledToRows width=%d", width), gotW, wantW)
	}
	for n := range 40 {
		a := Adam{B1: 0.9, OneMinusB1: 0.1, B2: 0.999, OneMinusB2: 0.001, C1: 1 - math.Pow(0.9, 7), C2: 1 - math.Pow(0.999, 7), LR: 1e-3, Eps: 1e-8}
		// Gradients and moments of a network's scale, where Eps matters, with
		// zeros and awkward values among them.
		p, g, m, v := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range n {
			p[i], g[i], m[i] = rng.NormFloat64()*0.1, rng.NormFloat64()*1e-4, rng.NormFloat64()*1e-4
			v[i] = math.Ldexp(rng.Float64(), -20-rng.IntN(40))
			switch rng.IntN(6) {
			case 0:
				g[i], m[i], v[i] = 0, 0, 0
			case 1:
				g[i], m[i], v[i] = awkward(rng), awkward(rng), math.Abs(awkward(rng)) // a second moment is never negative
			}
		}
		wp, wm, wv := append([]float64(nil), p...), append([]float64(nil), m...), append([]float64(nil), v...)
		a.Step(p, g, m, v)
		for i := range n {
			wm[i] = float64(a.B1*wm[i]) + float64(a.OneMinusB1*g[i])
			wv[i] = float64(a.B2*wv[i]) + float64(float64(a.OneMinusB2*g[i])*g[i])
			step := float64(a.LR*float64(wm[i]/a.C1)) / float64(math.Sqrt(float64(wv[i]/a.C2))+a.Eps)
			wp[i] = wp[i] - step
		}
		sameBits(t, fmt.Sprintf("Adam m, n=%d", n), m, wm)
		sameBits(t, fmt.Sprintf("Adam v, n=%d", n), v, wv)
		sameBits(t, fmt.Sprintf("Adam p, n=%d", n), p, wp)
	}
}

func TestRowsAndAdamMatchDefinitions(t *testing.T) {
	checkRowsAndAdam(t)
}

func TestPanicsOnBadLengths(t *testing.T) {
	for name, f := range map[string]func(){
		"Add":                                func() { Add(make([]float64, 3), make([]float64, 4)) },
		"Sub":                                func() { Sub(make([]float64, 3), make([]float64, 4)) },
		"AddTo":                              func() { AddTo(make([]float64, 3), make([]float64, 3), make([]float64, 2)) },
		"AddScaled":                          func() { AddScaled(make([]float64, 5), 2, make([]float64, 4)) },
		"AddRowsScaled, row outside":         func() { AddRowsScaled(make([]float64, 4), make([]float64, 12), 4, []int32{3}, []float64{1}) },
		"AddRowsScaled, negative row":        func() { AddRowsScaled(make([]float64, 4), make([]float64, 12), 4, []int32{-1}, []float64{1}) },
		"AddRowsScaled, wide, row outside":   func() { AddRowsScaled(make([]float64, 16), make([]float64, 48), 16, []int32{0, 3}, []float64{1, 1}) },
		"AddRowsScaled, wide, negative row":  func() { AddRowsScaled(make([]float64, 16), make([]float64, 48), 16, []int32{-1}, []float64{1}) },
		"AddScaledToRows, wide, row outside": func() { AddScaledToRows(make([]float64, 47), 16, []int32{2}, []float64{1}, make([]float64, 16)) },
		"AddScaledToRows, wide, negative":    func() { AddScaledToRows(make([]float64, 48), 16, []int32{1, -2}, []float64{1, 1}, make([]float64, 16)) },
		"AddScaledToRows, row outside":       func() { AddScaledToRows(make([]float64, 11), 4, []int32{2}, []float64{1}, make([]float64, 4)) },
		"AddScaledToRows, scales":            func() { AddScaledToRows(make([]float64, 12), 4, []int32{2}, nil, make([]float64, 4)) },
		"Adam":                               func() { (&Adam{}).Step(make([]float64, 4), make([]float64, 4), make([]float64, 3), make([]float64, 4)) },
		"MatMul":                             func() { MatMul(make([]float64, 8), make([]float64, 8), 2, 4, 2, make([]float64, 3), 2, 2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
}
