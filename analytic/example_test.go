package analytic_test

import (
	"fmt"

	"flipcert/analytic"
	"flipcert/radius"
)

// A test point whose ridge kernel spreads evenly over 1,000 training points,
// 70% of them labelled 1. Under noise q = 0.2 the smoothed score has mean
// μ = 0.7·0.8 + 0.3·0.2 = 0.62, so class 1 is predicted; the Chernoff bound
// on P(S ≤ ½) is far below float64's range, hence the log. Package radius
// turns it into certified label flips.
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
	tab, err := radius.NewTable(q, n)
	if err != nil {
		panic(err)
	}
	fmt.Printf("class %d, log ε = %.2f, abstain %v\n", cert.Class, cert.LogEps, cert.Abstain())
	fmt.Printf("certified flips: %d (KL form %d)\n", tab.Radius(cert.LogEps), radius.KL(cert.LogEps, q, n))

	// A kernel that ignores the labels entirely cannot be swayed by them.
	zero := analytic.Certify(make([]float64, n), y, 2, q, 0)
	fmt.Println("zero kernel:", zero.Class, zero.LogEps == analytic.LogEpsImpossible, tab.Radius(zero.LogEps))
	// Output:
	// class 1, log ε = -42.61, abstain false
	// certified flips: 47 (KL form 24)
	// zero kernel: 0 true 1000
}
