package baseline

import (
	"math"
	"testing"
	"time"

	"flipcert/internal/mnisttest"
	"flipcert/nn"
)

// mnist17Budgets are the budgets of the MNIST 1/7 figure.
var mnist17Budgets = []int{0, 100, 200, 300, 400, 520, 650, 800, 1000, 1300, 1600, 2000}

// benchSets are the baseline's two experiments with raw pixels as the
// pointwise features: MNIST 1/7 (13,007 training and 2,163 test images,
// K = 2) and the ten digits (the first 50,000 training images, the attacked
// split of the ten-digit experiment, and the 10,000 test images, K = 10), whose
// budgets are MNIST 1/7's scaled by 50,000/13,007.
var benchSets = []struct {
	name   string
	limit  int
	digits []int
}{
	{"mnist17", 0, []int{1, 7}},
	{"mnist10", 50000, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
}

func benchSetup(tb testing.TB, limit int, digits []int) Setup {
	x, y := mnisttest.Digits(tb, false, limit, digits...)
	tx, ty := mnisttest.Digits(tb, true, 0, digits...)
	s := Setup{TrainX: x, TrainY: y, TestX: tx, TestY: ty, TrainFeat: x, TestFeat: tx, Net: nn.ClassifierConfig{Classes: len(digits)}}
	for _, b := range mnist17Budgets {
		s.Budgets = append(s.Budgets, int(math.Round(float64(b)*float64(len(y))/13007)))
	}
	return s
}

// benchmarkUnit times one (attack, budget) unit at the set's equivalent of 520
// flips (≈4%), with the clean network already trained. The pointwise attack
// is timed on its own (no smaller budgets tried, nothing cached).
func benchmarkUnit(b *testing.B, unit func(e *Evaluator, flips int, seed uint64) (float64, error)) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			s := benchSetup(b, set.limit, set.digits)
			flips := s.Budgets[5]
			s.Budgets = nil
			e, err := NewEvaluator(s)
			if err != nil {
				b.Fatal(err)
			}
			run, err := e.run(1)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				run.points = nil
				acc, err := unit(e, flips, 1)
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(acc, "accuracy")
			}
		})
	}
}

func BenchmarkRandomAccuracy(b *testing.B) { benchmarkUnit(b, (*Evaluator).RandomAccuracy) }

func BenchmarkPointwiseAccuracy(b *testing.B) { benchmarkUnit(b, (*Evaluator).PointwiseAccuracy) }

// BenchmarkBaselineCurve runs a whole default baseline (both attacks at every
// budget, 50 pointwise points, 5 epochs, one seed, budgets in increasing
// order as an experiment runs them) and logs the curve with the time of each
// unit.
func BenchmarkBaselineCurve(b *testing.B) {
	for _, set := range benchSets {
		b.Run(set.name, func(b *testing.B) {
			s := benchSetup(b, set.limit, set.digits)
			for b.Loop() {
				e, err := NewEvaluator(s)
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range s.Budgets {
					t0 := time.Now()
					ra, err := e.RandomAccuracy(r, 1)
					if err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					pa, err := e.PointwiseAccuracy(r, 1)
					if err != nil {
						b.Fatal(err)
					}
					b.Logf("r=%4d random %.4f (%.2fs) pointwise %.2f (%.2fs)", r, ra, t1.Sub(t0).Seconds(), pa, time.Since(t1).Seconds())
				}
			}
		})
	}
}
