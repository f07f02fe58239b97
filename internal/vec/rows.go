package vec

import "math"

// AddRowsScaled adds to y the rows idx[k] of w scaled by val[k], in the
// order k = 0, 1, …:
//
//	for k { for j { y[j] += float64(val[k]·w[idx[k]·ldw+j]) } }
//
// w is a matrix with row stride ldw whose rows are at least len(y) long. It
// panics if len(val) ≠ len(idx) or a row idx[k] lies outside w.
func AddRowsScaled(y, w []float64, ldw int, idx []int32, val []float64) {
	rows := checkRows(len(y), w, ldw, idx, val)
	from := inGroups(len(y), idx, func(g int) bool {
		return addRowsScaledAVX(&y[g], &w[g], ldw, &idx[0], &val[0], len(idx), rows)
	})
	if from == len(y) {
		return
	}
	tail := y[from:]
	for k, i := range idx {
		for j, v := range w[int(i)*ldw+from : int(i)*ldw+len(y)] {
			tail[j] += float64(val[k] * v)
		}
	}
}

// AddScaledToRows adds s scaled by val[k] to row idx[k] of w, in the order
// k = 0, 1, …:
//
//	for k { for j { w[idx[k]·ldw+j] += float64(val[k]·s[j]) } }
//
// w is a matrix with row stride ldw whose rows are at least len(s) long. It
// panics if len(val) ≠ len(idx) or a row idx[k] lies outside w.
func AddScaledToRows(w []float64, ldw int, idx []int32, val, s []float64) {
	rows := checkRows(len(s), w, ldw, idx, val)
	from := inGroups(len(s), idx, func(g int) bool {
		return addScaledToRowsAVX(&s[g], &w[g], ldw, &idx[0], &val[0], len(idx), rows)
	})
	if from == len(s) {
		return
	}
	tail := s[from:]
	for k, i := range idx {
		row := w[int(i)*ldw+from : int(i)*ldw+len(s)]
		for j, v := range tail {
			row[j] += float64(val[k] * v)
		}
	}
}

// rowGroup is the number of columns the assembly of AddRowsScaled and
// AddScaledToRows keeps in registers while it runs over the rows.
const rowGroup = 16

// inGroups runs the assembly kernel on each whole group of rowGroup of the
// width columns, g the group's first, when there is assembly and a row to
// run over, and returns the first column it left to the portable loop.
func inGroups(width int, idx []int32, kernel func(g int) (ok bool)) (from int) {
	if !hasAVX || len(idx) == 0 {
		return 0
	}
	from = width / rowGroup * rowGroup
	for g := 0; g < from; g += rowGroup {
		if !kernel(g) {
			panic(errRowIndex)
		}
	}
	return from
}

// errRowIndex is the panic of a row index outside the matrix. The assembly
// checks each index as it reads it, at no cost beside the arithmetic; the
// portable loops' slicing checks them too.
const errRowIndex = "vec: row index outside the matrix"

// checkRows panics unless val, if not nil, pairs with idx and rows of width columns fit in
// w with stride ldw, and returns how many do: the row indices must lie below
// that.
func checkRows(width int, w []float64, ldw int, idx []int32, val []float64) (rows int) {
	if val != nil && len(val) != len(idx) {
		panic("vec: row indices and scales of different lengths")
	}
	if width == 0 || len(idx) == 0 || len(w) < width {
		return 0
	}
	if ldw < width {
		panic("vec: row stride shorter than the row")
	}
	return (len(w)-width)/ldw + 1
}

// Adam holds the constants of one Adam step (Kingma & Ba 2015), each already
// rounded to float64 as the caller computes it.
type Adam struct {
	B1, OneMinusB1 float64 // β₁ and 1−β₁
	B2, OneMinusB2 float64 // β₂ and 1−β₂
	C1, C2         float64 // the bias corrections 1−β₁^t and 1−β₂^t
	LR, Eps        float64 // the step size and the denominator's guard
}

// Step applies the step to every parameter i, each operation rounded in the
// order written:
//
//	m[i] = B1·m[i] + OneMinusB1·g[i]
//	v[i] = B2·v[i] + (OneMinusB2·g[i])·g[i]
//	p[i] = p[i] − (LR·(m[i]/C1)) / (√(v[i]/C2) + Eps)
//
// It panics if the four slices differ in length.
func (a *Adam) Step(p, g, m, v []float64) {
	if len(g) != len(p) || len(m) != len(p) || len(v) != len(p) {
		panic("vec: Adam step on slices of different lengths")
	}
	from := 0
	if hasAVX && len(p) >= 4 {
		from = len(p) / 4 * 4
		adamAVX(a, &p[0], &g[0], &m[0], &v[0], from)
	}
	for i := from; i < len(p); i++ {
		gi := g[i]
		m[i] = float64(a.B1*m[i]) + float64(a.OneMinusB1*gi)
		v[i] = float64(a.B2*v[i]) + float64(float64(a.OneMinusB2*gi)*gi)
		p[i] -= float64(a.LR*(m[i]/a.C1)) / (math.Sqrt(v[i]/a.C2) + a.Eps)
	}
}

// AddRows adds to y the rows idx[k] of w, in the order k = 0, 1, …:
//
//	for k { for j { y[j] += w[idx[k]·ldw+j] } }
//
// w is a matrix with row stride ldw whose rows are at least len(y) long. It
// panics if a row idx[k] lies outside w.
func AddRows(y, w []float64, ldw int, idx []int32) {
	rows := checkRows(len(y), w, ldw, idx, nil)
	if len(y) == 0 || len(idx) == 0 {
		return
	}
	if hasAVX {
		if !addRowsAVX(&y[0], &w[0], ldw, &idx[0], len(idx), rows, len(y)) {
			panic(errRowIndex)
		}
		return
	}
	for _, i := range idx {
		Add(y, w[int(i)*ldw:int(i)*ldw+len(y)])
	}
}
