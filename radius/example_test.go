package radius_test

import (
	"fmt"
	"math"

	"flipcert/radius"
)

// A bound ε on the wrong class becomes a number of label flips. The table is
// built once per noise level q; the KL form needs no table but certifies
// about half as many flips.
func Example() {
	const n = 13007 // MNIST 1/7 training labels: no radius exceeds this
	tab, err := radius.NewTable(0.4, n)
	if err != nil {
		panic(err)
	}
	for _, eps := range []float64{0.6, 0.25, 1e-3, 1e-20} {
		logEps := math.Log(eps)
		fmt.Printf("ε = %-6g tight %4d  KL %4d\n", eps, tab.Radius(logEps), radius.KL(logEps, 0.4, n))
	}
	// Bounds far below float64's range stay usable as logs.
	fmt.Println("log ε = -5000:", tab.Radius(-5000))
	// Output:
	// ε = 0.6    tight   -1  KL   -1
	// ε = 0.25   tight    3  KL    1
	// ε = 0.001  tight   58  KL   34
	// ε = 1e-20  tight  528  KL  275
	// log ε = -5000: 13007
}
