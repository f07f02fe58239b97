// Package kerneltest draws kernel vectors for the tests and benchmarks of
// the certificates and attacks that read them.
package kerneltest

import (
	"math"
	"math/rand/v2"
)

// RidgeLike draws a kernel vector α for n training points in the given
// number of classes, shaped like those of ridge on MNIST, with their labels:
// a bulk of small weights of both signs around 1/n, a heavier positive tail
// on the points of one class, and a few influential points, so that the
// exact radii run to hundreds.
func RidgeLike(rng *rand.Rand, n, classes int) (alpha []float64, y []int) {
	alpha, y = make([]float64, n), make([]int, n)
	favoured := rng.IntN(classes)
	for i := range n {
		y[i] = rng.IntN(classes)
		a := (0.3 + 2*rng.NormFloat64()) / float64(n)
		if y[i] == favoured {
			a += math.Abs(rng.NormFloat64()) * 6 / float64(n)
		}
		if rng.IntN(50) == 0 {
			a *= 8
		}
		alpha[i] = a
	}
	return alpha, y
}
