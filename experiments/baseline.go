package experiments

import (
	"flipcert/baseline"
	"flipcert/nn"
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

// run runs one baseline unit: its row of baseline.csv.
func (b *netRunner) run(u Unit, env runEnv) (output, error) {
	stage := env.progress.StartUnits(u.String(), 1, 1)
	acc, err := b.accuracy(u.Net)
	if err != nil {
		return output{}, err
	}
	stage.Add(1)
	env.stageDone(u.String(), stage.Finish())
	row := tables.BaselineRow{Attack: u.Net.Attack, Flips: u.Net.Flips, Seed: u.Net.Seed, Accuracy: acc}
	return output{baseline: tables.AppendBaseline(nil, row)}, nil
}
