// Package ridge fits ridge least squares on fixed, label-free features and
// exposes its kernel vectors.
//
// For training features Φ (n×d) and a penalty λ, β(y) = (ΦᵀΦ + λD)⁻¹Φᵀy and a
// test point x is scored s = φ(x)ᵀβ(y) = αᵀy with α = Φ(ΦᵀΦ + λD)⁻¹φ(x)
// (docs/science.md §2). D is the identity except for an unpenalised intercept column.
// The d×d matrix is factored once per λ (Cholesky) and never inverted.
package ridge

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// ErrSingular reports that ΦᵀΦ + λD is not positive definite, which happens
// when λ = 0 (or the only unpenalised column) meets collinear features.
var ErrSingular = errors.New("ridge: ΦᵀΦ + λD is singular (collinear features with too small a λ)")

// Design holds the training features and their Gram matrix ΦᵀΦ, shared by
// every λ of a sweep.
type Design struct {
	phi       *mat.Dense
	gram      *mat.SymDense
	intercept bool
}

// NewDesign prepares the features phi (one row per training point). If
// intercept is true the last column is the constant intercept and is not
// penalised. phi must not be modified afterwards.
func NewDesign(phi *mat.Dense, intercept bool) *Design {
	_, d := phi.Dims()
	gram := mat.NewSymDense(d, nil)
	gram.SymOuterK(1, phi.T())
	return &Design{phi: phi, gram: gram, intercept: intercept}
}

// Features returns Φ, the n×d training features.
func (d *Design) Features() *mat.Dense { return d.phi }

// Model is a ridge fit for one λ: the Cholesky factor of ΦᵀΦ + λD.
type Model struct {
	design *Design
	chol   mat.Cholesky
	Lambda float64
}

// Fit factors ΦᵀΦ + λD. lambda must be ≥ 0; ErrSingular is returned when the
// matrix is not positive definite.
func (d *Design) Fit(lambda float64) (*Model, error) {
	if lambda < 0 {
		return nil, fmt.Errorf("ridge: lambda = %g < 0", lambda)
	}
	_, dim := d.phi.Dims()
	a := mat.NewSymDense(dim, nil)
	a.CopySym(d.gram)
	penalised := dim
	if d.intercept {
		penalised--
	}
	for j := range penalised {
		a.SetSym(j, j, a.At(j, j)+lambda)
	}
	m := &Model{design: d, Lambda: lambda}
	if ok := m.chol.Factorize(a); !ok {
		return nil, ErrSingular
	}
	// A factor that exists but is numerically singular would give garbage α.
	if c := m.chol.Cond(); c > 1e14 {
		return nil, fmt.Errorf("%w: condition number %.3g", ErrSingular, c)
	}
	return m, nil
}

// Design returns the features the model was fitted on.
func (m *Model) Design() *Design { return m.design }

// Solve sets dst to (ΦᵀΦ + λD)⁻¹ b for a d×k right-hand side b.
func (m *Model) Solve(dst *mat.Dense, b mat.Matrix) error {
	return m.chol.SolveTo(dst, b)
}

// Kernel sets dst (b×n) so that row j is the kernel vector α of test row j of
// test (b×d): dst = test (ΦᵀΦ + λD)⁻¹ Φᵀ. Callers pass blocks of test points so
// the full m×n matrix never exists at once.
func (m *Model) Kernel(dst, test *mat.Dense) error {
	var x mat.Dense
	if err := m.chol.SolveTo(&x, test.T()); err != nil {
		return err
	}
	// A contiguous b×d copy of xᵀ makes the product a row-by-row dot
	// product; gonum's GEMM on two transposed operands is several times slower.
	dst.Mul(mat.DenseCopyOf(x.T()), m.design.phi.T())
	return nil
}

// Coefficients returns β(y) = (ΦᵀΦ + λD)⁻¹Φᵀy for labels (or any targets) y.
func (m *Model) Coefficients(y []float64) *mat.VecDense {
	var rhs, beta mat.VecDense
	rhs.MulVec(m.design.phi.T(), mat.NewVecDense(len(y), y))
	if err := m.chol.SolveVecTo(&beta, &rhs); err != nil {
		panic("ridge: " + err.Error()) // the factorisation already succeeded
	}
	return &beta
}
