// Package ridge fits ridge least squares on fixed, label-free features and
// exposes its kernel vectors, each with a bound on its rounding error.
//
// For training features Φ (n×d) and a penalty λ, β(y) = (ΦᵀΦ + λD)⁻¹Φᵀy and a
// test point x is scored s = φ(x)ᵀβ(y) = αᵀy with α = Φ(ΦᵀΦ + λD)⁻¹φ(x)
// (docs/science.md §2). D is the identity except for an unpenalised intercept column.
// The d×d matrix is factored once per λ (Cholesky) and never used to solve
// through an explicit inverse.
//
// # Rounding
//
// Write A = ΦᵀΦ + λD (exact), Â for the matrix actually factored, u = 2⁻⁵³ and
// γ_k = ku/(1−ku). Every rounding error met on the way from Φ to α is bounded
// componentwise by a multiple of s sᵀ, where s_j = √Â_jj are the column
// scales (docs/science.md §10 "Ridge conditioning"):
//
//   - the Gram matrix Ĝ = fl(ΦᵀΦ): |Ĝ − ΦᵀΦ| ≤ γ_n|Φ|ᵀ|Φ|, and
//     (|Φ|ᵀ|Φ|)_ij ≤ ‖Φ_:i‖‖Φ_:j‖ ≤ s_i s_j / (1−γ_n). This worst case grows
//     with n, so for n > measureRows NewDesign measures the error instead: it
//     forms a second Gram matrix G̃ in blocks of b = ⌈√n⌉ rows summed one after
//     another, whose error is at most γ_m|Φ|ᵀ|Φ| with m = b + ⌈n/b⌉ ≈ 2√n,
//     and |Ĝ − ΦᵀΦ| ≤ (1+u)|Ĝ − G̃| + γ_m|Φ|ᵀ|Φ|;
//   - adding λ: one rounding of each diagonal entry, ≤ u s_j²/(1−u);
//   - the Cholesky solve (Higham, Accuracy and Stability of Numerical
//     Algorithms, Thm 10.4): the computed x̂ solves (Â + ΔA)x̂ = φ with
//     |ΔA| ≤ γ_{3d+1}|R̂ᵀ||R̂|, and (|R̂ᵀ||R̂|)_ij ≤ ‖R̂_:i‖‖R̂_:j‖ ≤
//     s_i s_j/(1−γ_{d+1}).
//
// Together the computed x̂ solves (A + F)x̂ = φ exactly with |F| ≤ ν s sᵀ,
//
//	ν = max_ij (1+u)|Ĝ − G̃|_ij/(s_i s_j) + γ_m/(1−γ_n) + γ_{3d+1}/(1−γ_{d+1}) + u/(1−u),
//
// about (2√n + 3d)u in practice rather than the worst case (n + 3d)u (for
// n ≤ measureRows, the first two terms are γ_n/(1−γ_n)).
//
// With S = diag(s), the column-scaled matrix H = S⁻¹AS⁻¹ has unit diagonal
// and its conditioning is what limits the accuracy (scaling the columns of Φ
// changes none of the roundings above). Since x̂ − x = −A⁻¹Fx̂ exactly,
//
//	‖S(x̂ − x)‖₁ ≤ ‖H⁻¹‖₁‖S⁻¹Fx̂‖₁ ≤ η ‖Sx̂‖₁,  η = ν·d·‖H⁻¹‖₁,
//
// so η bounds the relative error of every solve in the column-scaled
// 1-norm: it is the condition number times the backward error. Fit refuses
// λ when η > MaxRelErr.
//
// The bounds use H⁻¹ computed from Â rather than A; the difference is of
// relative order η, which Fit keeps below 10⁻⁶, and every bound is doubled to
// cover it and the rounding of the bounds' own arithmetic.
package ridge

import (
	"errors"
	"fmt"
	"math"

	"flipcert/internal/roundoff"

	"gonum.org/v1/gonum/mat"
)

// ErrSingular reports that ΦᵀΦ + λD is not positive definite, which happens
// when λ = 0 (or the only unpenalised column) meets collinear features.
var ErrSingular = errors.New("ridge: ΦᵀΦ + λD is singular (collinear features with too small a λ)")

// MaxRelErr is the largest bound η on the relative error of the solves that
// Fit accepts (see the package comment). At η ≤ 10⁻⁶ every solve carries
// about six correct significant digits in the scaled norm, the terms that the
// bounds of Kernel and ScoreError neglect (of relative order η) are
// negligible beside their factor 2, and the margins the certificates take
// for those bounds stay far below the distances at which scores decide
// anything; a larger η means a classifier no longer faithful to the ridge
// model the certificates describe, and a larger λ should be used
// (docs/science.md §10 "Ridge conditioning").
const MaxRelErr = 1e-6

