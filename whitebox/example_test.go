package whitebox_test

import (
	"fmt"

	"flipcert/analytic"
	"flipcert/radius"
	"flipcert/whitebox"
)

// A test point whose ridge kernel spreads evenly over 1,000 training points,
// 70% of them labelled 1, smoothed at q = 0.2 (the example of package
// analytic). The Neyman-Pearson radius lets an attacker reshape the noise
// as freely as the likelihood ratio of r changed labels allows; the
// white-box radius knows that a flipped label only changes its own term of
// the score, and certifies several times more. No radius can pass 200
// flips: there the expected score μ = 0.62 − 0.6·r/1000 reaches ½.
func Example() {
	const n, q = 1000, 0.2
	alpha, y := make([]float64, n), make([]int, n)
	for i := range alpha {
		alpha[i] = 1.0 / n
		if i < 700 {
			y[i] = 1
		}
	}
	cert := analytic.Certify(alpha, y, 2, q, 0)
	tab, err := radius.NewTable(q, 2, n)
	if err != nil {
		panic(err)
	}
	var cz whitebox.Certifier
	r := cz.Radius(alpha, y, 2, q, 0, cert.Class)
	fmt.Printf("class %d: Neyman-Pearson radius %d, white-box radius %d\n", cert.Class, tab.Radius(cert.LogEps), r)
	fmt.Printf("log bound at %d flips: %.3f, at %d: %.3f (log ½ = -0.693)\n",
		r, cz.LogBounds(nil, alpha, y, 2, q, 0, cert.Class, r), r+1, cz.LogBounds(nil, alpha, y, 2, q, 0, cert.Class, r+1))
	// Output:
	// class 1: Neyman-Pearson radius 47, white-box radius 175
	// log bound at 175 flips: -0.702, at 176: -0.647 (log ½ = -0.693)
}
