package dpa

import (
	"errors"
	"fmt"
	"math"
	"runtime"

	"flipcert/decide"
	"flipcert/parallel"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// Result is the certified prediction at one test point.
type Result struct {
	Class  int // plurality vote of the parts, ties to the lowest class index
	Radius int // no change of at most Radius labels changes Class; −1 if not certified
	// Rival is the runner-up: the other class for two classes, else the class
	// other than Class with the most votes, ties to the lowest index. The
	// DPA attack moves votes to it (package attacks).
	Rival int
}

// Ensemble holds one ridge classifier per part.
type Ensemble struct {
	classes int
	width   int        // score columns per part: 1 for two classes (the binary score), else classes
	beta    *mat.Dense // d×(k·width); part j's coefficients are columns j·width … j·width+width−1
	bound   []float64  // bound[col]: ridge.Model.ScoreError of that column
	inverse *mat.Dense // d×k; column j holds 1/s of part j (ridge.Model.Scales), zero if empty
	voting  []bool     // voting[j] is false for an empty part, which abstains

	// What refitting a part needs (Kernel).
	phi       *mat.Dense
	members   [][]int // members[j]: training indices of part j, ascending
	lambda    float64
	intercept bool
}

// Fit trains one ridge classifier per part: part j is fitted on the rows i with
// parts[i] = j, with the penalty λ and the intercept convention of package
// ridge (if intercept, the last column of phi is the constant 1 and is not
// penalised). y holds labels in 0..classes−1 and parts the output of Partition
// (or any other label-independent assignment to 0..k−1).
//
// For two classes a part has one score, β = (Φ_jᵀΦ_j + λD)⁻¹Φ_jᵀy_j, and votes
// class 1 iff φ(x)ᵀβ ≥ ½ (docs/science.md §2); for more it is one-hot ridge,
// β_c fitted to the targets 1[yᵢ = c], voting for the argmax of φ(x)ᵀβ_c, ties
// to the lowest index (docs/science.md §8).
//
// A part that cannot be fitted (with λ = 0, one with fewer points than
// features; or one too ill-conditioned for its scores to be trusted) is an
// error naming the part, k and λ, wrapping ridge.ErrSingular.
func Fit(phi *mat.Dense, y []int, classes int, parts []int, k int, lambda float64, intercept bool) (*Ensemble, error) {
	if err := validate(phi, y, classes, parts, k, lambda); err != nil {
		return nil, err
	}
	_, d := phi.Dims()
	width := classes
	if classes == 2 {
		width = 1
	}
	e := &Ensemble{
		classes: classes, width: width,
		beta:    mat.NewDense(d, k*width, nil),
		bound:   make([]float64, k*width),
		inverse: mat.NewDense(d, k, nil),
		voting:  make([]bool, k),
		phi:     phi, members: make([][]int, k), lambda: lambda, intercept: intercept,
	}
	for i, p := range parts {
		e.members[p] = append(e.members[p], i)
	}
	largest := 0
	for _, rows := range e.members {
		largest = max(largest, len(rows))
	}
	targets := make([][]float64, runtime.GOMAXPROCS(0)) // one per worker of parallel.For
	for w := range targets {
		targets[w] = make([]float64, largest)
	}
	errs := make([]error, k)
	// Parts are independent and each writes only its own columns.
	parallel.For(k, len(targets), func(worker, j int) {
		if rows := e.members[j]; len(rows) > 0 {
			errs[j] = e.fitVoter(j, y, targets[worker])
		}
	})
	for j, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("dpa: part %d of k = %d (%d points, %d features) with λ = %g: %w",
				j, k, len(e.members[j]), d, lambda, err)
		}
	}
	return e, nil
}

// fitVoter fits part j, which must not be empty, and stores its
// coefficients, score error bounds and scales; targets is scratch for one
// right-hand side.
func (e *Ensemble) fitVoter(j int, y []int, targets []float64) error {
	model, err := e.fitPart(j)
	if err != nil {
		return err
	}
	rows := e.members[j]
	for c := range e.width {
		for r, i := range rows {
			switch {
			case e.classes == 2:
				targets[r] = float64(y[i])
			case y[i] == c:
				targets[r] = 1
			default:
				targets[r] = 0
			}
		}
		beta := model.Coefficients(targets[:len(rows)])
		e.beta.SetCol(j*e.width+c, beta.RawVector().Data)
		e.bound[j*e.width+c] = model.ScoreError(beta)
	}
	for l, s := range model.Scales() {
		e.inverse.Set(l, j, 1/s)
	}
	e.voting[j] = true
	return nil
}

