package baseline

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"flipcert/nn"
	"flipcert/parallel"
	"flipcert/randstream"
)

// Setup is the data and network of one baseline experiment.
type Setup struct {
	TrainX, TestX       *mat.Dense // network inputs: 784-pixel rows in [0,1]
	TrainY, TestY       []int      // clean labels in 0..K−1, K = Net.Classes
	TrainFeat, TestFeat *mat.Dense // label-free features that choose the pointwise relabellings
	// Net configures the baseline; Net.Classes is K (0 means 2). Its Seed is
	// replaced by the seed of each call, so one seed drives the
	// initialisation, the shuffling and the attack.
	Net nn.ClassifierConfig
	// Points is the number of test points evaluated under the pointwise
	// attack, a random subset drawn per seed; 0 means 50.
	Points int
	// FineTuneEpochs is the length of the pointwise attack's fine-tuning from
	// the clean weights; 0 means 1.
	FineTuneEpochs int
	// Budgets are the attack budgets of the experiment, each in 0..n. The
	// pointwise attack with budget r also tries every smaller budget in this
	// list, since an adversary allowed r changes may make fewer; empty means
	// it tries r alone. See PointwiseAccuracy.
	Budgets []int
}

// classes is K; 0 in Net.Classes means nn's default of 2.
func (s Setup) classes() int { return cmp.Or(s.Net.Classes, 2) }

// Evaluator measures the baseline's accuracy under attack. It trains the clean
// network once per seed and caches it, and caches each pointwise attack's
// outcome; it is safe for concurrent use.
type Evaluator struct {
	s           Setup
	train, test *nn.Images
	mu          sync.Mutex
	runs        map[uint64]*seedRun
	budgets     []int // s.Budgets sorted, without duplicates
}

// seedRun is the cached work of one seed.
type seedRun struct {
	once sync.Once
	net  *nn.Classifier
	err  error
	// pointwise guards points, which PointwiseAccuracy fills as it goes.
	pointwise sync.Mutex
	points    []*target
}

// target is one test point under the pointwise attack.
type target struct {
	t, label int
	pred     int   // the clean network's prediction
	runnerUp int   // its second-highest score (lowest class on ties)
	nearest  []int // Pointwise's order of all candidates, computed on first use
	tuneSeed uint64
	// survived maps a budget to whether t is still classified correctly
	// after the attack with that budget alone.
	survived map[int]bool
}