// ConditionError reports a penalty λ for which ΦᵀΦ + λD can be factored but
// is too ill-conditioned for its kernel vectors to be trusted: the bound RelErr
// on the relative error of the solves exceeds MaxRelErr. errors.Is(err,
// ErrSingular) holds for it.
type ConditionError struct {
	Lambda float64 // the penalty
	Cond   float64 // κ₁(H) = ‖H‖₁‖H⁻¹‖₁ of the column-scaled matrix H = S⁻¹(ΦᵀΦ + λD)S⁻¹
	RelErr float64 // η = ν·d·‖H⁻¹‖₁, the bound on the relative error of the solves
}

func (e *ConditionError) Error() string {
	return fmt.Sprintf("ridge: ΦᵀΦ + λD is too ill-conditioned at λ = %g: condition number %.3g (columns scaled), kernel relative error up to %.3g > %g",
		e.Lambda, e.Cond, e.RelErr, MaxRelErr)
}

// Unwrap makes a ConditionError an ErrSingular: singular to working accuracy.
func (e *ConditionError) Unwrap() error { return ErrSingular }

// Design holds the training features and their Gram matrix ΦᵀΦ, shared by
// every λ of a sweep.
type Design struct {
	phi       *mat.Dense
	gram      *mat.SymDense
	gramDiff  *mat.SymDense // |Ĝ − G̃|, the measured rounding of the Gram matrix; nil if not measured
	gramGamma float64       // γ_m, the worst-case rounding of G̃ (or of Ĝ if not measured)
	absSum    []float64     // absSum[j] = Σᵢ|Φᵢⱼ|
	intercept bool
}

// measureRows is the number of training points above which NewDesign
// measures the rounding of the Gram matrix rather than bounding it by γ_n:
// below it the worst case costs at most a factor of about 10 in the bounds.
const measureRows = 256

// NewDesign prepares the features phi (one row per training point). If
// intercept is true the last column is the constant intercept and is not
// penalised. phi must not be modified afterwards. For more than measureRows
// points it forms the Gram matrix a second time, in blocks, to measure the
// rounding of the first (package comment): twice the O(nd²) work.
func NewDesign(phi *mat.Dense, intercept bool) *Design {
	n, d := phi.Dims()
	gram := mat.NewSymDense(d, nil)
	gram.SymOuterK(1, phi.T())
	absSum := make([]float64, d)
	for i := range n {
		for j, v := range phi.RawRowView(i) {
			absSum[j] += math.Abs(v)
		}
	}
	if n <= measureRows {
		return &Design{phi: phi, gram: gram, gramGamma: roundoff.Gamma(n), absSum: absSum, intercept: intercept}
	}
	// G̃: block Gram matrices of b rows (each entry a sum of b products),
	// added one after another (⌈n/b⌉ − 1 more roundings per entry).
	b := int(math.Ceil(math.Sqrt(float64(n))))
	ref := mat.NewSymDense(d, nil)
	block := mat.NewSymDense(d, nil)
	for lo := 0; lo < n; lo += b {
		block.SymOuterK(1, phi.Slice(lo, min(lo+b, n), 0, d).T())
		ref.AddSym(ref, block)
	}
	diff := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			diff.SetSym(i, j, math.Abs(gram.At(i, j)-ref.At(i, j)))
		}
	}
	return &Design{phi: phi, gram: gram, gramDiff: diff, gramGamma: roundoff.Gamma(b + (n+b-1)/b),
		absSum: absSum, intercept: intercept}
}

// Features returns Φ, the n×d training features.
func (d *Design) Features() *mat.Dense { return d.phi }

// Model is a ridge fit for one λ: the Cholesky factor of ΦᵀΦ + λD and the
// constants of its error bounds.
type Model struct {
	design *Design
	chol   mat.Cholesky
	Lambda float64

	scale  []float64 // s_j = √Â_jj
	nu     float64   // ν, the componentwise backward error in units of s sᵀ
	hinv1  float64   // ‖H⁻¹‖₁
	omega  float64   // Σ_ij |H⁻¹_ij|
	cond   float64   // κ₁(H)
	relErr float64   // η = ν·d·‖H⁻¹‖₁
}

