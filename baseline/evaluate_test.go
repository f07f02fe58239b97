package baseline

import (
	"runtime"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"flipcert/internal/mnisttest"
	"flipcert/nn"
)

// small17 is a 1,000-image MNIST 1/7 setup with pixel features.
func small17(t *testing.T) Setup {
	x, y := mnisttest.Digits(t, false, 1000, 1, 7)
	tx, ty := mnisttest.Digits(t, true, 300, 1, 7)
	return Setup{TrainX: x, TrainY: y, TestX: tx, TestY: ty, TrainFeat: x, TestFeat: tx, Points: 10, FineTuneEpochs: 5}
}

// small3 is a 900-image setup of digits 0, 1 and 7 (K = 3) with pixel features.
func small3(t *testing.T) Setup {
	x, y := mnisttest.Digits(t, false, 900, 0, 1, 7)
	tx, ty := mnisttest.Digits(t, true, 300, 0, 1, 7)
	return Setup{
		TrainX: x, TrainY: y, TestX: tx, TestY: ty, TrainFeat: x, TestFeat: tx,
		Net: nn.ClassifierConfig{Classes: 3}, Points: 20, FineTuneEpochs: 3,
	}
}

func newEvaluator(t *testing.T, s Setup) *Evaluator {
	t.Helper()
	e, err := NewEvaluator(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func images(t *testing.T, x *mat.Dense) *nn.Images {
	t.Helper()
	im, err := nn.NewImages(x)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

func TestEvaluator(t *testing.T) {
	s := small17(t)
	e := newEvaluator(t, s)
	// At zero flips the random attack is the clean network, trained here
	// independently through package nn.
	cfg := s.Net
	cfg.Seed = 4
	c, err := nn.TrainClassifier(images(t, s.TrainX), s.TrainY, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := c.Accuracy(images(t, s.TestX), s.TestY)
	if got, err := e.RandomAccuracy(0, 4); err != nil || got != want {
		t.Errorf("RandomAccuracy(0) = %v, %v; clean accuracy %v", got, err, want)
	}
	if want < 0.95 {
		t.Errorf("clean accuracy %.3f on 1/7 from 1,000 images, want ≥ 0.95", want)
	}
	clean, err := e.PointwiseAccuracy(0, 4)
	if err != nil || clean < 0.9 {
		t.Errorf("PointwiseAccuracy(0) = %v, %v; want ≥ 0.9", clean, err)
	}
	// Relabelling every training point of the predicted class leaves only the
	// other label in the training set: no evaluated point can survive.
	all, err := e.PointwiseAccuracy(len(s.TrainY), 4)
	if err != nil || all != 0 {
		t.Errorf("PointwiseAccuracy(n) = %v, %v; want 0", all, err)
	}
	for _, flips := range []int{-1, len(s.TrainY) + 1} {
		if _, err := e.RandomAccuracy(flips, 1); err == nil {
			t.Errorf("RandomAccuracy(%d) gave no error", flips)
		}
		if _, err := e.PointwiseAccuracy(flips, 1); err == nil {
			t.Errorf("PointwiseAccuracy(%d) gave no error", flips)
		}
	}
}

// nearestWithLabel ranks the training points labelled pred by their distance
// to test point t (floats.Distance, stable), independently of Pointwise.
func nearestWithLabel(s Setup, t, pred int) []int {
	var cands []int
	for i, v := range s.TrainY {
		if v == pred {
			cands = append(cands, i)
		}
	}
	dist := func(i int) float64 { return floats.Distance(s.TrainFeat.RawRowView(i), s.TestFeat.RawRowView(t), 2) }
	sort.SliceStable(cands, func(a, b int) bool { return dist(cands[a]) < dist(cands[b]) })
	return cands
}

// TestPointwiseRelabelsToRunnerUp checks, for K = 3, that each evaluated
// point's prediction and runner-up are those of the clean network's scores
// (trained here independently, ranked by a stable sort), and that the attack
// with budget b relabels exactly the b nearest training points carrying the
// prediction, each to the runner-up.
func TestPointwiseRelabelsToRunnerUp(t *testing.T) {
	s := small3(t)
	e := newEvaluator(t, s)
	const seed, b = 3, 25
	if _, err := e.PointwiseAccuracy(0, seed); err != nil {
		t.Fatal(err)
	}
	cfg := s.Net
	cfg.Seed = seed
	clean, err := nn.TrainClassifier(images(t, s.TrainX), s.TrainY, cfg)
	if err != nil {
		t.Fatal(err)
	}
	scores := clean.Scores(images(t, s.TestX))
	notNext := 0 // points whose runner-up is not simply the next class
	for _, p := range e.runs[seed].points {
		row := scores.RawRowView(p.t)
		rank := []int{0, 1, 2}
		sort.SliceStable(rank, func(a, b int) bool { return row[rank[a]] > row[rank[b]] })
		if p.pred != rank[0] || p.runnerUp != rank[1] {
			t.Fatalf("test point %d, scores %v: prediction %d and runner-up %d, want %d and %d", p.t, row, p.pred, p.runnerUp, rank[0], rank[1])
		}
		if p.runnerUp != (p.pred+1)%3 {
			notNext++
		}
		want := slices.Clone(s.TrainY)
		for _, i := range nearestWithLabel(s, p.t, p.pred)[:b] {
			want[i] = p.runnerUp
		}
		if got := e.attackedLabels(p, b); !slices.Equal(got, want) {
			t.Fatalf("test point %d: attacked labels differ from the %d nearest relabelled to %d", p.t, b, p.runnerUp)
		}
	}
	if notNext == 0 || notNext == len(e.runs[seed].points) {
		t.Errorf("runner-up is the next class for %d of %d points: the test cannot tell the two rules apart", len(e.runs[seed].points)-notNext, len(e.runs[seed].points))
	}
}

// TestPointwiseBinaryIsFlip checks that for K = 2 the pointwise attack is the
// flip y ↦ 1−y of the Pointwise indices.
func TestPointwiseBinaryIsFlip(t *testing.T) {
	s := small17(t)
	e := newEvaluator(t, s)
	if _, err := e.PointwiseAccuracy(0, 2); err != nil {
		t.Fatal(err)
	}
	for _, p := range e.runs[2].points {
		want := slices.Clone(s.TrainY)
		for _, i := range Pointwise(s.TrainFeat, s.TrainY, s.TestFeat.RawRowView(p.t), p.pred, 40) {
			want[i] = 1 - want[i]
		}
		if got := e.attackedLabels(p, 40); !slices.Equal(got, want) {
			t.Fatalf("test point %d: K = 2 attack is not the flip of the 40 nearest", p.t)
		}
	}
}

// TestPointwiseBudgets checks the budget ladder: with Budgets {20, 40, 80} the
// accuracy at b must be the share of points the clean network gets right that
// survive each attack with a budget in the ladder up to b, each computed on its
// own by an evaluator without Budgets. Real outcomes on this data rarely
// differ between the two rules (a point broken at 20 survives at 40), so one
// point that survives everything is marked broken at 20 in the ladder's cache
// before it runs: it must count as wrong from 20 on and never be attacked
// again. Asking for the budgets in any order gives the same.
func TestPointwiseBudgets(t *testing.T) {
	s := small3(t)
	alone := newEvaluator(t, s)
	s.Budgets = []int{80, 20, 40, 20}
	ladder := newEvaluator(t, s)
	const seed = 6
	budgets := []int{20, 40, 80}
	for _, b := range budgets {
		if _, err := alone.PointwiseAccuracy(b, seed); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ladder.PointwiseAccuracy(0, seed); err != nil {
		t.Fatal(err)
	}
	points := alone.runs[seed].points
	outcome := func(k, b int) bool { return points[k].survived[b] }
	planted := -1
	for k, p := range points {
		if p.pred == s.TestY[p.t] && outcome(k, 20) && outcome(k, 40) && outcome(k, 80) {
			planted = k
			ladder.runs[seed].points[k].survived[20] = false
			outcome = func(k, b int) bool { return points[k].survived[b] && (k != planted || b != 20) }
			break
		}
	}
	if planted < 0 {
		t.Fatal("no point survives every budget: nothing to plant")
	}
	for _, b := range []int{80, 20, 40} {
		got, err := ladder.PointwiseAccuracy(b, seed)
		if err != nil {
			t.Fatal(err)
		}
		ok := 0
		for k, p := range points {
			survives := p.pred == s.TestY[p.t]
			for _, c := range budgets {
				if c <= b {
					survives = survives && outcome(k, c)
				}
			}
			if survives {
				ok++
			}
		}
		if want := float64(ok) / float64(len(points)); got != want {
			t.Errorf("PointwiseAccuracy(%d) with budgets %v = %v, want %v", b, budgets, got, want)
		}
	}
	if tried := ladder.runs[seed].points[planted].survived; len(tried) != 1 {
		t.Errorf("the point broken at 20 was attacked again: outcomes %v", tried)
	}
}

// TestEvaluatorDeterministic runs both attacks for K = 3 under GOMAXPROCS 1
// and 2 and with one worker, each on a fresh evaluator: the accuracies must
// be identical.
func TestEvaluatorDeterministic(t *testing.T) {
	s := small3(t)
	s.Budgets = []int{30, 90}
	measure := func(procs, workers int) [3]float64 {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		s := s
		s.Net.Workers = workers
		e := newEvaluator(t, s)
		var out [3]float64
		var err error
		if out[0], err = e.RandomAccuracy(150, 5); err != nil {
			t.Fatal(err)
		}
		for k, b := range []int{30, 90} {
			if out[1+k], err = e.PointwiseAccuracy(b, 5); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	want := measure(1, 0)
	for _, tc := range []struct{ procs, workers int }{{2, 0}, {2, 1}} {
		if got := measure(tc.procs, tc.workers); got != want {
			t.Errorf("GOMAXPROCS %d, %d workers: accuracies %v, want %v as with GOMAXPROCS 1", tc.procs, tc.workers, got, want)
		}
	}
}

func TestSetupValidation(t *testing.T) {
	good := func() Setup {
		x := mat.NewDense(3, nn.Pixels, nil)
		f := mat.NewDense(3, 2, nil)
		return Setup{TrainX: x, TestX: x, TrainFeat: f, TestFeat: f, TrainY: []int{0, 1, 1}, TestY: []int{1, 0, 0}}
	}
	if _, err := NewEvaluator(good()); err != nil {
		t.Fatalf("valid setup rejected: %v", err)
	}
	three := good()
	three.TestY, three.Net.Classes, three.Budgets = []int{0, 2, 1}, 3, []int{3, 0, 1}
	if _, err := NewEvaluator(three); err != nil {
		t.Fatalf("valid 3-class setup rejected: %v", err)
	}
	for name, breakIt := range map[string]func(*Setup){
		"nil matrix":      func(s *Setup) { s.TestFeat = nil },
		"label count":     func(s *Setup) { s.TrainY = s.TrainY[:2] },
		"feature rows":    func(s *Setup) { s.TrainFeat = mat.NewDense(2, 2, nil) },
		"feature widths":  func(s *Setup) { s.TestFeat = mat.NewDense(3, 3, nil) },
		"label beyond K":  func(s *Setup) { s.TestY = []int{0, 2, 1} },
		"negative label":  func(s *Setup) { s.TrainY = []int{0, -1, 1} },
		"one class":       func(s *Setup) { s.Net.Classes = 1 },
		"budget beyond n": func(s *Setup) { s.Budgets = []int{1, 4} },
		"negative budget": func(s *Setup) { s.Budgets = []int{-1} },
		"negative points": func(s *Setup) { s.Points = -1 },
	} {
		s := good()
		breakIt(&s)
		if _, err := NewEvaluator(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