// NewEvaluator validates s and returns an evaluator for it.
func NewEvaluator(s Setup) (*Evaluator, error) {
	if s.Points == 0 {
		s.Points = 50
	}
	if s.FineTuneEpochs == 0 {
		s.FineTuneEpochs = 1
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	train, err := nn.NewImages(s.TrainX)
	if err != nil {
		return nil, err
	}
	test, err := nn.NewImages(s.TestX)
	if err != nil {
		return nil, err
	}
	budgets := slices.Clone(s.Budgets)
	slices.Sort(budgets)
	return &Evaluator{s: s, train: train, test: test, runs: map[uint64]*seedRun{}, budgets: slices.Compact(budgets)}, nil
}

func (s Setup) validate() error {
	if s.TrainX == nil || s.TestX == nil || s.TrainFeat == nil || s.TestFeat == nil {
		return errors.New("baseline: setup has a nil matrix")
	}
	n, _ := s.TrainX.Dims()
	m, _ := s.TestX.Dims()
	nf, df := s.TrainFeat.Dims()
	mf, dt := s.TestFeat.Dims()
	switch {
	case len(s.TrainY) != n || nf != n:
		return fmt.Errorf("baseline: %d training images, %d labels, %d feature rows", n, len(s.TrainY), nf)
	case len(s.TestY) != m || mf != m:
		return fmt.Errorf("baseline: %d test images, %d labels, %d feature rows", m, len(s.TestY), mf)
	case df != dt:
		return fmt.Errorf("baseline: %d training features but %d test features", df, dt)
	case s.Points < 0 || s.FineTuneEpochs < 0:
		return fmt.Errorf("baseline: Points %d, FineTuneEpochs %d", s.Points, s.FineTuneEpochs)
	case s.classes() < 2:
		return fmt.Errorf("baseline: %d classes", s.Net.Classes)
	}
	for _, b := range s.Budgets {
		if b < 0 || b > n {
			return fmt.Errorf("baseline: budget %d of %d training labels", b, n)
		}
	}
	k := s.classes()
	for _, ys := range [][]int{s.TrainY, s.TestY} {
		for i, v := range ys {
			if v < 0 || v >= k {
				return fmt.Errorf("baseline: label %d of point %d is outside 0..%d", v, i, k-1)
			}
		}
	}
	return nil
}

// run returns the cached work of a seed, training the clean network on first use.
func (e *Evaluator) run(seed uint64) (*seedRun, error) {
	e.mu.Lock()
	run, ok := e.runs[seed]
	if !ok {
		run = &seedRun{}
		e.runs[seed] = run
	}
	e.mu.Unlock()
	run.once.Do(func() {
		run.net, run.err = nn.TrainClassifier(e.train, e.s.TrainY, e.config(seed))
	})
	return run, run.err
}

// cleanNet returns the network trained on the clean labels with this seed.
func (e *Evaluator) cleanNet(seed uint64) (*nn.Classifier, error) {
	run, err := e.run(seed)
	if err != nil {
		return nil, err
	}
	return run.net, nil
}

func (e *Evaluator) config(seed uint64) nn.ClassifierConfig {
	cfg := e.s.Net
	cfg.Seed = seed
	return cfg
}

func (e *Evaluator) checkFlips(flips int) error {
	if n := len(e.s.TrainY); flips < 0 || flips > n {
		return fmt.Errorf("baseline: %d flips of %d training labels", flips, n)
	}
	return nil
}

// RandomAccuracy relabels flips training points chosen uniformly at random
// (Random), each to one of the other classes chosen uniformly (RandomLabels),
// retrains the network from scratch (same initialisation and shuffling as the
// clean network of this seed) and returns its accuracy on the whole test set.
// For one seed the attacks are nested: a larger budget extends a smaller one
// with the same new labels.
func (e *Evaluator) RandomAccuracy(flips int, seed uint64) (float64, error) {
	if err := e.checkFlips(flips); err != nil {
		return 0, err
	}
	if flips == 0 {
		c, err := e.cleanNet(seed)
		if err != nil {
			return 0, err
		}
		return c.Accuracy(e.test, e.s.TestY), nil
	}
	idx := Random(len(e.s.TrainY), flips, randstream.New(seed, "attacks random flips", 0))
	y := RandomLabels(e.s.TrainY, idx, e.s.classes(), randstream.New(seed, "attacks random labels", 0))
	c, err := nn.TrainClassifier(e.train, y, e.config(seed))
	if err != nil {
		return 0, err
	}
	return c.Accuracy(e.test, e.s.TestY), nil
}

// PointwiseAccuracy is the share of Points test points (a random subset fixed
// by seed) that the network still classifies correctly under the pointwise
// attack with budget flips (docs/science.md §6).
//
// The attack with budget b on test point t: the b training points nearest to
// t in feature space among those whose label is the clean network's
// prediction at t (Pointwise) are relabelled to the clean network's runner-up
// class at t, and the clean network is fine-tuned on the attacked labels for
// FineTuneEpochs epochs over the whole training set (not retrained from
// scratch, to keep one attack per point affordable). t is broken if the
// fine-tuned network misclassifies it.
//
// With budget flips the adversary tries b = flips and every smaller budget in
// Budgets, and t counts as correct only if none of them breaks it; a point
// broken at one budget is not attacked at larger ones. A point the clean
// network already gets wrong needs no attack and counts as wrong; at flips = 0
// nothing is fine-tuned. Each (point, budget) outcome is computed once per
// seed and reused by later calls.
func (e *Evaluator) PointwiseAccuracy(flips int, seed uint64) (float64, error) {
	if err := e.checkFlips(flips); err != nil {
		return 0, err
	}
	run, err := e.run(seed)
	if err != nil {
		return 0, err
	}
	run.pointwise.Lock()
	defer run.pointwise.Unlock()
	if run.points == nil {
		run.points = e.targets(run.net, seed)
	}
	ladder := e.ladder(flips)
	for _, b := range ladder {
		var todo []*target
		for _, p := range run.points {
			if _, done := p.survived[b]; !done && p.correct(ladder, b) {
				todo = append(todo, p)
			}
		}
		// Each fine-tuning is serial when there are several to run side by side.
		workers := e.s.Net.Workers
		if len(todo) > 1 {
			workers = 1
		}
		ok := make([]bool, len(todo))
		errs := make([]error, len(todo))
		parallel.For(len(todo), e.s.Net.Workers, func(_, k int) {
			ok[k], errs[k] = e.attack(run.net, todo[k], b, workers)
		})
		if err := errors.Join(errs...); err != nil {
			return 0, err
		}
		for k, p := range todo {
			p.survived[b] = ok[k]
		}
	}
	correct := 0
	for _, p := range run.points {
		if p.correct(ladder, flips+1) {
			correct++
		}
	}
	return float64(correct) / float64(len(run.points)), nil
}

// ladder returns the budgets the attack with budget flips tries, ascending:
// the positive budgets of Setup.Budgets below flips, and flips itself.
func (e *Evaluator) ladder(flips int) []int {
	var l []int
	for _, b := range e.budgets {
		if b > 0 && b < flips {
			l = append(l, b)
		}
	}
	if flips > 0 {
		l = append(l, flips)
	}
	return l
}

// correct reports whether p is classified correctly by the clean network and
// survived every attack of the ladder with a budget below limit.
func (p *target) correct(ladder []int, limit int) bool {
	if p.pred != p.label {
		return false
	}
	for _, b := range ladder {
		if b >= limit {
			break
		}
		if !p.survived[b] {
			return false
		}
	}
	return true
}

// targets draws the evaluated test points of a seed and records the clean
// network's prediction and runner-up at each.
func (e *Evaluator) targets(clean *nn.Classifier, seed uint64) []*target {
	m := len(e.s.TestY)
	idx := Random(m, min(e.s.Points, m), randstream.New(seed, "attacks pointwise points", 0))
	out := make([]*target, len(idx))
	for k, t := range idx {
		first, second := topTwo(clean.Scores(e.test.Slice(t, t+1)).RawRowView(0))
		out[k] = &target{
			t: t, label: e.s.TestY[t], pred: first, runnerUp: second, survived: map[int]bool{},
			tuneSeed: randstream.New(seed, "attacks pointwise fine-tune", uint64(t)).Uint64(),
		}
	}
	return out
}

// topTwo returns the indices of the largest and second-largest scores, the
// lower index first among equal scores. It panics on fewer than two scores.
func topTwo(scores []float64) (first, second int) {
	if len(scores) < 2 {
		panic(fmt.Sprintf("baseline: %d scores", len(scores)))
	}
	first, second = 0, 1
	if scores[1] > scores[0] {
		first, second = 1, 0
	}
	for j := 2; j < len(scores); j++ {
		switch {
		case scores[j] > scores[first]:
			first, second = j, first
		case scores[j] > scores[second]:
			second = j
		}
	}
	return first, second
}

// attackedLabels returns the training labels of the pointwise attack with
// budget b on p: its b nearest candidates relabelled to the runner-up class.
func (e *Evaluator) attackedLabels(p *target, b int) []int {
	if p.nearest == nil {
		p.nearest = Pointwise(e.s.TrainFeat, e.s.TrainY, e.s.TestFeat.RawRowView(p.t), p.pred, len(e.s.TrainY))
	}
	y := slices.Clone(e.s.TrainY)
	for _, i := range p.nearest[:min(b, len(p.nearest))] {
		y[i] = p.runnerUp
	}
	return y
}

// attack reports whether p is still classified correctly after the pointwise
// attack with budget b, fine-tuning on the given number of workers.
func (e *Evaluator) attack(clean *nn.Classifier, p *target, b, workers int) (bool, error) {
	tuned, err := clean.FineTune(e.train, e.attackedLabels(p, b), e.s.FineTuneEpochs, p.tuneSeed, workers)
	if err != nil {
		return false, err
	}
	return tuned.Predict(e.test.Slice(p.t, p.t+1))[0] == p.label, nil
}
