package nn

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// ClassifierConfig sets the architecture and schedule of the baseline
// classifier. Zero values select the defaults.
type ClassifierConfig struct {
	Hidden       int     // hidden units; 0 means 32
	Epochs       int     // passes over the training set; 0 means 5
	BatchSize    int     // mini-batch size; 0 means 128
	LearningRate float64 // Adam step size; 0 means 1e-3
	Seed         uint64  // initialisation and shuffling
	// Workers caps the goroutines used; 0 means GOMAXPROCS. It never changes
	// the result. Callers that already run many trainings in parallel set 1.
	Workers int
}

func (c ClassifierConfig) withDefaults() ClassifierConfig {
	if c.Hidden == 0 {
		c.Hidden = 32
	}
	if c.Epochs == 0 {
		c.Epochs = 5
	}
	if c.BatchSize == 0 {
		c.BatchSize = 128
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	return c
}

func (c ClassifierConfig) validate() error {
	if c.Hidden < 1 || c.Epochs < 1 || c.BatchSize < 1 || c.LearningRate < 0 || c.Workers < 0 {
		return fmt.Errorf("nn: invalid classifier config %+v", c)
	}
	return nil
}

// Classifier is the undefended baseline of docs/science.md §6: a one-hidden-layer
// perceptron 784 → Hidden → ReLU → 2 with a softmax cross-entropy loss,
// trained end-to-end on the raw pixels with Adam. An MLP is the standard
// network that trains fastest on 28×28 digits: gonum's GEMM skips zero
// inputs, so a pass costs only the ≈15% non-zero pixels, which keeps the
// hundreds of retrainings of the pointwise attack affordable. On MNIST 1/7 it
// is as accurate as a CNN (≈99%).
type Classifier struct {
	cfg ClassifierConfig
	net *network
}

// classes is the number of outputs of the binary baseline.
const classes = 2

// TrainClassifier trains the classifier from scratch on images x (one
// 784-pixel row each) with labels y ∈ {0, 1}.
func TrainClassifier(x *mat.Dense, y []int, cfg ClassifierConfig) (*Classifier, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := checkData(x, y, classes); err != nil {
		return nil, err
	}
	nw := newNetwork(64, linear{Pixels, cfg.Hidden}, relu{cfg.Hidden}, linear{cfg.Hidden, classes})
	nw.init(cfg.Seed)
	c := &Classifier{cfg: cfg, net: nw}
	c.fit(x, y, cfg.Epochs, cfg.Seed)
	return c, nil
}

func (c *Classifier) fit(x *mat.Dense, y []int, epochs int, seed uint64) {
	c.net.train(rawRows(x), y, trainSpec{
		epochs: epochs, batch: c.cfg.BatchSize, lr: c.cfg.LearningRate, seed: seed, workers: c.cfg.Workers,
	})
}

// FineTune returns a copy of c trained for epochs more passes over (x, y),
// starting from c's weights with a fresh Adam state and the same batch size
// and learning rate; seed drives the shuffling. c is unchanged.
func (c *Classifier) FineTune(x *mat.Dense, y []int, epochs int, seed uint64) (*Classifier, error) {
	if epochs < 1 {
		return nil, fmt.Errorf("nn: fine-tuning for %d epochs", epochs)
	}
	if err := checkData(x, y, classes); err != nil {
		return nil, err
	}
	f := &Classifier{cfg: c.cfg, net: c.net.clone()}
	f.fit(x, y, epochs, seed)
	return f, nil
}

// Predict returns the predicted label (0 or 1) of each image in x.
func (c *Classifier) Predict(x *mat.Dense) []int {
	r, col := x.Dims()
	if col != Pixels {
		panic(fmt.Sprintf("nn: input has %d columns, want %d", col, Pixels))
	}
	return argmaxRows(c.net.apply(rawRows(x), r, len(c.net.layers), c.cfg.Workers), classes)
}

// Accuracy returns the share of images in x whose prediction equals the label.
func (c *Classifier) Accuracy(x *mat.Dense, y []int) float64 {
	return accuracy(c.Predict(x), y)
}
