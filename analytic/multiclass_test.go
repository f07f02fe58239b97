package analytic_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/floats"

	"flipcert/analytic"
)

// exactLossK enumerates all Kⁿ noisy label vectors (each label kept w.p.
// 1−q, else one of the other K−1 classes w.p. p = q/(K−1)) and returns the
// probability that class c is not the strict winner of the scores
// s_k = Σ αᵢ1[y′ᵢ = k]: some other class scores at least as much. That
// includes every event in which the argmax, ties to the lowest index, is not
// c.
func exactLossK(alpha []float64, y []int, classes int, q float64, c int) float64 {
	p := q / float64(classes-1)
	n := len(alpha)
	yp := make([]int, n) // the noisy labels, counted in base K
	score := make([]float64, classes)
	var loss float64
	for {
		prob := 1.0
		clear(score)
		for i, a := range alpha {
			score[yp[i]] += a
			if yp[i] == y[i] {
				prob *= 1 - q
			} else {
				prob *= p
			}
		}
		for k, s := range score {
			if k != c && s >= score[c] {
				loss += prob
				break
			}
		}
		i := 0
		for i < n && yp[i] == classes-1 {
			yp[i] = 0
			i++
		}
		if i == n {
			return loss
		}
		yp[i]++
	}
}

// randomCaseK draws a small K-class problem: α of both signs at a random
// scale with some zeros, sometimes shifted to Σα ≈ 1, sometimes with one
// huge weight; q sometimes at the edges of (0, (K−1)/K).
func randomCaseK(rng *rand.Rand, maxN, classes int) ([]float64, []int, float64) {
	n := 1 + rng.IntN(maxN)
	scale := math.Pow(10, -1.5+2.5*rng.Float64())
	alpha, y := make([]float64, n), make([]int, n)
	favoured := rng.IntN(classes)
	for i := range alpha {
		y[i] = rng.IntN(classes)
		alpha[i] = scale * rng.NormFloat64()
		if y[i] == favoured {
			alpha[i] += scale * rng.Float64() * 2
		}
		if rng.IntN(10) == 0 {
			alpha[i] = 0
		}
	}
	if rng.IntN(2) == 0 {
		floats.AddConst((1-floats.Sum(alpha))/float64(n), alpha)
	}
	if rng.IntN(8) == 0 {
		alpha[rng.IntN(n)] = 1e3 * (rng.Float64() - 0.3)
	}
	hi := float64(classes-1) / float64(classes)
	var q float64
	switch rng.IntN(8) {
	case 0:
		q = 1e-6
	case 1:
		q = hi * 0.9999
	default:
		q = hi * (0.01 + 0.98*rng.Float64())
	}
	return alpha, y, q
}

// argmaxMu computes the expected scores directly, Σᵢ αᵢP(y′ᵢ = k), and
// returns their argmax, lowest index on ties.
func argmaxMu(alpha []float64, y []int, classes int, q float64) (int, []float64) {
	p := q / float64(classes-1)
	mu := make([]float64, classes)
	for i, a := range alpha {
		for k := range mu {
			if k == y[i] {
				mu[k] += a * (1 - q)
			} else {
				mu[k] += a * p
			}
		}
	}
	return floats.MaxIdx(mu), mu
}

// rivalGridPsi returns the smallest ψ_j(t) a dense grid over t finds (as
// gridPsi), with each term written as the log-sum-exp of its three outcomes.
func rivalGridPsi(alpha []float64, y []int, classes int, q float64, c, j int) float64 {
	p := q / float64(classes-1)
	psi := func(t float64) float64 {
		var v float64
		for i, a := range alpha {
			plus, minus := p, p // P(y′ᵢ = c), P(y′ᵢ = j)
			switch y[i] {
			case c:
				plus = 1 - q
			case j:
				minus = 1 - q
			}
			x, z := math.Log(plus)-t*a, math.Log(minus)+t*a
			w := math.Log1p(-plus - minus)
			hi := max(x, z, w)
			v += hi + math.Log(math.Exp(x-hi)+math.Exp(z-hi)+math.Exp(w-hi))
		}
		return v
	}
	return gridMin(psi)
}