// Fit factors ΦᵀΦ + λD and measures its conditioning. lambda must be ≥ 0.
// ErrSingular is returned when the matrix is not positive definite, and a
// *ConditionError when it is but the bound η on the relative error of its
// solves exceeds MaxRelErr (package comment). Besides the factorisation Fit
// forms the inverse of the scaled matrix once (O(d³)) to measure ‖H⁻¹‖₁.
func (d *Design) Fit(lambda float64) (*Model, error) {
	if !(lambda >= 0) {
		return nil, fmt.Errorf("ridge: lambda = %g, want λ ≥ 0", lambda)
	}
	n, dim := d.phi.Dims()
	a := mat.NewSymDense(dim, nil)
	a.CopySym(d.gram)
	penalised := dim
	if d.intercept {
		penalised--
	}
	for j := range penalised {
		a.SetSym(j, j, a.At(j, j)+lambda)
	}
	m := &Model{design: d, Lambda: lambda, scale: make([]float64, dim)}
	if ok := m.chol.Factorize(a); !ok {
		return nil, ErrSingular
	}
	raw := a.RawSymmetric() // upper triangle, row-major
	for j := range dim {
		m.scale[j] = math.Sqrt(raw.Data[j*raw.Stride+j])
	}
	var measured float64
	if d.gramDiff != nil {
		diff := d.gramDiff.RawSymmetric()
		for i := range dim {
			for j := i; j < dim; j++ {
				if e := diff.Data[i*diff.Stride+j]; e > 0 {
					measured = max(measured, e/(m.scale[i]*m.scale[j]))
				}
			}
		}
	}
	m.nu = (1+roundoff.Unit)*measured + d.gramGamma/(1-roundoff.Gamma(n)) + roundoff.Gamma(3*dim+1)/(1-roundoff.Gamma(dim+1)) + roundoff.Unit/(1-roundoff.Unit)
	var inv mat.SymDense
	// InverseTo reports a Condition error above gonum's tolerance; the inverse
	// is still formed, and η below decides.
	_ = m.chol.InverseTo(&inv)
	rawInv := inv.RawSymmetric()
	colH, colHinv := make([]float64, dim), make([]float64, dim)
	for i := range dim {
		for j := i; j < dim; j++ {
			h := math.Abs(raw.Data[i*raw.Stride+j]) / (m.scale[i] * m.scale[j])
			hinv := math.Abs(rawInv.Data[i*rawInv.Stride+j]) * m.scale[i] * m.scale[j]
			colH[j] += h
			colHinv[j] += hinv
			m.omega += hinv
			if i != j { // the lower triangle, by symmetry
				colH[i] += h
				colHinv[i] += hinv
				m.omega += hinv
			}
		}
	}
	hnorm := 0.0
	for j := range dim {
		hnorm = max(hnorm, colH[j])
		m.hinv1 = max(m.hinv1, colHinv[j])
	}
	m.cond = hnorm * m.hinv1
	m.relErr = m.nu * float64(dim) * m.hinv1
	if !(m.relErr <= MaxRelErr) { // also catches NaN from a numerically singular factor
		return nil, &ConditionError{Lambda: lambda, Cond: m.cond, RelErr: m.relErr}
	}
	return m, nil
}

// Design returns the features the model was fitted on.
func (m *Model) Design() *Design { return m.design }

// Conditioning returns κ₁(H), the condition number of the column-scaled
// matrix H = S⁻¹(ΦᵀΦ + λD)S⁻¹, and η = ν·d·‖H⁻¹‖₁ ≤ MaxRelErr, the bound on the
// relative error of every solve (package comment).
func (m *Model) Conditioning() (cond, relErr float64) { return m.cond, m.relErr }

// Solve sets dst to (ΦᵀΦ + λD)⁻¹ b for a d×k right-hand side b.
func (m *Model) Solve(dst *mat.Dense, b mat.Matrix) {
	// gonum warns (mat.Condition) when its estimate of the unscaled condition
	// number exceeds 1e16, which badly scaled columns alone can cause. The
	// rounding of a Cholesky solve does not depend on the column scaling, so
	// Fit's scaled analysis is the one that decides, and the warning is
	// ignored; SolveTo returns no other error.
	_ = m.chol.SolveTo(dst, b)
}

