package exact

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/decide"
	"flipcert/internal/kerneltest"
)

// refMulti is the K-class certificate as it was before Greedy: per rival,
// every helpful move collected in index order, its total summed in that
// order, and a quickselect for the crossing. Greedy must reproduce it bit
// for bit.
func refMulti(alpha []float64, y []int, classes int, alphaErr float64) (class, radius int) {
	scores, abs := refScores(alpha, y, classes)
	checkFinite(2 * abs)
	class = decide.Argmax(scores)
	radius = len(y)
	for j := range classes {
		if j == class {
			continue
		}
		if m := refRival(alpha, y, classes, class, j, scores, abs, alphaErr); m >= 0 && m-1 < radius {
			if radius = m - 1; radius < 0 {
				break
			}
		}
	}
	return class, radius
}

func refScores(alpha []float64, y []int, classes int) (scores []float64, abs float64) {
	scores = make([]float64, classes)
	for i, a := range alpha {
		scores[y[i]] += a
		abs += math.Abs(a)
	}
	return scores, abs
}

// refRival is the old computation for one rival: the fewest moves, −1 if
// none suffice.
func refRival(alpha []float64, y []int, classes, class, j int, scores []float64, abs, alphaErr float64) int {
	twice, once := make([]float64, classes), make([]float64, classes)
	twice[class], twice[j] = 2, -2
	for k := range once {
		once[k] = 1
	}
	once[class], once[j] = 0, 0
	var moves []float64
	var total float64
	for i, a := range alpha {
		if d := twice[y[i]]*a + once[y[i]]*math.Abs(a); d > 0 {
			moves = append(moves, d)
			total += d
		}
	}
	margin := alphaErr + marginCoef(len(alpha))*(abs+total)
	if m, ok := fewest(moves, total, scores[class]-scores[j], margin); ok {
		return m
	}
	return -1
}

// kernelCase is a kernel vector with labels and its error bound.
type kernelCase struct {
	name     string
	alpha    []float64
	y        []int
	classes  int
	alphaErr float64
}

// kernelCases returns random and adversarial cases: realistic weights at
// several sizes, dyadic weights with exact ties, decimal weights whose sums
// land within rounding of the thresholds, zeros, equal weights, extreme
// scales, and large kernel errors.
func kernelCases(rng *rand.Rand) []kernelCase {
	var cases []kernelCase
	add := func(name string, alpha []float64, y []int, classes int, alphaErr float64) {
		cases = append(cases, kernelCase{name, alpha, y, classes, alphaErr})
	}
	for _, classes := range []int{3, 4, 10} {
		for trial := range 60 {
			n := []int{1, 2, 5, 30, 200, 2000}[trial%6]
			alpha, y := kerneltest.RidgeLike(rng, n, classes)
			add("ridge-like", alpha, y, classes, []float64{0, 1e-13, 1e-6}[trial%3])
		}
		for trial := range 150 {
			n := 1 + rng.IntN(60)
			alpha, y := make([]float64, n), make([]int, n)
			for i := range n {
				alpha[i] = float64(rng.IntN(13)-4) / 16
				y[i] = rng.IntN(classes)
			}
			add("dyadic ties", alpha, y, classes, []float64{0, 0.125, 1.0 / 3}[trial%3])
		}
		decimals := []float64{0.1, 0.2, 0.3, 0.7, 0.05, 0.15, -0.1, -0.3, 0}
		for range 300 {
			n := 2 + rng.IntN(40)
			alpha, y := make([]float64, n), make([]int, n)
			for i := range n {
				alpha[i] = decimals[rng.IntN(len(decimals))]
				y[i] = rng.IntN(classes)
			}
			add("decimal near-ties", alpha, y, classes, 0)
		}
		for range 30 {
			n := 1 + rng.IntN(500)
			alpha, y := kerneltest.RidgeLike(rng, n, classes)
			for i := range alpha {
				if rng.IntN(2) == 0 {
					alpha[i] = 0
				}
			}
			add("half zeros", alpha, y, classes, 0)
			add("all zeros", make([]float64, n), y, classes, 0)
			eq := make([]float64, n)
			for i := range eq {
				eq[i] = 1 / float64(n)
			}
			add("equal weights", eq, y, classes, 0)
			for _, scale := range []float64{0x1p-1040, 0x1p-985, 0x1p-400, 0x1p500} {
				s := make([]float64, n)
				for i, a := range alpha {
					s[i] = a * scale
				}
				add(fmt.Sprintf("scale %g", scale), s, y, classes, 0)
			}
		}
	}
	for trial := range 6 {
		alpha, y := kerneltest.RidgeLike(rng, 50000, 10)
		add("MNIST-sized", alpha, y, 10, []float64{0, 1e-11}[trial%2])
	}
	return cases
}

