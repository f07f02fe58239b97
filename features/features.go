// Package features maps inputs to the fixed, label-free feature vectors that
// the ridge base learner works on (docs/science.md §2): raw pixels, principal
// components of the training inputs, or a CNN embedding.
//
// Nothing here may look at training labels: an attacker controls them, and a
// feature map that depended on them would void every certificate.
package features

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// PCA projects inputs onto the leading principal components of a training
// set: z = Wᵀ(x − mean).
type PCA struct {
	Mean       []float64
	Components *mat.Dense // p×k, one unit-length component per column, by decreasing variance
	Variances  []float64  // variance explained by each component
}

// FitPCA finds the top k principal components of the rows of x, from the
// eigendecomposition of their covariance matrix. Each component's sign is fixed
// so that its largest-magnitude coordinate is positive, making the projection
// reproducible.
func FitPCA(x *mat.Dense, k int) (*PCA, error) {
	n, p := x.Dims()
	if k < 1 || k > p {
		return nil, fmt.Errorf("features: pca dim %d must be in [1, %d]", k, p)
	}
	if n < 2 {
		return nil, fmt.Errorf("features: pca needs at least 2 training points, got %d", n)
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	var eig mat.EigenSym
	if ok := eig.Factorize(&cov, true); !ok {
		return nil, fmt.Errorf("features: pca eigendecomposition did not converge")
	}
	values := eig.Values(nil) // ascending
	var vectors mat.Dense
	eig.VectorsTo(&vectors)
	pca := &PCA{
		Mean:       make([]float64, p),
		Components: mat.NewDense(p, k, nil),
		Variances:  make([]float64, k),
	}
	for j := range p {
		pca.Mean[j] = mat.Sum(x.ColView(j)) / float64(n)
	}
	for c := range k {
		src := p - 1 - c
		pca.Variances[c] = values[src]
		big := 0
		for i := range p {
			if math.Abs(vectors.At(i, src)) > math.Abs(vectors.At(big, src)) {
				big = i
			}
		}
		sign := 1.0
		if vectors.At(big, src) < 0 {
			sign = -1
		}
		for i := range p {
			pca.Components.Set(i, c, sign*vectors.At(i, src))
		}
	}
	return pca, nil
}

// Transform returns the projections of the rows of x.
func (pca *PCA) Transform(x *mat.Dense) *mat.Dense {
	n, p := x.Dims()
	centered := mat.NewDense(n, p, nil)
	centered.Apply(func(_, j int, v float64) float64 { return v - pca.Mean[j] }, x)
	var z mat.Dense
	z.Mul(centered, pca.Components)
	return &z
}

// WithIntercept returns x with a constant 1 appended to every row, the
// unpenalised intercept column of docs/science.md §2.
func WithIntercept(x *mat.Dense) *mat.Dense {
	n, d := x.Dims()
	out := mat.NewDense(n, d+1, nil)
	out.Slice(0, n, 0, d).(*mat.Dense).Copy(x)
	for i := range n {
		out.Set(i, d, 1)
	}
	return out
}
