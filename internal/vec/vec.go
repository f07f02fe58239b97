package vec

// Add sets dst[i] = dst[i] + s[i] for every i. It panics if the lengths
// differ. It is AddScaled with α = 1: the product 1·s[i] is s[i] exactly.
func Add(dst, s []float64) { AddScaled(dst, 1, s) }

// Sub sets dst[i] = dst[i] − s[i] for every i. It panics if the lengths
// differ. It is AddScaled with α = −1: the product is −s[i] exactly, and
// IEEE subtraction x − y is x + (−y).
func Sub(dst, s []float64) { AddScaled(dst, -1, s) }

// AddTo sets dst[i] = a[i] + b[i] for every i. It panics if the lengths differ.
func AddTo(dst, a, b []float64) {
	if len(dst) != len(a) || len(a) != len(b) {
		panic("vec: AddTo of slices of different lengths")
	}
	copy(dst, a)
	Add(dst, b)
}

// AddScaled sets dst[i] = dst[i] + float64(alpha·s[i]) for every i: the
// product is rounded before it is added. It panics if the lengths differ.
func AddScaled(dst []float64, alpha float64, s []float64) {
	if len(dst) != len(s) {
		panic("vec: slices of different lengths")
	}
	if len(s) == 0 {
		return
	}
	if hasAVX {
		addScaledAVX(&dst[0], alpha, &s[0], len(s))
		return
	}
	for i, v := range s {
		dst[i] += float64(alpha * v)
	}
}

// MatMul sets out[r·cols+j], for r < rows and j < cols, to
//
//	s = 0; for l := 0; l < d; l++ { s += float64(x[r·ldx+l]·y[l·ldy+j]) }
//
// the product of the rows×d matrix x (row stride ldx) and the d×cols matrix
// y (row stride ldy), each entry summed in the order l = 0, 1, …, d−1. It
// panics if a slice is too short for its matrix.
func MatMul(out, x []float64, ldx, rows, d int, y []float64, ldy, cols int) {
	if rows == 0 || cols == 0 {
		return
	}
	if len(out) < rows*cols || d > 0 && (len(x) < (rows-1)*ldx+d || len(y) < (d-1)*ldy+cols) {
		panic("vec: MatMul of slices too short for their matrices")
	}
	r0 := 0
	if hasAVX && d > 0 && cols >= tileCols {
		blocks := cols / tileCols
		for ; r0+tileRows <= rows; r0 += tileRows {
			tileAVX(&out[r0*cols], cols, &x[r0*ldx], ldx, d, &y[0], ldy, blocks)
			matMul(out[r0*cols:], x[r0*ldx:], ldx, tileRows, d, y, ldy, blocks*tileCols, cols)
		}
	}
	if r0 < rows {
		matMul(out[r0*cols:], x[r0*ldx:], ldx, rows-r0, d, y, ldy, 0, cols)
	}
}

// tileRows × tileCols is the block of MatMul's entries one call of the
// assembly computes, held in registers across the d steps.
const (
	tileRows = 4
	tileCols = 8
)

// matMul is MatMul on columns from … cols−1 of out, as an axpy per row of y:
// each entry still adds its products in the order l = 0, 1, ….
func matMul(out, x []float64, ldx, rows, d int, y []float64, ldy, from, cols int) {
	if from >= cols {
		return
	}
	for r := range rows {
		s := out[r*cols+from : r*cols+cols]
		clear(s)
		for l, xl := range x[r*ldx : r*ldx+d] {
			for j, v := range y[l*ldy+from : l*ldy+cols] {
				s[j] += float64(xl * v)
			}
		}
	}
}
