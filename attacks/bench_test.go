package attacks

import (
	"testing"
	"time"

	"flipcert/internal/mnisttest"
)

// mnist17 is the MNIST 1/7 setup with raw pixels as the pointwise features.
func mnist17(tb testing.TB) Setup {
	x, y := mnisttest.Digits(tb, false, 0, 1, 7)
	tx, ty := mnisttest.Digits(tb, true, 0, 1, 7)
	return Setup{TrainX: x, TrainY: y, TestX: tx, TestY: ty, TrainFeat: x, TestFeat: tx}
}

// benchmarkUnit times one (attack, budget) work unit at 520 flips (≈4%), with
// the clean network already cached.
func benchmarkUnit(b *testing.B, unit func(e *Evaluator, flips int, seed uint64) (float64, error)) {
	e, err := NewEvaluator(mnist17(b))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.cleanNet(1); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		acc, err := unit(e, 520, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(acc, "accuracy")
	}
}

func BenchmarkRandomAccuracy(b *testing.B) { benchmarkUnit(b, (*Evaluator).RandomAccuracy) }

func BenchmarkPointwiseAccuracy(b *testing.B) { benchmarkUnit(b, (*Evaluator).PointwiseAccuracy) }

// BenchmarkBaselineCurve runs the default baseline (both attacks, the budgets
// of the MNIST 1/7 figure, 50 points, one seed) and logs the curve.
func BenchmarkBaselineCurve(b *testing.B) {
	for b.Loop() {
		e, err := NewEvaluator(mnist17(b))
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range []int{0, 100, 200, 300, 400, 520, 650, 800, 1000, 1300, 1600, 2000} {
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
			b.Logf("r=%4d random %.4f (%.1fs) pointwise %.2f (%.1fs)", r, ra, t1.Sub(t0).Seconds(), pa, time.Since(t1).Seconds())
		}
	}
}
