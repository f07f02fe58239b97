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

// Three classes: the scores are (0.75, 0.125, 0.125), class 0. Relabelling
// a 0.25-point of class 0 to a rival lowers that margin by 0.5, so either
// rival needs two changes; the lower one, class 1, is attacked. The attack
// reuses the passes over α of the certificate just computed at the point.
func ExampleAttacker_RidgeExactAfter() {
	p := attacks.RidgePoint{
		Alpha:   []float64{0.25, 0.25, 0.25, 0.125, 0.125},
		Y:       []int{0, 0, 0, 1, 2},
		Classes: 3,
	}
	var c exact.Certifier
	var a attacks.Attacker
	class, radius := c.Certify(p.Alpha, p.Y, p.Classes, p.AlphaErr)
	out := a.RidgeExactAfter(p, &c)
	fmt.Println("class", class, "radius", radius)
	fmt.Printf("attack: %d flips, class %d → %d, proven %v, %v\n", out.Flips, out.From, out.To, out.Proven, out.Relabels)
	// Output:
	// class 0 radius 1
	// attack: 2 flips, class 0 → 1, proven true, [{0 1} {1 1}]
}
