package ridge

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func randomDesign(rng *rand.Rand, n, d int, intercept bool) *mat.Dense {
	phi := mat.NewDense(n, d, nil)
	for i := range n {
		for j := range d {
			phi.Set(i, j, rng.NormFloat64())
		}
		if intercept {
			phi.Set(i, d-1, 1)
		}
	}
	return phi
}

// directBeta solves the normal equations through an explicit inverse: a
// different route from the Cholesky solve under test.
func directBeta(t *testing.T, phi *mat.Dense, y []float64, lambda float64, intercept bool) *mat.VecDense {
	t.Helper()
	_, d := phi.Dims()
	var a mat.Dense
	a.Mul(phi.T(), phi)
	for j := range d {
		if intercept && j == d-1 {
			continue
		}
		a.Set(j, j, a.At(j, j)+lambda)
	}
	var inv mat.Dense
	if err := inv.Inverse(&a); err != nil {
		t.Fatal(err)
	}
	var rhs, beta mat.VecDense
	rhs.MulVec(phi.T(), mat.NewVecDense(len(y), y))
	beta.MulVec(&inv, &rhs)
	return &beta
}

func TestKernelMatchesDirectSolve(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		n, d, m   int
		lambda    float64
		intercept bool
	}{
		{40, 5, 7, 0.5, true},
		{40, 5, 7, 0, true},
		{30, 8, 3, 10, false},
		{12, 20, 4, 3, true}, // more features than points: only λ makes it solvable
	} {
		phi := randomDesign(rng, tc.n, tc.d, tc.intercept)
		test := randomDesign(rng, tc.m, tc.d, tc.intercept)
		y := make([]float64, tc.n)
		for i := range y {
			y[i] = float64(rng.IntN(2))
		}
		model, err := NewDesign(phi, tc.intercept).Fit(tc.lambda)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		var alpha mat.Dense
		if err := model.Kernel(&alpha, test); err != nil {
			t.Fatal(err)
		}
		beta := directBeta(t, phi, y, tc.lambda, tc.intercept)
		for j := range tc.m {
			want := mat.Dot(test.RowView(j), beta)
			got := mat.Dot(alpha.RowView(j), mat.NewVecDense(tc.n, y))
			if math.Abs(got-want) > 1e-9*(1+math.Abs(want)) {
				t.Errorf("%+v point %d: αᵀy = %v, φᵀβ = %v", tc, j, got, want)
			}
			if tc.intercept {
				// An unpenalised intercept makes the kernel sum to one (docs/science.md §2).
				if s := mat.Sum(alpha.RowView(j)); math.Abs(s-1) > 1e-9 {
					t.Errorf("%+v point %d: Σα = %v, want 1", tc, j, s)
				}
			}
		}
		if got, want := model.Coefficients(y), beta; !mat.EqualApprox(got, want, 1e-9) {
			t.Errorf("%+v: β = %v, want %v", tc, mat.Formatted(got.T()), mat.Formatted(want.T()))
		}
	}
}

func TestFitRejects(t *testing.T) {
	phi := mat.NewDense(4, 2, []float64{1, 2, 2, 4, 3, 6, 4, 8}) // second column = 2 × first
	d := NewDesign(phi, false)
	if _, err := d.Fit(0); !errors.Is(err, ErrSingular) {
		t.Errorf("λ = 0 on collinear features: err = %v, want ErrSingular", err)
	}
	if _, err := d.Fit(-1); err == nil {
		t.Error("λ < 0 accepted")
	}
	if _, err := d.Fit(1); err != nil {
		t.Errorf("λ = 1 should regularise collinear features: %v", err)
	}
}

func BenchmarkKernelMNISTSized(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	phi := randomDesign(rng, 13007, 51, true)
	test := randomDesign(rng, 256, 51, true)
	model, err := NewDesign(phi, true).Fit(3e4)
	if err != nil {
		b.Fatal(err)
	}
	alpha := mat.NewDense(256, 13007, nil)
	b.ReportAllocs()
	for b.Loop() {
		if err := model.Kernel(alpha, test); err != nil {
			b.Fatal(err)
		}
	}
}
