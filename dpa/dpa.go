package dpa

import (
	"errors"
	"fmt"
	"math"

	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// Result is the certified prediction at one test point.
type Result struct {
	Class  int // plurality vote of the parts, ties to class 0
	Radius int // no set of at most Radius label flips changes Class
}

// Ensemble holds one ridge classifier per part.
type Ensemble struct {
	beta   *mat.Dense // d×k; column j is part j's β (zero if the part is empty)
	voting []bool     // voting[j] is false for an empty part, which abstains
}

// Fit trains one ridge classifier per part: part j is fitted on the rows i with
// parts[i] = j, β_j = (Φ_jᵀΦ_j + λD)⁻¹Φ_jᵀy_j, with the intercept convention of
// package ridge (if intercept, the last column of phi is the constant 1 and is
// not penalised). y holds 0/1 labels and parts the output of Partition (or any
// other label-independent assignment to 0..k−1).
//
// A part that cannot be fitted (with λ = 0, one with fewer points than
// features) is an error naming the part, k and λ, wrapping ridge.ErrSingular.
func Fit(phi *mat.Dense, y []int, parts []int, k int, lambda float64, intercept bool) (*Ensemble, error) {
	if err := validate(phi, y, parts, k, lambda); err != nil {
		return nil, err
	}
	n, d := phi.Dims()
	// Counting sort: gather each part's rows into one contiguous block.
	start := make([]int, k+1)
	for _, p := range parts {
		start[p+1]++
	}
	for j := range k {
		start[j+1] += start[j]
	}
	next := append([]int(nil), start[:k]...)
	packed := mat.NewDense(n, d, nil)
	targets := make([]float64, n)
	for i, p := range parts {
		packed.SetRow(next[p], phi.RawRowView(i))
		targets[next[p]] = float64(y[i])
		next[p]++
	}
	e := &Ensemble{beta: mat.NewDense(d, k, nil), voting: make([]bool, k)}
	for j := range k {
		lo, hi := start[j], start[j+1]
		if lo == hi {
			continue
		}
		rows := packed.Slice(lo, hi, 0, d).(*mat.Dense)
		model, err := ridge.NewDesign(rows, intercept).Fit(lambda)
		if err != nil {
			return nil, fmt.Errorf("dpa: part %d of k = %d (%d points, %d features) with λ = %g: %w",
				j, k, hi-lo, d, lambda, err)
		}
		e.beta.SetCol(j, model.Coefficients(targets[lo:hi]).RawVector().Data)
		e.voting[j] = true
	}
	return e, nil
}

func validate(phi *mat.Dense, y []int, parts []int, k int, lambda float64) error {
	if phi.IsEmpty() {
		return errors.New("dpa: no training points")
	}
	n, _ := phi.Dims()
	switch {
	case k < 1:
		return fmt.Errorf("dpa: k = %d, want k ≥ 1", k)
	case !(lambda >= 0) || math.IsInf(lambda, 1):
		return fmt.Errorf("dpa: λ = %g, want a finite λ ≥ 0", lambda)
	case len(y) != n:
		return fmt.Errorf("dpa: %d labels for %d training points", len(y), n)
	case len(parts) != n:
		return fmt.Errorf("dpa: %d part indices for %d training points", len(parts), n)
	}
	for i := range n {
		if y[i] != 0 && y[i] != 1 {
			return fmt.Errorf("dpa: label %d of training point %d is not 0 or 1", y[i], i)
		}
		if parts[i] < 0 || parts[i] >= k {
			return fmt.Errorf("dpa: part %d of training point %d is outside 0..%d", parts[i], i, k-1)
		}
	}
	return nil
}

// Parts returns k, the number of parts.
func (e *Ensemble) Parts() int { return len(e.voting) }

// Coefficients returns part j's β, or ok = false if part j is empty and
// abstains. It panics unless 0 ≤ j < k.
func (e *Ensemble) Coefficients(j int) (beta *mat.VecDense, ok bool) {
	if j < 0 || j >= len(e.voting) {
		panic(fmt.Sprintf("dpa: part %d outside 0..%d", j, len(e.voting)-1))
	}
	if !e.voting[j] {
		return nil, false
	}
	return mat.VecDenseCopyOf(e.beta.ColView(j)), true
}

// certifyBlock is the number of test points scored at once, which bounds the
// scratch matrix of scores to certifyBlock×k.
const certifyBlock = 256

// Certify predicts every row of test (features laid out as the training Φ):
// each non-empty part votes class 1 iff φ(x)ᵀβ_j ≥ ½, and VoteRadius turns the
// votes into a class and a radius. It panics if test has a different number of
// columns from the training features.
func (e *Ensemble) Certify(test *mat.Dense) []Result {
	if test.IsEmpty() {
		return nil
	}
	m, dt := test.Dims()
	d, k := e.beta.Dims()
	if dt != d {
		panic(fmt.Sprintf("dpa: test points have %d features, training points %d", dt, d))
	}
	results := make([]Result, m)
	scores := mat.NewDense(min(m, certifyBlock), k, nil)
	for lo := 0; lo < m; lo += certifyBlock {
		hi := min(lo+certifyBlock, m)
		block := scores.Slice(0, hi-lo, 0, k).(*mat.Dense)
		block.Mul(test.Slice(lo, hi, 0, d), e.beta)
		for i := range hi - lo {
			var votes [2]int
			for j, s := range block.RawRowView(i) {
				if !e.voting[j] {
					continue
				}
				if s >= 0.5 {
					votes[1]++
				} else {
					votes[0]++
				}
			}
			results[lo+i].Class, results[lo+i].Radius = VoteRadius(votes[:])
		}
	}
	return results
}

// Certify fits the ensemble (see Fit) and certifies every row of test. Bad
// inputs, including test points of the wrong width, are errors, reported
// before any fitting.
func Certify(phi *mat.Dense, y []int, parts []int, k int, lambda float64, intercept bool, test *mat.Dense) ([]Result, error) {
	if !phi.IsEmpty() && !test.IsEmpty() {
		if _, d := phi.Dims(); test.RawMatrix().Cols != d {
			return nil, fmt.Errorf("dpa: test points have %d features, training points %d", test.RawMatrix().Cols, d)
		}
	}
	e, err := Fit(phi, y, parts, k, lambda, intercept)
	if err != nil {
		return nil, err
	}
	return e.Certify(test), nil
}
