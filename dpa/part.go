package dpa

import (
	"fmt"
	"math"

	"flipcert/internal/roundoff"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// Points are test points prepared for Part.Kernels: the transposes of their
// features and of the features' absolute values, so that a part's kernel
// vectors at many points are one product with long rows.
type Points struct {
	t, abs *mat.Dense // d×m
}

// NewPoints prepares the rows of test (features laid out as the training Φ).
func NewPoints(test *mat.Dense) *Points {
	m, d := test.Dims()
	p := &Points{t: mat.NewDense(d, m, nil), abs: mat.NewDense(d, m, nil)}
	p.t.Copy(test.T())
	p.abs.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) }, p.t)
	return p
}

// Part is one part of an Ensemble refitted so that its kernel vectors at
// many test points cost one product each (Part.Kernels), besides the kernel
// vectors exactly as Ensemble.Kernel computes them (Part.Kernel). A Part
// must not be used by two goroutines at once.
//
// With A = Φ_jᵀΦ_j + λD and the part's rows φᵢ, it solves once for
// x̂ᵢ = A⁻¹φᵢ (n_j·d² in all), so that αᵢ = φᵢᵀA⁻¹φ = x̂ᵢᵀφ at any test
// point φ is a dot product: n_j·d per point instead of the d² of a solve
// and n_j·d of a product.
type Part struct {
	model *ridge.Model
	w     *mat.Dense // n_j×d: row i is x̂ᵢ as solved
	coef  *mat.Dense // 2×d: 1/s_l, then u_l = Σᵢ|x̂ᵢₗ|
	// Per-point bounds are E′ = fresh·(uᵀ|φ|) + scaled·t(φ) and, for the
	// kernel vectors of Ensemble.Kernel, E ≤ old·t(φ); see Kernels.
	fresh, scaled, old float64
	out, ts            *mat.Dense // scratch: n_j×b products and 2×b bound terms
}

// Refit refits part j for its kernel vectors (O(n_j d² + d³)) into p, whose
// memory it reuses (a zero Part will do), or returns false for an empty part.
// It panics unless 0 ≤ j < k.
func (e *Ensemble) Refit(j int, p *Part) bool {
	model := e.refit(j)
	if model == nil {
		return false
	}
	rows := model.Design().Features()
	nj, d := rows.Dims()
	p.model = model
	p.w, p.coef = reuse(p.w, nj, d), reuse(p.coef, 2, d)
	var x mat.Dense
	model.Solve(&x, rows.T())
	p.w.Copy(x.T())
	scales := model.Scales()
	var sigma, ratio float64 // sᵀu and max_l c_l/s_l, c_l = Σᵢ|Φᵢₗ|
	for l, s := range scales {
		var u, c float64
		for i := range nj {
			u += math.Abs(p.w.At(i, l))
			c += math.Abs(rows.At(i, l))
		}
		p.coef.Set(0, l, 1/s)
		p.coef.Set(1, l, u)
		sigma += s * u
		ratio = max(ratio, c/s)
	}
	cond, eta := model.Conditioning()
	gamma := roundoff.Gamma(d)
	p.fresh = 2 * gamma
	p.scaled = 2 * eta / float64(d) * sigma
	// The old bound, each factor rounded up: see Kernels.
	p.old = 2.2 * (eta*math.Sqrt(float64(nj)*cond/float64(d)) + gamma*ratio*cond) / (1 - eta)
	return true
}

// Conditioning returns κ₁(H) and η of the part's ridge fit (see
// ridge.Model.Conditioning).
func (p *Part) Conditioning() (cond, relErr float64) { return p.model.Conditioning() }

// Members returns n_j, the number of training points of the part.
func (p *Part) Members() int { r, _ := p.w.Dims(); return r }

// Kernel sets dst (b×n_j) to the kernel vectors of the part at the rows of
// test, with their error bounds in errs if not nil, bit for bit as
// Ensemble.Kernel computes them (ridge.Model.Kernel of the refitted part):
// a solve per test point.
func (p *Part) Kernel(dst, test *mat.Dense, errs []float64) { p.model.Kernel(dst, test, errs) }

