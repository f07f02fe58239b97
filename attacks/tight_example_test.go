package attacks_test

import (
	"fmt"

	"flipcert/attacks"
	"flipcert/exact"
)

// A test point whose ridge kernel weighs five training points equally: four
// of them labelled 1 give the score s = 0.8, class 1. Each relabelled 1
// lowers s by 0.2, so one change leaves s = 0.6 and two give 0.4 < ½: the
// exact certificate's radius is 1 and the attack needs 2, relabelling the
// points in the greedy order (equal weights: lower index first).
func ExampleAttacker_RidgeExact() {
	alpha := []float64{0.2, 0.2, 0.2, 0.2, 0.2}
	y := []int{1, 1, 1, 1, 0}
	_, radius := exact.Certify(alpha, y, 2, 0)
	var a attacks.Attacker
	out := a.RidgeExact(attacks.RidgePoint{Alpha: alpha, Y: y, Classes: 2})
	fmt.Println("radius", radius)
	fmt.Printf("attack: %d flips, class %d → %d, proven %v, %v\n", out.Flips, out.From, out.To, out.Proven, out.Relabels)
	fmt.Println("order:", attacks.Order(alpha, y, 2, 1, 0))
	// Output:
	// radius 1
	// attack: 2 flips, class 1 → 0, proven true, [{0 0} {1 0}]
	// order: [{0 0} {1 0} {2 0} {3 0}]
}