// fitPart fits the ridge model of part j, which must not be empty. The rows
// are packed in ascending index order, so a refit reproduces the fit exactly.
// refit fits part j again as it was fitted to vote, or returns nil for an
// empty part. It panics unless 0 ≤ j < k.
func (e *Ensemble) refit(j int) *ridge.Model {
	e.checkPart(j)
	if !e.voting[j] {
		return nil
	}
	model, err := e.fitPart(j)
	if err != nil {
		panic("dpa: refitting part " + err.Error()) // it was fitted once already
	}
	return model
}

func (e *Ensemble) fitPart(j int) (*ridge.Model, error) {
	_, d := e.phi.Dims()
	rows := mat.NewDense(len(e.members[j]), d, nil)
	for r, i := range e.members[j] {
		rows.SetRow(r, e.phi.RawRowView(i))
	}
	return ridge.NewDesign(rows, e.intercept).Fit(e.lambda)
}

func validate(phi *mat.Dense, y []int, classes int, parts []int, k int, lambda float64) error {
	if phi.IsEmpty() {
		return errors.New("dpa: no training points")
	}
	n, _ := phi.Dims()
	switch {
	case classes < 2:
		return fmt.Errorf("dpa: %d classes, want at least 2", classes)
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
		if y[i] < 0 || y[i] >= classes {
			return fmt.Errorf("dpa: label %d of training point %d is outside 0..%d", y[i], i, classes-1)
		}
		if parts[i] < 0 || parts[i] >= k {
			return fmt.Errorf("dpa: part %d of training point %d is outside 0..%d", parts[i], i, k-1)
		}
	}
	return nil
}

// Parts returns k, the number of parts.
func (e *Ensemble) Parts() int { return len(e.voting) }

// Classes returns the number of classes.
func (e *Ensemble) Classes() int { return e.classes }

// checkPart panics unless 0 ≤ j < k.
func (e *Ensemble) checkPart(j int) {
	if j < 0 || j >= len(e.voting) {
		panic(fmt.Sprintf("dpa: part %d outside 0..%d", j, len(e.voting)-1))
	}
}

// Coefficients returns part j's coefficients as a d×w matrix, w = 1 for two
// classes (the binary score) and w = classes otherwise (column c scores class
// c), or ok = false if part j is empty and abstains. It panics unless
// 0 ≤ j < k.
func (e *Ensemble) Coefficients(j int) (beta *mat.Dense, ok bool) {
	e.checkPart(j)
	if !e.voting[j] {
		return nil, false
	}
	d, _ := e.beta.Dims()
	return mat.DenseCopyOf(e.beta.Slice(0, d, j*e.width, (j+1)*e.width)), true
}

// Members returns the training indices of part j in ascending order: the
// order of the entries of its kernel vectors. It panics unless 0 ≤ j < k.
func (e *Ensemble) Members(j int) []int {
	e.checkPart(j)
	return append([]int(nil), e.members[j]...)
}

// Kernel sets dst (b×|Members(j)|) to the kernel vectors of part j at the rows
// of test, with error bounds in errs if it is not nil (see ridge.Model.Kernel):
// part j's score for class c at test row r is Σ dst[r][m]·1[y[Members(j)[m]] = c].
// It refits part j (O(n_j d² + d³)), so that the ensemble need not keep k
// factorisations, and reproduces the fit that voted. ok is false for an
// empty part. Kernel panics unless 0 ≤ j < k or if test has the wrong width.
func (e *Ensemble) Kernel(j int, dst, test *mat.Dense, errs []float64) (ok bool) {
	e.checkWidth(test)
	model := e.refit(j)
	if model == nil {
		return false
	}
	model.Kernel(dst, test, errs)
	return true
}

func (e *Ensemble) checkWidth(test *mat.Dense) {
	if d, _ := e.beta.Dims(); test.RawMatrix().Cols != d {
		panic(fmt.Sprintf("dpa: test points have %d features, training points %d", test.RawMatrix().Cols, d))
	}
}

// certifyBlock is the number of test points scored at once, which bounds the
// scratch matrices of scores to certifyBlock×k·w.
const certifyBlock = 256

