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
	tab, err := radius.NewTable(q, 2, n)
	if err != nil {
		panic(err)
	}
	fmt.Printf("class %d, log ε = %.2f, abstain %v\n", cert.Class, cert.LogEps, cert.Abstain())
	fmt.Printf("certified flips: %d (KL form %d)\n", tab.Radius(cert.LogEps), tab.RadiusKL(cert.LogEps))

	// A kernel that ignores the labels entirely cannot be swayed by them.
	zero := analytic.Certify(make([]float64, n), y, 2, q, 0)
	fmt.Println("zero kernel:", zero.Class, zero.LogEps == analytic.LogEpsImpossible, tab.Radius(zero.LogEps))
	// Output:
	// class 1, log ε = -42.61, abstain false
	// certified flips: 47 (KL form 24)
	// zero kernel: 0 true 1000
}

// Three classes: a kernel spread evenly over 900 training points, half of
// them labelled 0, a third 1 and a sixth 2. Under noise q = 0.2 (a label is
// kept w.p. 0.8, else moved to each other class w.p. 0.1) the expected
// scores are 0.1 + 0.7·(½, ⅓, ⅙); class 0 wins, and the bound on the
// probability that class 1 or 2 scores at least as much is about e^−16,
// near the Gaussian estimate −(μ₀−μ₁)²/(2 Var(s₀−s₁)) = −16.3.
func ExampleCertifier() {
	const n, classes, q = 900, 3, 0.2
	alpha, y := make([]float64, n), make([]int, n)
	for i := range alpha {
		alpha[i] = 1.0 / n
		switch {
		case i < n/2:
			y[i] = 0
		case i < n/2+n/3:
			y[i] = 1
		default:
			y[i] = 2
		}
	}
	mu := make([]float64, classes)
	analytic.ExpectedScores(mu, alpha, y, classes, q)
	var cz analytic.Certifier // one per goroutine; reused, it does not allocate
	cert := cz.Certify(alpha, y, classes, q, 0)
	fmt.Printf("expected scores %.4f\n", mu)
	fmt.Printf("class %d, log ε = %.2f, abstain %v\n", cert.Class, cert.LogEps, cert.Abstain())

	// If α may be off by up to 0.05 in total, the margin shrinks accordingly.
	loose := cz.Certify(alpha, y, classes, q, 0.05)
	fmt.Printf("with alphaErr = 0.05: log ε = %.2f\n", loose.LogEps)
	// Output:
	// expected scores [0.4500 0.3333 0.2167]
	// class 0, log ε = -15.88, abstain false
	// with alphaErr = 0.05: log ε = -5.25
}