// Kernel sets dst (b×n) so that row j is the kernel vector α of test row j of
// test (b×d): dst = test (ΦᵀΦ + λD)⁻¹ Φᵀ. Callers pass blocks of test points so
// the full m×n matrix never exists at once.
//
// If errs is not nil it must have length b, and errs[j] receives a bound E on
// Σᵢ|α̂ᵢ − αᵢ| between row j as computed and the exact ridge kernel vector of
// that test point. With x̂ = (Â + ΔA)⁻¹φ the computed solve and c_k = Σᵢ|Φᵢₖ|,
//
//	E = 2[√(n·ω)·ν·sᵀ|x̂| + γ_d·cᵀ|x̂|],  ω = Σ_kl |H⁻¹_kl|.
//
// The second term is the rounding of α̂ = fl(Φx̂). The first bounds ‖Φ(x̂ − x)‖₁:
// ‖·‖₁ ≤ √n‖·‖₂, and since ΦᵀΦ ⪯ A, ‖ΦA⁻¹v‖₂² ≤ vᵀA⁻¹v; with v = Fx̂ = S w,
// |wₖ| ≤ ν sᵀ|x̂|, vᵀA⁻¹v = wᵀH⁻¹w ≤ ν²(sᵀ|x̂|)²ω. The factor 2 is the safety
// factor of the package comment. The bound costs O(d) per test point on top
// of the O(nd) kernel. Kernel panics if errs has the wrong length.
func (m *Model) Kernel(dst, test *mat.Dense, errs []float64) {
	b, dim := test.Dims()
	if errs != nil && len(errs) != b {
		panic(fmt.Sprintf("ridge: %d error slots for %d test points", len(errs), b))
	}
	var x mat.Dense
	m.Solve(&x, test.T())
	// A contiguous b×d copy of xᵀ makes the product a row-by-row dot
	// product; gonum's GEMM on two transposed operands is several times slower.
	xt := mat.DenseCopyOf(x.T())
	dst.Mul(xt, m.design.phi.T())
	if errs == nil {
		return
	}
	n, _ := m.design.phi.Dims()
	solve := math.Sqrt(float64(n)*m.omega) * m.nu
	product := roundoff.Gamma(dim)
	for j := range b {
		var sx, cx float64
		for k, v := range xt.RawRowView(j) {
			v = math.Abs(v)
			sx += m.scale[k] * v
			cx += m.design.absSum[k] * v
		}
		errs[j] = 2 * (solve*sx + product*cx)
	}
}

// Coefficients returns β(y) = (ΦᵀΦ + λD)⁻¹Φᵀy for labels (or any targets) y.
func (m *Model) Coefficients(y []float64) *mat.VecDense {
	var rhs, beta mat.VecDense
	rhs.MulVec(m.design.phi.T(), mat.NewVecDense(len(y), y))
	_ = m.chol.SolveVecTo(&beta, &rhs) // only gonum's condition warning; see Solve
	return &beta
}

// Scales returns the column scales s_j = √(ΦᵀΦ + λD)_jj (as factored) in which
// ScoreError is expressed.
func (m *Model) Scales() []float64 { return append([]float64(nil), m.scale...) }

// ScoreError returns b such that, for β̂ = m.Coefficients(y) with targets
// yᵢ ∈ [0, 1] and any test point φ, the computed score fl(φᵀβ̂) differs from
// the exact φᵀβ(y) by at most b·t(φ), t(φ) = Σ_j |φ_j|/s_j (s from Scales):
//
//	b = 2[‖H⁻¹‖₁(γ_n√n + ν‖Sβ̂‖₁) + γ_d‖Sβ̂‖_∞].
//
// With x = A⁻¹φ: the right-hand side fl(Φᵀy) is off by at most γ_n c ≤ γ_n√n s
// (c_j = Σᵢ|Φᵢⱼ| ≤ √n‖Φ_:j‖), contributing γ_n√n‖Sx‖₁; the solve contributes
// |xᵀFβ̂| ≤ ν‖Sx‖₁‖Sβ̂‖₁; the final dot product γ_d|φ|ᵀ|β̂| ≤ γ_d t(φ)‖Sβ̂‖_∞;
// and ‖Sx‖₁ = ‖H⁻¹S⁻¹φ‖₁ ≤ ‖H⁻¹‖₁ t(φ). The factor 2 is the safety factor of
// the package comment. ScoreError panics if beta has the wrong length.
func (m *Model) ScoreError(beta *mat.VecDense) float64 {
	n, dim := m.design.phi.Dims()
	if beta.Len() != dim {
		panic(fmt.Sprintf("ridge: β has %d coefficients, want %d", beta.Len(), dim))
	}
	var sum, top float64
	for j := range dim {
		v := m.scale[j] * math.Abs(beta.AtVec(j))
		sum += v
		top = max(top, v)
	}
	return 2 * (m.hinv1*(roundoff.Gamma(n)*math.Sqrt(float64(n))+m.nu*sum) + roundoff.Gamma(dim)*top)
}
