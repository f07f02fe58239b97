package nn

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// ClassifierConfig sets the architecture and schedule of the baseline
// classifier. Zero values select the defaults.
type ClassifierConfig struct {
	Classes      int     // outputs K ≥ 2, labels 0..K−1; 0 means 2
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
	if c.Classes == 0 {
		c.Classes = 2
	}
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
	if c.Classes < 2 || c.Hidden < 1 || c.Epochs < 1 || c.BatchSize < 1 || c.LearningRate < 0 || c.Workers < 0 {
		return fmt.Errorf("nn: invalid classifier config %+v", c)
	}
	return nil
}

// Classifier is the undefended baseline of docs/science.md §6: a one-hidden-layer
// perceptron 784 → Hidden → ReLU → K with a softmax cross-entropy loss,
// trained end-to-end on the raw pixels with Adam. An MLP is the standard
// network that trains fastest on 28×28 digits: reading only the non-zero
// pixels (Images), a pass costs only the ≈15% of pixels with ink, which keeps
// the hundreds of retrainings of the pointwise attack affordable. On MNIST 1/7
// it is as accurate as a CNN (≈99%).
type Classifier struct {
	cfg ClassifierConfig
	net *network
}

// classifierShard is the classifier's shard size (see network). Its
// parameters far outnumber the work per sample, so shards are large.
const classifierShard = 64

// TrainClassifier trains the classifier from scratch on images x with labels
// y ∈ {0..cfg.Classes−1}. Bad data or configuration is returned as an error.
func TrainClassifier(x *Images, y []int, cfg ClassifierConfig) (*Classifier, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if err := checkImages(x, y, cfg.Classes); err != nil {
		return nil, err
	}
	nw := newNetwork(classifierShard, linear{Pixels, cfg.Hidden}, relu{cfg.Hidden}, linear{cfg.Hidden, cfg.Classes})
	nw.init(cfg.Seed)
	c := &Classifier{cfg: cfg, net: nw}
	c.fit(x, y, cfg.Epochs, cfg.Seed, cfg.Workers)
	return c, nil
}

func (c *Classifier) fit(x *Images, y []int, epochs int, seed uint64, workers int) {
	c.net.train(&x.rows, y, trainSpec{
		epochs: epochs, batch: c.cfg.BatchSize, lr: c.cfg.LearningRate, seed: seed, workers: workers,
	})
}

// FineTune returns a copy of c trained for epochs more passes over (x, y),
// starting from c's weights with a fresh Adam state and the same batch size
// and learning rate; seed drives the shuffling and workers caps the goroutines
// (0 means GOMAXPROCS; it never changes the result). c is unchanged.
func (c *Classifier) FineTune(x *Images, y []int, epochs int, seed uint64, workers int) (*Classifier, error) {
	if epochs < 1 || workers < 0 {
		return nil, fmt.Errorf("nn: fine-tuning for %d epochs on %d workers", epochs, workers)
	}
	if err := checkImages(x, y, c.cfg.Classes); err != nil {
		return nil, err
	}
	f := &Classifier{cfg: c.cfg, net: c.net.clone()}
	f.fit(x, y, epochs, seed, workers)
	return f, nil
}

// Classes returns the number of classes K.
func (c *Classifier) Classes() int { return c.cfg.Classes }

// Scores returns the len × K matrix of the network's outputs (logits; their
// softmax is the predicted class distribution) for the images in x.
func (c *Classifier) Scores(x *Images) *mat.Dense {
	return mat.NewDense(x.Len(), c.cfg.Classes, c.net.apply(&x.rows, len(c.net.layers), c.cfg.Workers))
}

// Predict returns the predicted class of each image in x: the largest score,
// the lowest class on ties.
func (c *Classifier) Predict(x *Images) []int {
	return argmaxRows(c.net.apply(&x.rows, len(c.net.layers), c.cfg.Workers), c.cfg.Classes)
}

// Accuracy returns the share of images in x whose prediction equals the label.
func (c *Classifier) Accuracy(x *Images, y []int) float64 {
	return accuracy(c.Predict(x), y)
}

// checkImages validates a set of images and its labels in 0..classes−1.
func checkImages(x *Images, labels []int, classes int) error {
	if x == nil {
		return fmt.Errorf("nn: nil images")
	}
	if x.Len() != len(labels) {
		return fmt.Errorf("nn: %d images but %d labels", x.Len(), len(labels))
	}
	return checkLabels(labels, classes)
}
