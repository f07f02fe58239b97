package experiments

import (
	"flipcert/attacks"
	"flipcert/nn"
	"flipcert/randstream"
	"flipcert/tables"
)

// baselineRunner trains and attacks the undefended network (docs/science.md §6):
// an MLP on the pixels, trained on the attacked labels. Pointwise attacks
// choose the nearest training images in pixel space, which is label-free.
type baselineRunner struct {
	eval *attacks.Evaluator
	seed uint64
}

func newBaselineRunner(c Config, in *inputs) (*baselineRunner, error) {
	eval, err := attacks.NewEvaluator(attacks.Setup{
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
	return &baselineRunner{eval: eval, seed: c.Seed}, nil
}

// accuracy runs one (attack, flips, seed) unit. The network's seed derives
// from the config seed and the repetition, so repetitions differ and runs
// repeat.
func (b *baselineRunner) accuracy(u Unit) (float64, error) {
	seed := randstream.New(b.seed, "baseline", u.Seed).Uint64()
	if u.Attack == "random" {
		return b.eval.RandomAccuracy(u.Flips, seed)
	}
	return b.eval.PointwiseAccuracy(u.Flips, seed)
}

// run runs one baseline unit: its row of baseline.csv.
func (b *baselineRunner) run(u Unit, env runEnv) (output, error) {
	stage := env.progress.StartUnits(u.Name(), 1, 1)
	acc, err := b.accuracy(u)
	if err != nil {
		return output{}, err
	}
	stage.Add(1)
	env.stageDone(u.Name(), stage.Finish())
	row := tables.BaselineRow{Attack: u.Attack, Flips: u.Flips, Seed: u.Seed, Accuracy: acc}
	return output{baseline: tables.AppendBaseline(nil, row)}, nil
}