// TestSoundAndTightK checks, over random problems with K = 3 (and 4), that
// the class is the argmax of the expected scores, that the bound is never
// below the exact probability that this class is not the strict winner
// (enumerating all Kⁿ labelings), and that it is no worse than the union of
// the best Chernoff exponents a dense grid finds rival by rival.
func TestSoundAndTightK(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	var cz analytic.Certifier
	for trial := range 1000 {
		classes, maxN := 3, 8
		if trial%3 == 0 {
			classes, maxN = 4, 6
		}
		alpha, y, q := randomCaseK(rng, maxN, classes)
		c := cz.Certify(alpha, y, classes, q, 0)
		if want, mu := argmaxMu(alpha, y, classes, q); c.Class != want && mu[want]-mu[c.Class] > 1e-12*(floats.Norm(alpha, 1)+1) {
			t.Fatalf("trial %d: class %d, want %d (μ = %v)", trial, c.Class, want, mu)
		}
		if !(c.LogEps <= 0) || math.IsInf(c.LogEps, 0) {
			t.Fatalf("trial %d: LogEps = %v, want finite and ≤ 0", trial, c.LogEps)
		}
		loss := exactLossK(alpha, y, classes, q, c.Class)
		if loss > math.Exp(c.LogEps)*(1+1e-12) {
			t.Errorf("trial %d (K=%d n=%d q=%v): bound exp(%v) below exact %v", trial, classes, len(alpha), q, c.LogEps, loss)
		}
		var grid []float64
		for j := range classes {
			if j != c.Class {
				grid = append(grid, rivalGridPsi(alpha, y, classes, q, c.Class, j))
			}
		}
		if g := min(floats.LogSumExp(grid), 0); c.LogEps > g+1e-7 {
			t.Errorf("trial %d (K=%d n=%d q=%v): LogEps %v, grid finds %v", trial, classes, len(alpha), q, c.LogEps, g)
		}
		if !c.Abstain() && loss >= 0.5 {
			t.Errorf("trial %d: certified class %d although it fails with probability %v", trial, c.Class, loss)
		}
	}
}

// TestNegligibleRivalsSound checks the rivals left at the shared pass's
// bound: with very little noise (q down to 1e−13) the bounds of rivals that
// need more flips lie tens of nats apart, so some are left early. The bound must still cover
// the exact probability (enumeration), and the test checks that some
// rivals were indeed left.
func TestNegligibleRivalsSound(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 27))
	var cz analytic.Certifier
	left := 0
	for trial := range 2000 {
		classes := 4 + trial%2
		alpha, y, _ := randomCaseK(rng, 6, classes)
		q := math.Pow(10, -13+4*rng.Float64())
		c := cz.Certify(alpha, y, classes, q, 0)
		if c.LogEps < 0 {
			left += analytic.LeftAtSharedPass(&cz)
		}
		if loss := exactLossK(alpha, y, classes, q, c.Class); loss > math.Exp(c.LogEps)*(1+1e-12) {
			t.Errorf("trial %d (K=%d n=%d q=%v): bound exp(%v) below exact %v", trial, classes, len(alpha), q, c.LogEps, loss)
		}
	}
	if left == 0 {
		t.Error("no rival was left at the shared pass: the test cannot tell")
	}
	t.Logf("%d rivals left at the shared pass", left)
}

// TestTightManyClasses compares larger kernels with K up to 10, where the
// rivals share the first pass and distant ones keep its bound, with the
// union of the per-rival grid minima.
func TestTightManyClasses(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 22))
	var cz analytic.Certifier
	for trial := range 9 {
		classes := []int{3, 5, 10}[trial%3]
		n := 100 + rng.IntN(150)
		alpha, y := ridgeLikeK(rng, n, classes, 0.3*float64(trial%4))
		q := []float64{0.01, 0.1, 0.3}[(trial/3)%3]
		c := cz.Certify(alpha, y, classes, q, 0)
		var grid []float64
		for j := range classes {
			if j != c.Class {
				grid = append(grid, rivalGridPsi(alpha, y, classes, q, c.Class, j))
			}
		}
		if g := min(floats.LogSumExp(grid), 0); c.LogEps > g+1e-7*max(1, math.Abs(g)) {
			t.Errorf("trial %d (K=%d n=%d q=%v): LogEps %v, grid finds %v", trial, classes, n, q, c.LogEps, g)
		}
	}
}

