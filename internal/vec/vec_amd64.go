//go:build !purego

package vec

import "golang.org/x/sys/cpu"

// hasAVX reports whether the processor and the operating system support the
// 256-bit AVX registers the assembly uses.
var hasAVX = cpu.X86.HasAVX

// The assembly in vec_amd64.s; n ≥ 1, blocks ≥ 1, d ≥ 1, and the pointers
// address enough elements (the exported functions check).

//go:noescape
func addScaledAVX(dst *float64, alpha float64, s *float64, n int)

// tileAVX is MatMul on tileRows rows and the first tileCols·blocks columns,
// out's rows ldd apart.
//
//go:noescape
func tileAVX(out *float64, ldd int, x *float64, ldx, d int, y *float64, ldy, blocks int)

// addRowsScaledAVX is AddRowsScaled on the rowGroup columns at vec (y) and w, n ≥ 1
// row indices; it stops and reports false at the first index outside
// 0 … rows−1.
//
//go:noescape
func addRowsScaledAVX(vec, w *float64, ldw int, idx *int32, val *float64, n, rows int) (ok bool)

// addScaledToRowsAVX is AddScaledToRows on the rowGroup columns at vec (s) and w,
// n ≥ 1 row indices; it stops and reports false at the first index outside
// 0 … rows−1.
//
//go:noescape
func addScaledToRowsAVX(vec, w *float64, ldw int, idx *int32, val *float64, n, rows int) (ok bool)

// adamAVX is Adam.Step on the first n parameters, n a positive multiple of 4.
//
//go:noescape
func adamAVX(a *Adam, p, grad, m, v *float64, n int)

// addRowsAVX is AddRows on n ≥ 1 row indices and width ≥ 1 columns; it
// stops and reports false at the first index outside 0 … rows−1.
//
//go:noescape
func addRowsAVX(y, w *float64, ldw int, idx *int32, n, rows, width int) (ok bool)
