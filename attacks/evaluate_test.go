package attacks

import (
	"runtime"
	"testing"

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

func TestEvaluator(t *testing.T) {
	s := small17(t)
	e, err := NewEvaluator(s)
	if err != nil {
		t.Fatal(err)
	}
	// At zero flips the random attack is the clean network, trained here
	// independently through package nn.
	cfg := s.Net
	cfg.Seed = 4
	c, err := nn.TrainClassifier(s.TrainX, s.TrainY, cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := c.Accuracy(s.TestX, s.TestY)
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
	// Flipping every training label of the predicted class leaves only the
	// other label in the training set: no evaluated point can survive.
	all, err := e.PointwiseAccuracy(len(s.TrainY), 4)
	if err != nil || all != 0 {
		t.Errorf("PointwiseAccuracy(n) = %v, %v; want 0", all, err)
	}
	// The result must not depend on GOMAXPROCS.
	var one, two float64
	withProcs := func(p int, out *float64) {
		old := runtime.GOMAXPROCS(p)
		defer runtime.GOMAXPROCS(old)
		if *out, err = e.PointwiseAccuracy(60, 5); err != nil {
			t.Fatal(err)
		}
	}
	withProcs(1, &one)
	withProcs(2, &two)
	if one != two {
		t.Errorf("PointwiseAccuracy(60) = %v with GOMAXPROCS 1, %v with 2", one, two)
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

func TestSetupValidation(t *testing.T) {
	good := func() Setup {
		x := mat.NewDense(3, nn.Pixels, nil)
		f := mat.NewDense(3, 2, nil)
		return Setup{TrainX: x, TestX: x, TrainFeat: f, TestFeat: f, TrainY: []int{0, 1, 1}, TestY: []int{1, 0, 0}}
	}
	if _, err := NewEvaluator(good()); err != nil {
		t.Fatalf("valid setup rejected: %v", err)
	}
	for name, breakIt := range map[string]func(*Setup){
		"nil matrix":       func(s *Setup) { s.TestFeat = nil },
		"label count":      func(s *Setup) { s.TrainY = s.TrainY[:2] },
		"feature rows":     func(s *Setup) { s.TrainFeat = mat.NewDense(2, 2, nil) },
		"feature widths":   func(s *Setup) { s.TestFeat = mat.NewDense(3, 3, nil) },
		"non-binary label": func(s *Setup) { s.TestY = []int{0, 2, 1} },
		"negative points":  func(s *Setup) { s.Points = -1 },
	} {
		s := good()
		breakIt(&s)
		if _, err := NewEvaluator(s); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
