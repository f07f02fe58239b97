package attacks

import (
	"errors"
	"fmt"
	"sync"

	"gonum.org/v1/gonum/mat"

	"flipcert/nn"
	"flipcert/parallel"
	"flipcert/randstream"
)

// Setup is the data and network of one baseline experiment.
type Setup struct {
	TrainX, TestX       *mat.Dense // network inputs: 784-pixel rows in [0,1]
	TrainY, TestY       []int      // clean labels in {0, 1}
	TrainFeat, TestFeat *mat.Dense // label-free features that choose the pointwise flips
	// Net configures the baseline; its Seed is replaced by the seed of each
	// call, so one seed drives the initialisation, the shuffling and the attack.
	Net nn.ClassifierConfig
	// Points is the number of test points evaluated under the pointwise
	// attack, a random subset drawn per seed; 0 means 50.
	Points int
	// FineTuneEpochs is the length of the pointwise attack's fine-tuning from
	// the clean weights; 0 means 1.
	FineTuneEpochs int
}

// Evaluator measures the baseline's accuracy under attack. It trains the clean
// network once per seed and caches it; it is safe for concurrent use.
type Evaluator struct {
	s     Setup
	mu    sync.Mutex
	clean map[uint64]*cleanRun
}

type cleanRun struct {
	once sync.Once
	net  *nn.Classifier
	err  error
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
	return &Evaluator{s: s, clean: map[uint64]*cleanRun{}}, nil
}

func (s Setup) validate() error {
	if s.TrainX == nil || s.TestX == nil || s.TrainFeat == nil || s.TestFeat == nil {
		return errors.New("attacks: setup has a nil matrix")
	}
	n, _ := s.TrainX.Dims()
	m, _ := s.TestX.Dims()
	nf, df := s.TrainFeat.Dims()
	mf, dt := s.TestFeat.Dims()
	switch {
	case len(s.TrainY) != n || nf != n:
		return fmt.Errorf("attacks: %d training images, %d labels, %d feature rows", n, len(s.TrainY), nf)
	case len(s.TestY) != m || mf != m:
		return fmt.Errorf("attacks: %d test images, %d labels, %d feature rows", m, len(s.TestY), mf)
	case df != dt:
		return fmt.Errorf("attacks: %d training features but %d test features", df, dt)
	case s.Points < 0 || s.FineTuneEpochs < 0:
		return fmt.Errorf("attacks: Points %d, FineTuneEpochs %d", s.Points, s.FineTuneEpochs)
	}
	for _, ys := range [][]int{s.TrainY, s.TestY} {
		for i, v := range ys {
			if v != 0 && v != 1 {
				return fmt.Errorf("attacks: label %d of point %d is not 0 or 1", v, i)
			}
		}
	}
	return nil
}

// cleanNet returns the network trained on the clean labels with this seed.
func (e *Evaluator) cleanNet(seed uint64) (*nn.Classifier, error) {
	e.mu.Lock()
	run, ok := e.clean[seed]
	if !ok {
		run = &cleanRun{}
		e.clean[seed] = run
	}
	e.mu.Unlock()
	run.once.Do(func() {
		cfg := e.s.Net
		cfg.Seed = seed
		run.net, run.err = nn.TrainClassifier(e.s.TrainX, e.s.TrainY, cfg)
	})
	return run.net, run.err
}

func (e *Evaluator) checkFlips(flips int) error {
	if n := len(e.s.TrainY); flips < 0 || flips > n {
		return fmt.Errorf("attacks: %d flips of %d training labels", flips, n)
	}
	return nil
}

// flipped returns a copy of y with the labels at idx flipped (y ↦ 1−y).
func flipped(y []int, idx []int) []int {
	out := append([]int(nil), y...)
	for _, i := range idx {
		out[i] = 1 - out[i]
	}
	return out
}

// RandomAccuracy flips flips training labels chosen uniformly at random,
// retrains the network from scratch (same initialisation and shuffling as the
// clean network of this seed) and returns its accuracy on the whole test set.
// For one seed the flipped sets are nested: a larger budget extends a smaller one.
func (e *Evaluator) RandomAccuracy(flips int, seed uint64) (float64, error) {
	if err := e.checkFlips(flips); err != nil {
		return 0, err
	}
	if flips == 0 {
		c, err := e.cleanNet(seed)
		if err != nil {
			return 0, err
		}
		return c.Accuracy(e.s.TestX, e.s.TestY), nil
	}
	idx := Random(len(e.s.TrainY), flips, randstream.New(seed, "attacks random flips", 0))
	cfg := e.s.Net
	cfg.Seed = seed
	c, err := nn.TrainClassifier(e.s.TrainX, flipped(e.s.TrainY, idx), cfg)
	if err != nil {
		return 0, err
	}
	return c.Accuracy(e.s.TestX, e.s.TestY), nil
}

// PointwiseAccuracy is the share of Points test points (a random subset fixed
// by seed) that the network still classifies correctly after the pointwise
// attack on that point: the flips training labels nearest to it in feature
// space among those labelled with the clean network's prediction (Pointwise)
// are flipped, and the clean network is fine-tuned on the attacked labels for
// FineTuneEpochs epochs (not retrained from scratch, to keep one attack per
// point affordable). A point the clean network already gets wrong needs no
// attack and counts as wrong; at flips = 0 nothing is fine-tuned.
func (e *Evaluator) PointwiseAccuracy(flips int, seed uint64) (float64, error) {
	if err := e.checkFlips(flips); err != nil {
		return 0, err
	}
	clean, err := e.cleanNet(seed)
	if err != nil {
		return 0, err
	}
	m, _ := e.s.TestX.Dims()
	points := Random(m, min(e.s.Points, m), randstream.New(seed, "attacks pointwise points", 0))
	correct := make([]bool, len(points))
	errs := make([]error, len(points))
	parallel.For(len(points), e.s.Net.Workers, func(_, k int) {
		correct[k], errs[k] = e.attackPoint(clean, points[k], flips, seed)
	})
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	ok := 0
	for _, c := range correct {
		if c {
			ok++
		}
	}
	return float64(ok) / float64(len(points)), nil
}

// attackPoint reports whether test point t is still classified correctly
// after the pointwise attack with the given budget.
func (e *Evaluator) attackPoint(clean *nn.Classifier, t, flips int, seed uint64) (bool, error) {
	x := e.s.TestX.Slice(t, t+1, 0, nn.Pixels).(*mat.Dense)
	pred := clean.Predict(x)[0]
	if pred != e.s.TestY[t] || flips == 0 {
		return pred == e.s.TestY[t], nil
	}
	idx := Pointwise(e.s.TrainFeat, e.s.TrainY, e.s.TestFeat.RawRowView(t), pred, flips)
	tuneSeed := randstream.New(seed, "attacks pointwise fine-tune", uint64(t)).Uint64()
	tuned, err := clean.FineTune(e.s.TrainX, flipped(e.s.TrainY, idx), e.s.FineTuneEpochs, tuneSeed)
	if err != nil {
		return false, err
	}
	return tuned.Predict(x)[0] == e.s.TestY[t], nil
}
