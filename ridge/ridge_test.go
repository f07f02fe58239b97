package ridge

import (
	"errors"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
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
		model.Kernel(&alpha, test, nil)
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

// nearlyCollinear draws n points whose second feature is the first plus
// noise of size eps, with an intercept column.
func nearlyCollinear(rng *rand.Rand, n int, eps float64) *mat.Dense {
	phi := mat.NewDense(n, 3, nil)
	for i := range n {
		x := rng.NormFloat64()
		phi.SetRow(i, []float64{x, x + eps*rng.NormFloat64(), 1})
	}
	return phi
}

func TestFitRefusesIllConditioned(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	phi := nearlyCollinear(rng, 200, 1e-7)
	d := NewDesign(phi, true)
	for _, lambda := range []float64{0, 1e-12} {
		_, err := d.Fit(lambda)
		var ce *ConditionError
		if !errors.As(err, &ce) {
			t.Fatalf("λ = %g on nearly collinear features: err = %v, want a *ConditionError", lambda, err)
		}
		// The columns differ by 1e-7, so the scaled matrix has an eigenvalue
		// near 1e-14/2 and κ₁(H) of order 1e14.
		if ce.Lambda != lambda || !(ce.Cond > 1e12) || !(ce.RelErr > MaxRelErr) {
			t.Errorf("λ = %g: %+v, want λ carried, κ > 1e12 and η > %g", lambda, *ce, MaxRelErr)
		}
		if !errors.Is(err, ErrSingular) {
			t.Errorf("λ = %g: a ConditionError should match ErrSingular", lambda)
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "λ = ") {
			t.Errorf("λ = %g: message %q should be one line naming λ", lambda, msg)
		}
	}
	// A penalty of the size of the data makes the same design well conditioned.
	m, err := d.Fit(10)
	if err != nil {
		t.Fatalf("λ = 10: %v", err)
	}
	if cond, eta := m.Conditioning(); cond > 1e3 || eta > 1e-10 {
		t.Errorf("λ = 10: κ₁(H) = %g, η = %g: want a well-conditioned fit", cond, eta)
	}
}

// prec is the precision of the reference computations: far beyond float64,
// so the reference is exact for the purpose of these tests.
const prec = 400

func bigOf(x float64) *big.Float { return new(big.Float).SetPrec(prec).SetFloat64(x) }

// bigRidge holds A = ΦᵀΦ + λD formed exactly (to 400 bits) from the float64
// data, independently of package ridge.
type bigRidge struct {
	phi [][]*big.Float
	a   [][]*big.Float
}

func newBigRidge(phi *mat.Dense, lambda float64, intercept bool) *bigRidge {
	n, d := phi.Dims()
	r := &bigRidge{phi: make([][]*big.Float, n), a: make([][]*big.Float, d)}
	for i := range n {
		r.phi[i] = make([]*big.Float, d)
		for j := range d {
			r.phi[i][j] = bigOf(phi.At(i, j))
		}
	}
	for j := range d {
		r.a[j] = make([]*big.Float, d)
		for k := range d {
			sum := bigOf(0)
			for i := range n {
				sum.Add(sum, new(big.Float).SetPrec(prec).Mul(r.phi[i][j], r.phi[i][k]))
			}
			if j == k && !(intercept && j == d-1) {
				sum.Add(sum, bigOf(lambda))
			}
			r.a[j][k] = sum
		}
	}
	return r
}

// solve returns A⁻¹b by Gaussian elimination with partial pivoting.
func (r *bigRidge) solve(b []float64) []*big.Float {
	d := len(r.a)
	m := make([][]*big.Float, d)
	for j := range d {
		m[j] = make([]*big.Float, d+1)
		for k := range d {
			m[j][k] = new(big.Float).Copy(r.a[j][k])
		}
		m[j][d] = bigOf(b[j])
	}
	for c := range d {
		p := c
		for j := c + 1; j < d; j++ {
			if new(big.Float).Abs(m[j][c]).Cmp(new(big.Float).Abs(m[p][c])) > 0 {
				p = j
			}
		}
		m[c], m[p] = m[p], m[c]
		for j := c + 1; j < d; j++ {
			f := new(big.Float).SetPrec(prec).Quo(m[j][c], m[c][c])
			for k := c; k <= d; k++ {
				m[j][k].Sub(m[j][k], new(big.Float).SetPrec(prec).Mul(f, m[c][k]))
			}
		}
	}
	x := make([]*big.Float, d)
	for j := d - 1; j >= 0; j-- {
		sum := new(big.Float).Copy(m[j][d])
		for k := j + 1; k < d; k++ {
			sum.Sub(sum, new(big.Float).SetPrec(prec).Mul(m[j][k], x[k]))
		}
		x[j] = new(big.Float).SetPrec(prec).Quo(sum, m[j][j])
	}
	return x
}

// kernel returns the exact α = ΦA⁻¹φ.
func (r *bigRidge) kernel(phi []float64) []*big.Float {
	x := r.solve(phi)
	alpha := make([]*big.Float, len(r.phi))
	for i, row := range r.phi {
		sum := bigOf(0)
		for j, v := range row {
			sum.Add(sum, new(big.Float).SetPrec(prec).Mul(v, x[j]))
		}
		alpha[i] = sum
	}
	return alpha
}

// absDiff returns |float64 − exact| as a float64, rounded up a little so that
// the comparison with a bound is not decided by the final rounding.
func absDiff(got float64, want *big.Float) float64 {
	diff, _ := new(big.Float).SetPrec(prec).Sub(bigOf(got), want).Float64()
	return math.Abs(diff) * (1 + 1e-15)
}

// errorCases are designs from easy to as badly conditioned as Fit accepts,
// with columns on very different scales.
func errorCases(rng *rand.Rand) []struct {
	name      string
	phi, test *mat.Dense
	lambda    float64
	intercept bool
} {
	scaled := randomDesign(rng, 150, 5, true)
	testScaled := randomDesign(rng, 6, 5, true)
	for _, m := range []*mat.Dense{scaled, testScaled} {
		r, _ := m.Dims()
		for i := range r {
			m.Set(i, 0, 1e6*m.At(i, 0))
			m.Set(i, 1, 1e-5*m.At(i, 1))
		}
	}
	return []struct {
		name      string
		phi, test *mat.Dense
		lambda    float64
		intercept bool
	}{
		{"well conditioned", randomDesign(rng, 120, 4, true), randomDesign(rng, 6, 4, true), 1, true},
		{"λ = 0", randomDesign(rng, 120, 4, false), randomDesign(rng, 6, 4, false), 0, false},
		{"columns on scales 1e-5 to 1e6", scaled, testScaled, 0, true},
		{"nearly collinear, λ = 0", nearlyCollinear(rng, 150, 1e-3), nearlyCollinear(rng, 6, 1), 0, true},
		{"nearly collinear, tiny λ", nearlyCollinear(rng, 150, 5e-4), nearlyCollinear(rng, 6, 1), 1e-9, true},
		// Above measureRows the Gram matrix's rounding is measured.
		{"measured Gram", randomDesign(rng, 600, 5, true), randomDesign(rng, 6, 5, true), 0.5, true},
		{"measured Gram, nearly collinear", nearlyCollinear(rng, 600, 3e-4), nearlyCollinear(rng, 6, 1), 0, true},
	}
}

func TestKernelErrorBoundHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, tc := range errorCases(rng) {
		model, err := NewDesign(tc.phi, tc.intercept).Fit(tc.lambda)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, eta := model.Conditioning()
		m, d := tc.test.Dims()
		var alpha mat.Dense
		errs := make([]float64, m)
		model.Kernel(&alpha, tc.test, errs)
		ref := newBigRidge(tc.phi, tc.lambda, tc.intercept)
		scale := model.Scales()
		worst := 0.0
		for j := range m {
			var l1 float64
			for i, want := range ref.kernel(tc.test.RawRowView(j)) {
				l1 += absDiff(alpha.At(j, i), want)
			}
			if !(l1 <= errs[j]) {
				t.Errorf("%s point %d: Σ|α̂ − α| = %.3g exceeds the bound E = %.3g", tc.name, j, l1, errs[j])
			}
			worst = max(worst, l1/errs[j])

			// η bounds the relative error of the solve in the scaled 1-norm.
			var x mat.Dense
			model.Solve(&x, tc.test.Slice(j, j+1, 0, d).T())
			var num, den float64
			for k, want := range ref.solve(tc.test.RawRowView(j)) {
				num += scale[k] * absDiff(x.At(k, 0), want)
				den += scale[k] * math.Abs(x.At(k, 0))
			}
			if !(num <= eta*den) {
				t.Errorf("%s point %d: scaled relative error of the solve %.3g exceeds η = %.3g", tc.name, j, num/den, eta)
			}
		}
		t.Logf("%s: η = %.3g, largest error / bound %.3g", tc.name, eta, worst)
	}
}

func TestScoreErrorBoundHolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, tc := range errorCases(rng) {
		model, err := NewDesign(tc.phi, tc.intercept).Fit(tc.lambda)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		n, _ := tc.phi.Dims()
		y := make([]float64, n)
		for i := range y {
			y[i] = float64(rng.IntN(2))
		}
		beta := model.Coefficients(y)
		bound := model.ScoreError(beta)
		ref := newBigRidge(tc.phi, tc.lambda, tc.intercept)
		scale := model.Scales()
		m, _ := tc.test.Dims()
		for j := range m {
			phi := tc.test.RawRowView(j)
			// Exact score: αᵀy with the exact kernel.
			want := bigOf(0)
			for i, a := range ref.kernel(phi) {
				if y[i] == 1 {
					want.Add(want, a)
				}
			}
			var t1 float64
			for k, v := range phi {
				t1 += math.Abs(v) / scale[k]
			}
			if got := mat.Dot(mat.NewVecDense(len(phi), phi), beta); !(absDiff(got, want) <= bound*t1) {
				t.Errorf("%s point %d: |φᵀβ̂ − φᵀβ| = %.3g exceeds the bound %.3g", tc.name, j, absDiff(got, want), bound*t1)
			}
		}
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
	for _, tc := range []struct {
		name string
		errs []float64
	}{{"kernel", nil}, {"kernel and bounds", make([]float64, 256)}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				model.Kernel(alpha, test, tc.errs)
			}
		})
	}
}