// ridgeLikeK draws a ridge-like kernel for n training points in K classes:
// αᵢ = (1 + gᵢ)/n, gᵢ = N(0,1) plus margin for the labels of class 0 and a
// little for class 1, so Σα ≈ 1 and class 1 is the closest rival.
func ridgeLikeK(rng *rand.Rand, n, classes int, margin float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	for i := range alpha {
		y[i] = rng.IntN(classes)
		g := rng.NormFloat64()
		switch y[i] {
		case 0:
			g += margin * float64(classes)
		case 1:
			g += margin * float64(classes) / 2
		}
		alpha[i] = (1 + g) / float64(n)
	}
	return alpha, y
}

// TestKernelErrorPadding perturbs α by δ with Σ|δ| ≤ E and checks that the
// certificate computed from α̂ = α + δ with alphaErr = E bounds the exact
// probability under the true α, for K = 3 (enumeration) and K = 2 (the
// binary path). Without the padding the bound fails on some of the same
// cases, so the test can tell.
func TestKernelErrorPadding(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 23))
	var cz analytic.Certifier
	unpaddedFails := 0
	for trial := range 1500 {
		classes := 2 + trial%2
		alpha, y, q := randomCaseK(rng, 8, classes)
		errBound := math.Pow(10, -3+2.5*rng.Float64()) * (floats.Norm(alpha, 1) + 1e-3)
		// δ: a random direction scaled to Σ|δ| = E, or all of E on one term.
		delta := make([]float64, len(alpha))
		if rng.IntN(3) == 0 {
			delta[rng.IntN(len(alpha))] = errBound * float64(2*rng.IntN(2)-1)
		} else {
			for i := range delta {
				delta[i] = rng.NormFloat64()
			}
			floats.Scale(errBound*(1-1e-12)/floats.Norm(delta, 1), delta)
		}
		computed := make([]float64, len(alpha))
		floats.AddTo(computed, alpha, delta)
		c := cz.Certify(computed, y, classes, q, errBound)
		var loss float64
		if classes == 2 {
			loss = exactWrong(alpha, y, q, c.Class)
		} else {
			loss = exactLossK(alpha, y, classes, q, c.Class)
		}
		if loss > math.Exp(c.LogEps)*(1+1e-12) {
			t.Errorf("trial %d (K=%d n=%d q=%v E=%v): bound exp(%v) below exact %v", trial, classes, len(alpha), q, errBound, c.LogEps, loss)
		}
		if u := cz.Certify(computed, y, classes, q, 0); u.Class == c.Class && loss > math.Exp(u.LogEps)*(1+1e-12) {
			unpaddedFails++
		}
	}
	if unpaddedFails == 0 {
		t.Error("no case needed the padding: the test cannot tell")
	}
	t.Logf("%d of 1500 cases are unsound without the padding", unpaddedFails)
}

