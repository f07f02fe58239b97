package experiments

import (
	"errors"
	"runtime"
	"time"

	"flipcert/baseline"
	"flipcert/nn"
	"flipcert/parallel"
	"flipcert/randstream"
	"flipcert/tables"
)

// netRunner trains and attacks the undefended network (docs/science.md §6):
// an MLP on the pixels, trained on the attacked labels. Pointwise attacks
// choose the nearest training images in pixel space, which is label-free.
type netRunner struct {
	eval *baseline.Evaluator
	seed uint64
}

func newNetRunner(c Config, in *inputs) (*netRunner, error) {
	eval, err := baseline.NewEvaluator(baseline.Setup{
		TrainX: in.train.X, TestX: in.test.X,
		TrainY: in.train.Y, TestY: in.test.Y,
		TrainFeat: in.train.X, TestFeat: in.test.X,
		Net:     nn.ClassifierConfig{Classes: in.classes, Epochs: c.Baseline.Epochs},
		Points:  min(c.Baseline.Points, in.test.Len()),
		Budgets: c.Baseline.Flips,
	})
	if err != nil {
		return nil, err
	}
	return &netRunner{eval: eval, seed: c.Seed}, nil
}

// accuracy runs one (attack, flips, seed) unit. The network's seed derives
// from the config seed and the repetition, so repetitions differ and runs
// repeat.
func (b *netRunner) accuracy(r NetRun) (float64, error) {
	seed := randstream.New(b.seed, "baseline", r.Seed).Uint64()
	if r.Attack == "random" {
		return b.eval.RandomAccuracy(r.Flips, seed)
	}
	return b.eval.PointwiseAccuracy(r.Flips, seed)
}

// run runs one baseline unit: its row of baseline.csv, and its wall time.
func (b *netRunner) run(u Unit, env runEnv) (output, time.Duration, error) {
	stage := env.progress.StartUnits(u.String(), 1, 1)
	acc, err := b.accuracy(u.Net)
	if err != nil {
		return output{}, 0, err
	}
	stage.Add(1)
	elapsed := stage.Finish()
	row := tables.BaselineRow{Attack: u.Net.Attack, Flips: u.Net.Flips, Seed: u.Net.Seed, Accuracy: acc}
	return output{baseline: tables.AppendBaseline(nil, row)}, elapsed, nil
}

// runSideBySide runs baseline units GOMAXPROCS at a time. A network trains
// on one core (a mini-batch is one shard), so retrainings side by side fill
// the machine; the pointwise attack spreads its own fine-tunings instead.
// The units of a group share its wall time in proportion to their own, so
// the time table still adds up to the run's; their outputs go to done in
// plan order once the group is finished.
func (b *netRunner) runSideBySide(units []Unit, env runEnv, done func(Unit, output) error) error {
	width := runtime.GOMAXPROCS(0)
	for lo := 0; lo < len(units); lo += width {
		group := units[lo:min(lo+width, len(units))]
		outs := make([]output, len(group))
		own := make([]time.Duration, len(group))
		errs := make([]error, len(group))
		start := time.Now()
		parallel.For(len(group), width, func(_, i int) { outs[i], own[i], errs[i] = b.run(group[i], env) })
		wall := time.Since(start)
		if err := errors.Join(errs...); err != nil {
			return err
		}
		var sum time.Duration
		for _, d := range own {
			sum += d
		}
		for i, u := range group {
			env.stageDone(u.String(), time.Duration(float64(wall)*float64(own[i])/float64(max(sum, 1))))
			if err := done(u, outs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