// Kernels sets dst (b×n_j, b = hi − lo) to the kernel vectors of the part at
// test points lo, …, hi−1 of pts, α̃ᵢ = fl(x̂ᵢᵀφ), and errs[r] to a bound E′ on
// Σᵢ|α̃ᵢ − αᵢ| against the exact kernel vector:
//
//	E′ = 2[γ_d·uᵀ|φ| + (η/d)·(sᵀu)·t(φ)],  u = Σᵢ|x̂ᵢ|,  t(φ) = Σ_l|φ_l|/s_l,
//
// with s the part's column scales and η its bound on the relative error of a
// solve (ridge.Model.Scales, Conditioning). Derivation: x̂ᵢ solves
// (A + Fᵢ)x̂ᵢ = φᵢ with |Fᵢ| ≤ ν s sᵀ (package ridge), so with z = A⁻¹φ,
// αᵢ = φᵢᵀz and x̂ᵢ − xᵢ = −A⁻¹Fᵢx̂ᵢ,
//
//	|x̂ᵢᵀφ − αᵢ| = |x̂ᵢᵀFᵢᵀz| ≤ ν(sᵀ|x̂ᵢ|)(sᵀ|z|),  sᵀ|z| = ‖H⁻¹S⁻¹φ‖₁ ≤ ‖H⁻¹‖₁t(φ),
//
// and ν‖H⁻¹‖₁ = η/d; the dot product adds γ_d|x̂ᵢ|ᵀ|φ|. Summed over i this is
// E′ without its factor 2, which, as in package ridge, covers H⁻¹ formed from
// the factored matrix and the rounding of the bound's own arithmetic.
//
// dev[r] receives a bound on both ‖α̃ − α̂‖₁ and |E′ − E|, where α̂ and E are
// what Kernel computes at the same point: E′ + Ē with Ē ≥ E,
//
//	Ē = 2.2[η√(n_j κ/d) + γ_d·max_l(c_l/s_l)·κ]·t(φ)/(1 − η),  c_l = Σᵢ|Φᵢₗ|,
//
// κ = κ₁(H) ≥ ‖H⁻¹‖₁ (H has unit diagonal), since E = 2[√(n_jω)ν sᵀ|x̂| +
// γ_d cᵀ|x̂|] with ω ≤ d‖H⁻¹‖₁, ν = η/(d‖H⁻¹‖₁) and sᵀ|x̂| ≤ ‖H⁻¹‖₁t(φ)/(1 − η)
// (package ridge); 2.2 rather than 2 covers the rounding of κ and η.
// So a decision that α̃ and E′ make with a margin above dev is the one that
// α̂ and E make.
//
// The cost is n_j·d + 2d multiply-adds per point in two products. Kernels
// panics if the lengths do not match or lo, hi are out of range.
func (p *Part) Kernels(dst *mat.Dense, pts *Points, lo, hi int, errs, dev []float64) {
	nj, d := p.w.Dims()
	b := hi - lo
	if r, c := dst.Dims(); r != b || c != nj || len(errs) != b || len(dev) != b {
		panic(fmt.Sprintf("dpa: kernels of %d points into %d×%d with %d and %d bounds", b, r, c, len(errs), len(dev)))
	}
	t, abs := pts.t.Slice(0, d, lo, hi), pts.abs.Slice(0, d, lo, hi)
	p.out = reuse(p.out, nj, b)
	p.out.Mul(p.w, t)
	dst.Copy(p.out.T())
	p.ts = reuse(p.ts, 2, b)
	p.ts.Mul(p.coef, abs)
	tphi, uphi := p.ts.RawRowView(0), p.ts.RawRowView(1)
	for r := range b {
		errs[r] = p.fresh*uphi[r] + p.scaled*tphi[r]
		dev[r] = errs[r] + p.old*tphi[r]
	}
}

// reuse returns an r×c matrix, m's memory if it is large enough. Its entries
// are not cleared: the callers overwrite them.
func reuse(m *mat.Dense, r, c int) *mat.Dense {
	if m == nil || cap(m.RawMatrix().Data) < r*c {
		return mat.NewDense(r, c, nil)
	}
	return mat.NewDense(r, c, m.RawMatrix().Data[:r*c])
}
