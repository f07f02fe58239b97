package baseline_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"flipcert/baseline"
)

// The pointwise attack on a test point at 0 that the network calls class 1
// flips the nearest training points labelled 1, nearest first; points labelled
// 0 are never chosen, however close.
func ExamplePointwise() {
	feat := mat.NewDense(5, 1, []float64{0.1, 3, -0.5, 0.2, 1})
	y := []int{0, 1, 1, 1, 1}
	fmt.Println(baseline.Pointwise(feat, y, []float64{0}, 1, 2))
	// Output: [3 2]
}
