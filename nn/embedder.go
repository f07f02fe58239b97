package nn

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/mat"
)

// Image geometry of the networks' inputs: 28×28 grey-scale MNIST, row-major.
const (
	Side   = 28
	Pixels = Side * Side
)

// EmbedderConfig sets the architecture and training schedule of the embedder.
// Zero values select the defaults, chosen so that training on the ≈47k images
// of eight MNIST digits reaches ≥ 97% test accuracy in under three minutes on
// two cores.
type EmbedderConfig struct {
	Dim          int     // embedding width; 0 means 50 (docs/science.md §7)
	Epochs       int     // passes over the training set; 0 means 3
	BatchSize    int     // mini-batch size; 0 means 64
	LearningRate float64 // Adam step size; 0 means 1e-3
	Seed         uint64  // initialisation, shuffling and dropout masks
}

func (c EmbedderConfig) withDefaults() EmbedderConfig {
	if c.Dim == 0 {
		c.Dim = 50
	}
	if c.Epochs == 0 {
		c.Epochs = 3
	}
	if c.BatchSize == 0 {
		c.BatchSize = 64
	}
	if c.LearningRate == 0 {
		c.LearningRate = 1e-3
	}
	return c
}

// Embedder is the PyTorch MNIST example CNN of docs/science.md §7:
//
//	conv 1→10 k5, max-pool 2, ReLU; conv 10→20 k5, channel dropout, max-pool 2, ReLU;
//	320 → 50, ReLU, dropout; 50 → Dim (the embedding); Dim → classes (softmax).
//
// Both dropouts drop with probability ½, as in the example. The embedding is
// the output of the 50→Dim linear layer, with no ReLU: the class scores are a
// linear function of it, so the training task makes the classes linearly
// separable in exactly this space, which is what a linear (ridge) learner on
// top of it needs; a ReLU would only clamp coordinates to zero and lose
// variance the ridge regression can use.
type Embedder struct {
	dim, classes int
	net          *network
}

// embedLayer is the index of the embedding layer in the stack built by newEmbedderNet.
const embedLayer = 10

func newEmbedderNet(dim, classes int) *network {
	c1 := conv{h: Side, w: Side, c: 1, k: 5, f: 10, sparse: true} // 28×28×1 → 24×24×10
	p1 := maxPool{h: 24, w: 24, c: 10}                            // → 12×12×10
	c2 := conv{h: 12, w: 12, c: 10, k: 5, f: 20}                  // → 8×8×20
	p2 := maxPool{h: 8, w: 8, c: 20}                              // → 4×4×20 = 320
	return newNetwork(16,
		c1, p1, relu{p1.outLen()},
		c2, dropout{size: c2.outLen(), rate: 0.5, channels: 20}, p2, relu{p2.outLen()},
		linear{320, 50}, relu{50}, dropout{size: 50, rate: 0.5},
		linear{50, dim}, // embedLayer
		linear{dim, classes},
	)
}

// checkData validates a design matrix and its labels.
func checkData(x *mat.Dense, labels []int, classes int) error {
	if x == nil {
		return errors.New("nn: nil input matrix")
	}
	r, c := x.Dims()
	if c != Pixels {
		return fmt.Errorf("nn: inputs have %d columns, want %d (28×28 images)", c, Pixels)
	}
	if r != len(labels) {
		return fmt.Errorf("nn: %d input rows but %d labels", r, len(labels))
	}
	return checkLabels(labels, classes)
}

// checkLabels requires at least one label and every label in 0..classes−1.
func checkLabels(labels []int, classes int) error {
	if len(labels) == 0 {
		return errors.New("nn: no training data")
	}
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("nn: label %d of point %d is outside 0..%d", l, i, classes-1)
		}
	}
	return nil
}

// rawRows returns x's data as one row-major slice, copying only if x is a view
// with a stride wider than its columns.
func rawRows(x *mat.Dense) []float64 {
	raw := x.RawMatrix()
	if raw.Stride == raw.Cols {
		return raw.Data[:raw.Rows*raw.Cols]
	}
	out := make([]float64, 0, raw.Rows*raw.Cols)
	for i := 0; i < raw.Rows; i++ {
		out = append(out, raw.Data[i*raw.Stride:i*raw.Stride+raw.Cols]...)
	}
	return out
}

// TrainEmbedder trains the embedder from scratch on images x (one 784-pixel
// row per image, pixels in [0,1]) with labels in 0..classes−1. progress, if
// not nil, is called after every mini-batch with the number done and the total.
func TrainEmbedder(x *mat.Dense, labels []int, classes int, cfg EmbedderConfig, progress func(done, total int)) (*Embedder, error) {
	cfg = cfg.withDefaults()
	if classes < 2 {
		return nil, fmt.Errorf("nn: %d classes, need at least 2", classes)
	}
	if cfg.Dim < 1 || cfg.Epochs < 1 || cfg.BatchSize < 1 || cfg.LearningRate < 0 {
		return nil, fmt.Errorf("nn: invalid embedder config %+v", cfg)
	}
	if err := checkData(x, labels, classes); err != nil {
		return nil, err
	}
	nw := newEmbedderNet(cfg.Dim, classes)
	nw.init(cfg.Seed)
	nw.train(denseSamples{rawRows(x), Pixels}, labels, trainSpec{
		epochs: cfg.Epochs, batch: cfg.BatchSize, lr: cfg.LearningRate, seed: cfg.Seed, progress: progress,
	})
	return &Embedder{dim: cfg.Dim, classes: classes, net: nw}, nil
}

// Dim returns the width of the embedding.
func (e *Embedder) Dim() int { return e.dim }

// Embed returns the N×Dim embeddings of the N images in x (evaluation mode:
// no dropout). It panics if x does not have 784 columns.
func (e *Embedder) Embed(x *mat.Dense) *mat.Dense {
	in := e.samples(x)
	return mat.NewDense(in.len(), e.dim, e.net.apply(in, embedLayer+1, 0))
}

// Predict returns the predicted class of each image in x.
func (e *Embedder) Predict(x *mat.Dense) []int {
	return argmaxRows(e.net.apply(e.samples(x), len(e.net.layers), 0), e.classes)
}

// Accuracy returns the share of images in x whose predicted class equals the label.
func (e *Embedder) Accuracy(x *mat.Dense, labels []int) float64 {
	return accuracy(e.Predict(x), labels)
}

// samples returns the images in x as the network reads them; it panics if x
// does not have 784 columns.
func (e *Embedder) samples(x *mat.Dense) denseSamples {
	if _, c := x.Dims(); c != Pixels {
		panic(fmt.Sprintf("nn: input has %d columns, want %d", c, Pixels))
	}
	return denseSamples{rawRows(x), Pixels}
}

func accuracy(pred, labels []int) float64 {
	if len(pred) != len(labels) {
		panic(fmt.Sprintf("nn: %d predictions but %d labels", len(pred), len(labels)))
	}
	if len(pred) == 0 {
		return 0
	}
	ok := 0
	for i, p := range pred {
		if p == labels[i] {
			ok++
		}
	}
	return float64(ok) / float64(len(pred))
}
