//go:build !amd64 || purego

package vec

// Without the assembly the exported functions run their definitions: with
// hasAVX false these stubs are never called.
const hasAVX = false

func addScaledAVX(dst *float64, alpha float64, s *float64, n int) { panic("vec: no assembly") }
func adamAVX(a *Adam, p, grad, m, v *float64, n int)              { panic("vec: no assembly") }

func tileAVX(out *float64, ldd int, x *float64, ldx, d int, y *float64, ldy, blocks int) {
	panic("vec: no assembly")
}

func addRowsScaledAVX(vec, w *float64, ldw int, idx *int32, val *float64, n, rows int) bool {
	panic("vec: no assembly")
}

func addScaledToRowsAVX(vec, w *float64, ldw int, idx *int32, val *float64, n, rows int) bool {
	panic("vec: no assembly")
}

func addRowsAVX(y, w *float64, ldw int, idx *int32, n, rows, width int) bool {
	panic("vec: no assembly")
}
