package ridge_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"flipcert/ridge"
)

// Three training points on a line, x = −1, 0, 1, with the intercept column,
// and λ = 0: ordinary least squares. The kernel vector of a test point x is
// αᵢ = 1/3 + x·xᵢ/Σxⱼ² (the hat matrix's row), so at x = 2 it is
// (−2/3, 1/3, 4/3): it sums to 1 (the unpenalised intercept), and the
// prediction for any labels y is αᵀy without refitting.
func ExampleModel_Kernel() {
	phi := mat.NewDense(3, 2, []float64{-1, 1, 0, 1, 1, 1}) // feature, intercept
	model, err := ridge.NewDesign(phi, true).Fit(0)
	if err != nil {
		panic(err)
	}
	test := mat.NewDense(1, 2, []float64{2, 1})
	alpha := mat.NewDense(1, 3, nil)
	errs := make([]float64, 1)
	model.Kernel(alpha, test, errs)
	a := alpha.RawRowView(0)
	fmt.Printf("α = (%.4f, %.4f, %.4f), Σα = %.4f\n", a[0], a[1], a[2], a[0]+a[1]+a[2])
	y := []float64{0, 0, 1}
	fmt.Printf("prediction for labels %v: %.4f\n", y, a[0]*y[0]+a[1]*y[1]+a[2]*y[2])
	fmt.Println("error bound below 1e-12:", errs[0] < 1e-12)
	// Output:
	// α = (-0.6667, 0.3333, 1.3333), Σα = 1.0000
	// prediction for labels [0 0 1]: 1.3333
	// error bound below 1e-12: true
}