// TestEdgeCasesK covers the closed forms and limits for K ≥ 3. For K ≥ 3
// every term can reach −|αᵢ| (ψ_j′(∞) = Σ|αᵢ| + alphaErr), so no rival is
// ever impossible and each minimum lies at a finite t; what remains are the
// cases where ψ_j′(0) ≥ 0 and the bound is 1.
func TestEdgeCasesK(t *testing.T) {
	// A single term α = 1 with y = 0: D_j = X ∈ {+1 w.p. 1−q, −1 w.p. p,
	// 0 w.p. q−p}; min_t (1−q)e^{−t} + p·eᵗ + q−p at eᵗ = √((1−q)/p) is
	// 2√((1−q)p) + q − p, the same for every rival.
	single := func(classes int, q float64) float64 {
		p := q / float64(classes-1)
		return math.Log(float64(classes-1)) + math.Log(2*math.Sqrt((1-q)*p)+q-p)
	}
	for _, tc := range []struct {
		name     string
		alpha    []float64
		y        []int
		classes  int
		q, err   float64
		class    int
		logEps   float64 // expected, from the reasoning in the comment
		abstains bool
	}{
		// s ≡ 0: every class ties, class 0 wins the tie but never strictly.
		{"zero kernel", []float64{0, 0, 0}, []int{1, 2, 0}, 3, 0.3, 0, 0, 0, true},
		// μ₁ = μ₂ > μ₀: class 1 by the lowest index; D₂ has mean 0.
		{"tie for the top", []float64{0.5, 0.5, 0.1}, []int{1, 2, 0}, 3, 0.2, 0, 1, 0, true},
		// A margin the kernel-vector error could erase: μ₀ − μ₁ = (1−q−p)·1 ≤ E.
		{"margin within alphaErr", []float64{1}, []int{0}, 3, 0.3, 0.6, 0, 0, true},
		{"infinite alphaErr", []float64{1, 2}, []int{0, 0}, 4, 0.01, math.Inf(1), 0, 0, true},
		{"single term, K=3", []float64{1}, []int{0}, 3, 0.01, 0, 0, single(3, 0.01), false},
		{"single term, K=10", []float64{1}, []int{0}, 10, 0.001, 0, 0, single(10, 0.001), false},
		// With more noise the nine rivals add up past 1: LogEps is capped at 0.
		{"single term, union capped", []float64{1}, []int{0}, 10, 0.05, 0, 0, 0, true},
		// Huge and tiny weights only move the minimiser t* = log(√((1−q)/p))/α.
		{"single huge term", []float64{1e6}, []int{2}, 3, 0.01, 0, 2, single(3, 0.01), false},
		{"single tiny term", []float64{1e-9}, []int{1}, 3, 0.01, 0, 1, single(3, 0.01), false},
		// A negative weight on the predicted class's own label: μ₀ = −p·... is
		// the largest for the other labels' share; a single term with α < 0
		// and y = 1 makes classes 0 and 2 tie above class 1.
		{"negative weight", []float64{-1}, []int{1}, 3, 0.2, 0, 0, 0, true},
	} {
		c := analytic.Certify(tc.alpha, tc.y, tc.classes, tc.q, tc.err)
		if c.Class != tc.class || c.Abstain() != tc.abstains ||
			!(math.Abs(c.LogEps-tc.logEps) <= 1e-9*max(1, math.Abs(tc.logEps))) {
			t.Errorf("%s: got %+v (abstain %v), want class %d, LogEps %v, abstain %v",
				tc.name, c, c.Abstain(), tc.class, tc.logEps, tc.abstains)
		}
	}
}

// TestLargeTrinomial uses n = 13,007 equal weights on labels of class 0,
// where every rival's Chernoff minimum has the closed form
// n·log(2√((1−q)p) + q − p) (see TestEdgeCasesK), so LogEps is log(K−1)
// plus that: bounds far below float64's smallest positive number.
func TestLargeTrinomial(t *testing.T) {
	const n = 13007
	alpha, y := make([]float64, n), make([]int, n)
	for i := range alpha {
		alpha[i] = 1.0 / n
	}
	var cz analytic.Certifier
	for _, tc := range []struct {
		classes int
		q       float64
	}{{3, 0.1}, {3, 0.6}, {10, 0.05}, {10, 0.85}, {5, 1e-6}} {
		p := tc.q / float64(tc.classes-1)
		want := math.Log(float64(tc.classes-1)) + n*math.Log(2*math.Sqrt((1-tc.q)*p)+tc.q-p)
		c := cz.Certify(alpha, y, tc.classes, tc.q, 0)
		if c.Class != 0 || math.Abs(c.LogEps-want) > 1e-9*math.Abs(want) {
			t.Errorf("K=%d q=%v: got %+v, want class 0 LogEps %v", tc.classes, tc.q, c, want)
		}
	}
}

func TestExpectedScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 24))
	for trial := range 200 {
		classes := 2 + rng.IntN(9)
		alpha, y, q := randomCaseK(rng, 50, classes)
		_, want := argmaxMu(alpha, y, classes, q)
		got := make([]float64, classes)
		analytic.ExpectedScores(got, alpha, y, classes, q)
		if !floats.EqualApprox(got, want, 1e-12*(floats.Norm(alpha, 1)+1)) {
			t.Fatalf("trial %d: %v, want %v", trial, got, want)
		}
	}
}

// TestCertifierReuse checks that one Certifier, reused across sizes and
// class counts, gives what a fresh one gives, that Certify agrees, and that
// concurrent Certify calls agree too.
func TestCertifierReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 25))
	type problem struct {
		alpha   []float64
		y       []int
		classes int
	}
	probs := make([]problem, 12)
	want := make([]analytic.Certificate, len(probs))
	for i := range probs {
		probs[i].classes = []int{2, 3, 10}[i%3]
		probs[i].alpha, probs[i].y = ridgeLikeK(rng, 200+300*i, probs[i].classes, 0.05*float64(i))
		var fresh analytic.Certifier
		want[i] = fresh.Certify(probs[i].alpha, probs[i].y, probs[i].classes, 0.1, 1e-4)
	}
	var reused analytic.Certifier
	for round := range 2 {
		for i, p := range probs {
			if got := reused.Certify(p.alpha, p.y, p.classes, 0.1, 1e-4); got != want[i] {
				t.Errorf("round %d problem %d: %+v, want %+v", round, i, got, want[i])
			}
		}
	}
	done := make(chan error, 4)
	for range 4 {
		go func() {
			for i, p := range probs {
				if got := analytic.Certify(p.alpha, p.y, p.classes, 0.1, 1e-4); got != want[i] {
					done <- fmt.Errorf("problem %d: %+v, want %+v", i, got, want[i])
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestCertifierNoAllocations(t *testing.T) {
	alpha, y := ridgeLikeK(rand.New(rand.NewPCG(26, 26)), 2000, 10, 0.2)
	var cz analytic.Certifier
	cz.Certify(alpha, y, 10, 0.1, 0)
	if a := testing.AllocsPerRun(20, func() { cz.Certify(alpha, y, 10, 0.1, 0) }); a != 0 {
		t.Errorf("Certifier.Certify allocates %v times", a)
	}
	dst := make([]float64, 10)
	if a := testing.AllocsPerRun(20, func() { analytic.ExpectedScores(dst, alpha, y, 10, 0.1) }); a != 0 {
		t.Errorf("ExpectedScores allocates %v times", a)
	}
}

func TestMisusePanicsK(t *testing.T) {
	var cz analytic.Certifier
	for name, f := range map[string]func(){
		"one class":          func() { cz.Certify([]float64{1}, []int{0}, 1, 0.1, 0) },
		"label = classes":    func() { cz.Certify([]float64{1}, []int{3}, 3, 0.1, 0) },
		"negative label":     func() { cz.Certify([]float64{1}, []int{-1}, 3, 0.1, 0) },
		"NaN weight":         func() { cz.Certify([]float64{1, math.NaN()}, []int{0, 1}, 3, 0.1, 0) },
		"q = (K−1)/K":        func() { cz.Certify([]float64{1}, []int{0}, 4, 0.75, 0) },
		"q = 0":              func() { cz.Certify([]float64{1}, []int{0}, 4, 0, 0) },
		"negative alphaErr":  func() { analytic.Certify([]float64{1}, []int{0}, 3, 0.1, -1e-9) },
		"NaN alphaErr":       func() { analytic.Certify([]float64{1}, []int{0}, 2, 0.1, math.NaN()) },
		"scores of 2 for 3":  func() { analytic.ExpectedScores(make([]float64, 2), []float64{1}, []int{0}, 3, 0.1) },
		"scores label range": func() { analytic.ExpectedScores(make([]float64, 3), []float64{1}, []int{5}, 3, 0.1) },
	} {
		func() {
			defer func() {
				if r := recover(); r == nil {
					t.Errorf("%s: no panic", name)
				} else if s, ok := r.(string); !ok || len(s) < 9 || s[:9] != "analytic:" {
					t.Errorf("%s: panic %v without the package prefix", name, r)
				}
			}()
			f()
		}()
	}
}