// TestCertifyMatchesQuickselect compares the K-class certificate with the
// computation it replaced on every case of kernelCases.
func TestCertifyMatchesQuickselect(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var c Certifier
	for _, tc := range kernelCases(rng) {
		wc, wr := refMulti(tc.alpha, tc.y, tc.classes, tc.alphaErr)
		if gc, gr := c.Certify(tc.alpha, tc.y, tc.classes, tc.alphaErr); gc != wc || gr != wr {
			t.Fatalf("%s (K = %d, n = %d, E = %g): Certify = (%d, %d), quickselect (%d, %d)\nα = %v\ny = %v",
				tc.name, tc.classes, len(tc.y), tc.alphaErr, gc, gr, wc, wr, tc.alpha, tc.y)
		}
	}
}

// TestGreedyPerRival checks Fewest rival by rival against the old
// computation: an answer it gives itself must be the old one, a skipped
// rival must need more than the fewest, and the fallback must be rare on
// continuous weights and must decide the near-ties.
func TestGreedyPerRival(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	var g Greedy
	type tally struct{ rivals, own, skipped, fallback int }
	counts := map[string]*tally{}
	for _, tc := range kernelCases(rng) {
		g.Reset(tc.alpha, tc.y, tc.classes)
		scores, abs := refScores(tc.alpha, tc.y, tc.classes)
		if !slices.Equal(scores, g.Scores()) || abs != g.AbsSum() {
			t.Fatalf("%s: scores %v, Σ|α| %v; want %v, %v", tc.name, g.Scores(), g.AbsSum(), scores, abs)
		}
		class := g.Class()
		want := make([]int, tc.classes)
		fewestAll := -1
		for j := range tc.classes {
			if j != class {
				want[j] = refRival(tc.alpha, tc.y, tc.classes, class, j, scores, abs, tc.alphaErr)
				if want[j] >= 0 && (fewestAll < 0 || want[j] < fewestAll) {
					fewestAll = want[j]
				}
			}
		}
		fell := map[int]bool{}
		m := make([]int, tc.classes)
		coef := marginCoef(len(tc.alpha))
		g.Fewest(tc.alphaErr, coef, func(j int) int { fell[j] = true; return want[j] }, m)
		tl := counts[tc.name]
		if tl == nil {
			tl = &tally{}
			counts[tc.name] = tl
		}
		for j := range tc.classes {
			if j == class {
				continue
			}
			tl.rivals++
			switch {
			case fell[j]:
				tl.fallback++
			case m[j] == Skipped:
				tl.skipped++
				if want[j] >= 0 && want[j] <= fewestAll {
					t.Fatalf("%s: rival %d skipped, but needs %d, the fewest of all %d", tc.name, j, want[j], fewestAll)
				}
			default:
				tl.own++
			}
			if m[j] != Skipped && m[j] != want[j] {
				t.Fatalf("%s (K = %d, n = %d): rival %d: Fewest %d, quickselect %d", tc.name, tc.classes, len(tc.y), j, m[j], want[j])
			}
			if moves, _ := g.Top(j); m[j] > 0 && !fell[j] {
				checkTop(t, tc, class, j, moves, m[j])
			}
		}
	}
	for name, tl := range counts {
		t.Logf("%-20s %5d rivals: %5d answered, %5d skipped, %4d left to the fallback", name, tl.rivals, tl.own, tl.skipped, tl.fallback)
	}
	for _, name := range []string{"ridge-like", "MNIST-sized", "half zeros"} {
		if tl := counts[name]; tl.fallback*100 > tl.rivals || tl.own == 0 {
			t.Errorf("%s: %d of %d rivals left to the fallback, %d answered", name, tl.fallback, tl.rivals, tl.own)
		}
	}
}

// checkTop checks that Top gives the first moves of the greedy order towards
// rival j, at least m of them.
func checkTop(t *testing.T, tc kernelCase, class, j int, top []Move, m int) {
	t.Helper()
	moves := slices.Clone(top)
	slices.SortStableFunc(moves, func(a, b Move) int {
		switch {
		case a.Gain > b.Gain:
			return -1
		case a.Gain < b.Gain:
			return 1
		}
		return int(a.Index) - int(b.Index)
	})
	var all []Move
	for i, a := range tc.alpha {
		if gain := moveGain(a, tc.y[i], class, j); gain > 0 {
			all = append(all, Move{gain, int32(i)})
		}
	}
	slices.SortStableFunc(all, func(a, b Move) int {
		switch {
		case a.Gain > b.Gain:
			return -1
		case a.Gain < b.Gain:
			return 1
		}
		return 0
	})
	if len(moves) < m || len(moves) > len(all) || !slices.Equal(moves, all[:len(moves)]) {
		t.Fatalf("%s: rival %d: Top gives %d moves (need %d) that are not the first of the greedy order", tc.name, j, len(moves), m)
	}
}

