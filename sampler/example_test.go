package sampler_test

import (
	"fmt"
	"math"

	"flipcert/ridge"
	"flipcert/sampler"

	"gonum.org/v1/gonum/mat"
)

// The bound after all of n samples agree is alpha^{1/n}: with a million
// samples at alpha = 5e-7 it is 0.9999855 (gonum's Beta quantile says 0.875),
// and log(1−p̲) keeps its digits where 1−p̲ itself is below float64 epsilon.
func ExampleLowerBound() {
	p, logEps := sampler.LowerBound(1e6, 1e6, 5e-7)
	fmt.Printf("k = n = 1e6: p̲ = %.7f, log ε = %.4f\n", p, logEps)
	p, logEps = sampler.LowerBound(990, 1000, 0.001)
	fmt.Printf("k = 990 of 1000: p̲ = %.4f, log ε = %.4f\n", p, logEps)
	// Here 1 − p̲ computed from the float64 p̲ is off in the third digit.
	_, logEps = sampler.LowerBound(1e15, 1e15, 1e-10)
	fmt.Printf("k = n = 1e15: ε = %.6g\n", math.Exp(logEps))
	// Output:
	// k = n = 1e6: p̲ = 0.9999855, log ε = -11.1408
	// k = 990 of 1000: p̲ = 0.9760, log ε = -3.7312
	// k = n = 1e15: ε = 2.30259e-14
}

// Certify a one-feature ridge classifier: 20 points at x = −1 labelled 0 and
// 20 at x = +1 labelled 1. Near the clusters every noisy label vector agrees
// (certified); at x = 0 the vote is close to a coin toss and 100 samples
// cannot certify either class (abstain).
func ExampleCertify() {
	phi := mat.NewDense(40, 2, nil)
	y := make([]int, 40)
	for i := range 40 {
		x := -1.0
		if i >= 20 {
			x, y[i] = 1, 1
		}
		phi.SetRow(i, []float64{x, 1}) // feature, intercept
	}
	model, err := ridge.NewDesign(phi, true).Fit(1)
	if err != nil {
		panic(err)
	}
	test := mat.NewDense(3, 2, []float64{-1, 1, 0, 1, 1, 1})
	const alpha = 0.001
	cfg := sampler.Config{N0: 20, N: []int{100}, Q: 0.1, Seed: 1, Purpose: "example"}
	res, err := sampler.Certify(model, y, test, cfg, nil)
	if err != nil {
		panic(err)
	}
	for i, r := range res {
		count, logEps, abstain := r.Certificate(0, alpha)
		if abstain {
			fmt.Printf("x = %+.0f: abstain\n", test.At(i, 0))
			continue
		}
		fmt.Printf("x = %+.0f: class %d, %d/%d votes, ε ≤ %.4f\n", test.At(i, 0), r.Class, count, cfg.N[0], math.Exp(logEps))
	}
	// Output:
	// x = -1: class 0, 100/100 votes, ε ≤ 0.0667
	// x = +0: abstain
	// x = +1: class 1, 100/100 votes, ε ≤ 0.0667
}

// With 3 wrong predictions in 10⁴ samples, the wrong-class probability lies in
// [3.4e-5, 1.1e-3] with 99% confidence; no wrong prediction at all still
// allows up to 1−0.005^{1/10⁴} = 5.3e-4.
func ExampleInterval() {
	lo, hi := sampler.Interval(3, 1e4, 0.01)
	fmt.Printf("3 of 1e4: [%.4g, %.4g]\n", lo, hi)
	lo, hi = sampler.Interval(0, 1e4, 0.01)
	fmt.Printf("0 of 1e4: [%.4g, %.4g]\n", lo, hi)
	// Output:
	// 3 of 1e4: [3.379e-05, 0.001097]
	// 0 of 1e4: [0, 0.0005297]
}

// To certify ε = 10⁻¹⁰⁰ at alpha = 0.001, even unanimous votes need
// N* = ⌈ln alpha / ln(1−ε)⌉ ≈ 6.9·10¹⁰⁰ samples; ε = 0.01 needs 688.
func ExampleLog10SamplesNeeded() {
	fmt.Printf("ε = 1e-100: log10 N* = %.4f\n", sampler.Log10SamplesNeeded(-100*math.Ln10, 0.001))
	fmt.Printf("ε = 0.01: N* = %.0f\n", math.Pow(10, sampler.Log10SamplesNeeded(math.Log(0.01), 0.001)))
	// Output:
	// ε = 1e-100: log10 N* = 100.8393
	// ε = 0.01: N* = 688
}
