package whitebox_test

import (
	"math"
)

// smoothed is the smoothed ridge classifier of a tiny problem computed
// exactly: for every labelling z of the n training points, P_z(h ≠ class),
// the probability that the exact base classifier h (K = 2: class 1 iff
// Σαᵢy′ᵢ ≥ ½; else the argmax of the one-hot scores, ties to the lowest
// index) does not return class when y′ is z with noise q.
type smoothed struct {
	n, classes int
	wrong      []float64 // by labelling z coded in base K, coordinate 0 lowest
}

// newSmoothed enumerates every noisy labelling y′ once, then applies the
// noise kernel M[z][y′] (1−q on the diagonal, q/(K−1) elsewhere) along each
// coordinate in turn, which turns the indicator of h(y′) ≠ class into
// P_z(h ≠ class) for every z at once in n·Kⁿ⁺¹ operations.
func newSmoothed(alpha []float64, classes int, q float64, class int) smoothed {
	n := len(alpha)
	total := 1
	for range n {
		total *= classes
	}
	s := smoothed{n: n, classes: classes, wrong: make([]float64, total)}
	z := make([]int, n)
	scores := make([]float64, classes)
	for code := range total {
		decode(z, code, classes)
		if baseClass(alpha, z, classes, scores) != class {
			s.wrong[code] = 1
		}
	}
	p := q / float64(classes-1)
	buf := make([]float64, classes)
	stride := 1
	for range n {
		for code := range total {
			if (code/stride)%classes != 0 {
				continue
			}
			for to := range classes {
				var v float64
				for from := range classes {
					w := p
					if from == to {
						w = 1 - q
					}
					v += w * s.wrong[code+from*stride]
				}
				buf[to] = v
			}
			for to := range classes {
				s.wrong[code+to*stride] = buf[to]
			}
		}
		stride *= classes
	}
	return s
}

func decode(z []int, code, classes int) {
	for i := range z {
		z[i] = code % classes
		code /= classes
	}
}

// baseClass is the exact ridge classifier on labels z.
func baseClass(alpha []float64, z []int, classes int, scores []float64) int {
	clear(scores)
	for i, a := range alpha {
		scores[z[i]] += a
	}
	if classes == 2 {
		if scores[1] >= 0.5 {
			return 1
		}
		return 0
	}
	c := 0
	for k, v := range scores {
		if v > scores[c] {
			c = k
		}
	}
	return c
}

// worst returns, for r = 0..n, the largest P_z(h ≠ class) over the
// labellings z that differ from y in at most r places.
func (s smoothed) worst(y []int) []float64 {
	out := make([]float64, s.n+1)
	z := make([]int, s.n)
	for code, w := range s.wrong {
		decode(z, code, s.classes)
		d := 0
		for i := range z {
			if z[i] != y[i] {
				d++
			}
		}
		out[d] = max(out[d], w)
	}
	for r := 1; r <= s.n; r++ {
		out[r] = max(out[r], out[r-1])
	}
	return out
}

// trueRadius returns the largest r with worst[r] < ½, −1 if none.
func trueRadius(worst []float64) int {
	r := -1
	for r+1 < len(worst) && worst[r+1] < 0.5 {
		r++
	}
	return r
}

// logOf is math.Log with log 0 = −Inf.
func logOf(p float64) float64 {
	if p <= 0 {
		return math.Inf(-1)
	}
	return math.Log(p)
}