// moveGain is how much relabelling a point of weight a and label k lowers
// the margin s_class − s_j, at best, written from the one-hot scores: a point
// of class gives 2a (to j), one of j gives −2a (to class), any other |a|
// (to j if a > 0, else to class).
func moveGain(a float64, k, class, j int) float64 {
	switch k {
	case class:
		return 2 * a
	case j:
		return -2 * a
	}
	return math.Abs(a)
}

// walkRival is the crossing of a rival found by a plain walk over its moves
// sorted largest first: the same answer as refRival except where the order
// of summation decides.
func walkRival(alpha []float64, y []int, class, j int, scores []float64, abs, alphaErr float64) int {
	var moves []float64
	var total float64
	for i, a := range alpha {
		if d := moveGain(a, y[i], class, j); d > 0 {
			moves = append(moves, d)
			total += d
		}
	}
	slices.Sort(moves)
	t := alphaErr + marginCoef(len(alpha))*(abs+total)
	v := scores[class] - scores[j]
	if v <= t {
		return 0
	}
	for k := len(moves) - 1; k >= 0; k-- {
		if v -= moves[k]; v <= t {
			return len(moves) - k
		}
	}
	return -1
}

// TestCertifyWhereRoundingDecides places the threshold within a few ulps of
// a partial margin, by the choice of E, on weights whose sums round, so that
// the order of summation decides many answers: the certificate must still
// be the quickselect's.
func TestCertifyWhereRoundingDecides(t *testing.T) {
	rng := rand.New(rand.NewPCG(25, 26))
	var c Certifier
	decided := 0
	for trial := range 1000 {
		classes := 3 + trial%8
		n := 500 + rng.IntN(2500) // more than quickselect sorts outright
		alpha, y := kerneltest.RidgeLike(rng, n, classes)
		for i := range alpha {
			alpha[i] = math.Round(alpha[i]*float64(n)*10) / 10 / float64(n) // decimal-like: sums round
		}
		scores, abs := refScores(alpha, y, classes)
		class := decide.Argmax(scores)
		j := (class + 1 + rng.IntN(classes-1)) % classes
		// E so that the threshold is within a few ulps of the margin after
		// k sorted moves.
		var moves []float64
		var total float64
		for i, a := range alpha {
			if g := moveGain(a, y[i], class, j); g > 0 {
				moves = append(moves, g)
				total += g
			}
		}
		if len(moves) == 0 {
			continue
		}
		slices.Sort(moves)
		slices.Reverse(moves)
		// The margins after 0, 1, … moves while they stay positive; pick one.
		margins := []float64{scores[class] - scores[j]}
		for _, g := range moves {
			if x := margins[len(margins)-1] - g; x > 0 {
				margins = append(margins, x)
				continue
			}
			break
		}
		k := rng.IntN(len(margins))
		size := scores[class] - scores[j] + math.Abs(scores[class]) // the scale of the sums' rounding
		alphaErr := margins[k] - marginCoef(n)*(abs+total) + float64(rng.IntN(17)-8)*0x1p-53*size
		if !(alphaErr >= 0) {
			continue
		}
		want := refRival(alpha, y, classes, class, j, scores, abs, alphaErr)
		if walkRival(alpha, y, class, j, scores, abs, alphaErr) != want {
			decided++
		}
		wc, wr := refMulti(alpha, y, classes, alphaErr)
		if gc, gr := c.Certify(alpha, y, classes, alphaErr); gc != wc || gr != wr {
			t.Fatalf("trial %d (K = %d, n = %d, E = %g): Certify = (%d, %d), quickselect (%d, %d)", trial, classes, n, alphaErr, gc, gr, wc, wr)
		}
	}
	t.Logf("the order of summation decided %d of 1000 answers", decided)
	if decided < 20 {
		t.Errorf("the order of summation decided only %d answers: the test lost its teeth", decided)
	}
}

// BenchmarkCertifyMNIST10Sized times the ten-class certificate at the size
// of full MNIST (n = 50,000) on kernel vectors of ridgeLike, per point and
// per point and rival.
func BenchmarkCertifyMNIST10Sized(b *testing.B) {
	rng := rand.New(rand.NewPCG(27, 28))
	const points = 16
	alphas, ys := make([][]float64, points), make([][]int, points)
	for i := range alphas {
		alphas[i], ys[i] = kerneltest.RidgeLike(rng, 50000, 10)
	}
	var c Certifier
	b.ReportAllocs()
	for b.Loop() {
		for i, a := range alphas {
			c.Certify(a, ys[i], 10, 1e-11)
		}
	}
	per := float64(b.Elapsed().Nanoseconds()) / float64(b.N*points)
	b.ReportMetric(per/1e6, "ms/point")
	b.ReportMetric(per/9, "ns/point×rival")
}
