package radius_test

import (
	"fmt"
	"math"

	"flipcert/radius"
)

// A bound ε on the wrong class becomes a number of label flips. The table is
// built once per noise level q and number of classes; the KL form certifies
// about half as many flips.
func Example() {
	const n = 13007 // MNIST 1/7 training labels: no radius exceeds this
	tab, err := radius.NewTable(0.4, 2, n)
	if err != nil {
		panic(err)
	}
	for _, eps := range []float64{0.6, 0.25, 1e-3, 1e-20} {
		logEps := math.Log(eps)
		fmt.Printf("ε = %-6g tight %4d  KL %4d\n", eps, tab.Radius(logEps), tab.RadiusKL(logEps))
	}
	// Bounds far below float64's range stay usable as logs.
	fmt.Println("log ε = -6000:", tab.Radius(-6000))
	// Output:
	// ε = 0.6    tight   -1  KL   -1
	// ε = 0.25   tight    3  KL    1
	// ε = 0.001  tight   58  KL   34
	// ε = 1e-20  tight  528  KL  275
	// log ε = -6000: 13007
}

// With ten classes the same q spreads the noise over nine rivals, so each
// changed label moves the noise law further and fewer changes are certified.
func ExampleTable_MaxLogEps() {
	tab, err := radius.NewTable(0.4, 10, 50000)
	if err != nil {
		panic(err)
	}
	for _, r := range []int{1, 16} {
		fmt.Printf("%2d changes: certified if log ε < %.2f\n", r, tab.MaxLogEps(r))
	}
	fmt.Println("radius at ε = 1e-12:", tab.Radius(math.Log(1e-12)))
	// Output:
	//  1 changes: certified if log ε < -3.30
	// 16 changes: certified if log ε < -25.70
	// radius at ε = 1e-12: 16
}