// Certify predicts every row of test (features laid out as the training Φ):
// each non-empty part votes (see Fit), and the votes give a class and a
// radius (docs/science.md §9).
//
// Rounding (docs/science.md §10 "Margins of the exact and DPA certificates"). Each score carries the error bound of
// ridge.Model.ScoreError, b·t(φ) with t(φ) = Σ_l |φ_l|/s_l. A part whose vote
// could be another class within those bounds (for two classes |s − ½| ≤ ε;
// for more, s_top − s_c ≤ ε_top + ε_c for some c) is uncertain, and counts as
// a ballot the adversary holds for free: the class is the plurality of the
// computed votes, and the radius is FreeVoteRadius of the certain votes with
// the uncertain parts free, −1 if the uncertain parts alone could overturn
// the class.
//
// The scores cost one b×d by d×(k·w) product per block of test points and the
// bounds one b×d by d×k product. Certify panics if test has a different number
// of columns from the training features.
func (e *Ensemble) Certify(test *mat.Dense) []Result {
	if test.IsEmpty() {
		return nil
	}
	e.checkWidth(test)
	m, d := test.Dims()
	k, w := len(e.voting), e.width
	results := make([]Result, m)
	scores := mat.NewDense(min(m, certifyBlock), k*w, nil)
	scales := mat.NewDense(min(m, certifyBlock), k, nil)
	abs := mat.NewDense(min(m, certifyBlock), d, nil)
	tallies := make([]tally, runtime.GOMAXPROCS(0)) // one per worker of parallel.For
	for w := range tallies {
		tallies[w] = tally{computed: make([]int, e.classes), certain: make([]int, e.classes)}
	}
	for lo := 0; lo < m; lo += certifyBlock {
		hi := min(lo+certifyBlock, m)
		block := test.Slice(lo, hi, 0, d)
		s := scores.Slice(0, hi-lo, 0, k*w).(*mat.Dense)
		s.Mul(block, e.beta)
		a := abs.Slice(0, hi-lo, 0, d).(*mat.Dense)
		a.Apply(func(_, _ int, v float64) float64 { return math.Abs(v) }, block)
		t := scales.Slice(0, hi-lo, 0, k).(*mat.Dense)
		t.Mul(a, e.inverse)
		parallel.For(hi-lo, len(tallies), func(worker, i int) {
			results[lo+i] = e.count(s.RawRowView(i), t.RawRowView(i), tallies[worker])
		})
	}
	return results
}

// tally is one worker's scratch for counting votes.
type tally struct{ computed, certain []int }

// count gathers the parts' votes on one test point from its scores (k·w)
// and scales t(φ) (k), and turns them into its Result.
func (e *Ensemble) count(scores, scales []float64, tl tally) Result {
	clear(tl.computed)
	clear(tl.certain)
	free, w := 0, e.width
	for j, voting := range e.voting {
		if !voting {
			continue
		}
		vote, sure := e.vote(scores[j*w:(j+1)*w], e.bound[j*w:(j+1)*w], scales[j])
		tl.computed[vote]++
		if sure {
			tl.certain[vote]++
		} else {
			free++
		}
	}
	class := decide.Plurality(tl.computed)
	return Result{Class: class, Radius: FreeVoteRadius(tl.certain, free, class), Rival: runnerUp(tl.computed, class)}
}

// runnerUp returns the class other than class with the most votes, ties to
// the lowest index.
func runnerUp(votes []int, class int) int {
	r := -1
	for c, v := range votes {
		if c != class && (r < 0 || v > votes[r]) {
			r = c
		}
	}
	return r
}

// vote returns a part's vote from its scores, each within bound[c]·t of the
// exact score, and whether the vote is certain: no other class is within the
// bounds of winning.
func (e *Ensemble) vote(scores, bound []float64, t float64) (class int, sure bool) {
	if e.classes == 2 {
		return decide.Binary(scores[0]), math.Abs(scores[0]-0.5) > bound[0]*t
	}
	class = decide.Argmax(scores)
	for c, s := range scores {
		if c != class && scores[class]-s <= (bound[class]+bound[c])*t {
			return class, false
		}
	}
	return class, true
}

// Certify fits the ensemble (see Fit) and certifies every row of test. Bad
// inputs, including test points of the wrong width, are errors, reported
// before any fitting.
func Certify(phi *mat.Dense, y []int, classes int, parts []int, k int, lambda float64, intercept bool, test *mat.Dense) ([]Result, error) {
	if !phi.IsEmpty() && !test.IsEmpty() {
		if _, d := phi.Dims(); test.RawMatrix().Cols != d {
			return nil, fmt.Errorf("dpa: test points have %d features, training points %d", test.RawMatrix().Cols, d)
		}
	}
	e, err := Fit(phi, y, classes, parts, k, lambda, intercept)
	if err != nil {
		return nil, err
	}
	return e.Certify(test), nil
}
