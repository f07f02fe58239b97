//go:build !amd64 || purego

package vec

// Without the assembly the exported functions run their definitions: with
// hasAVX false these stubs are never called.
const hasAVX = false

func addAVX(dst, s *float64, n int)                               { panic("vec: no assembly") }
func subAVX(dst, s *float64, n int)                               { panic("vec: no assembly") }
func addToAVX(dst, a, b *float64, n int)                          { panic("vec: no assembly") }
func addScaledAVX(dst *float64, alpha float64, s *float64, n int) { panic("vec: no assembly") }
func adamAVX(a *Adam, p, grad, m, v *float64, n int)              { panic("vec: no assembly") }

func tileAVX(out *float64, ldd int, x *float64, ldx, d int, y *float64, ldy, blocks int) {
	panic("vec: no assembly")
}

func addRowsScaledAVX(y, w *float64, ldw int, idx *int32, val *float64, n, rows int) bool {
	panic("vec: no assembly")
}

func addScaledToRowsAVX(w *float64, ldw int, idx *int32, val *float64, n int, s *float64, rows int) bool {
	panic("vec: no assembly")
}

func addRowsAVX(y, w *float64, ldw int, idx *int32, n, rows, width int) bool {
	panic("vec: no assembly")
}
