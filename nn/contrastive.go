package nn

import (
	"errors"
	"fmt"
	"math"

	"flipcert/internal/vec"
	"flipcert/parallel"
	"flipcert/randstream"

	"gonum.org/v1/gonum/mat"
)

// ContrastiveConfig sets the architecture and schedule of a contrastive
// encoder. Every field but Seed and Workers must be set; Validate says which
// is not. The measured trade-offs are in docs/science.md §15: on MNIST,
// Dim 50, Channels 10, 16 epochs of batches of 128 at τ = 0.1 and learning
// rate 10⁻³ (about 700 CPU seconds on 55,000 images) give a ridge on the
// features about 96% validation accuracy.
type ContrastiveConfig struct {
	Dim          int     // embedding width: the encoder's outputs, the features
	Channels     int     // filters of the first convolution; the second has twice as many
	Epochs       int     // passes over the images
	BatchSize    int     // images per mini-batch (two views each), ≥ 2
	Temperature  float64 // τ of the NT-Xent loss, > 0
	LearningRate float64 // Adam step size, > 0
	Seed         uint64  // initialisation, shuffling and views
	// Workers caps the goroutines used; 0 means GOMAXPROCS. It never changes
	// the result.
	Workers int
}

// Validate returns an error naming the first field that is out of range.
func (c ContrastiveConfig) Validate() error {
	switch {
	case c.Dim < 1:
		return fmt.Errorf("nn: contrastive dim = %d, want ≥ 1", c.Dim)
	case c.Channels < 1:
		return fmt.Errorf("nn: contrastive channels = %d, want ≥ 1", c.Channels)
	case c.Epochs < 1:
		return fmt.Errorf("nn: contrastive epochs = %d, want ≥ 1", c.Epochs)
	case c.BatchSize < 2:
		return fmt.Errorf("nn: contrastive batch size = %d, want ≥ 2 (an image needs others to be contrasted with)", c.BatchSize)
	case !(c.Temperature > 0) || math.IsInf(c.Temperature, 1):
		return fmt.Errorf("nn: contrastive temperature = %g, want 0 < τ < ∞", c.Temperature)
	case !(c.LearningRate > 0) || math.IsInf(c.LearningRate, 1):
		return fmt.Errorf("nn: contrastive learning rate = %g, want 0 < rate < ∞", c.LearningRate)
	case c.Workers < 0:
		return fmt.Errorf("nn: contrastive workers = %d, want ≥ 0", c.Workers)
	}
	return nil
}

// Encoder is a convolutional network trained on images alone, with no label,
// by contrastive learning (SimCLR; docs/science.md §15):
//
//	conv 1→C k5, max-pool 2, ReLU; conv C→2C k5, max-pool 2, ReLU; 32C → Dim
//
// whose Dim linear outputs are the features. The trunk is the embedder's
// (docs/science.md §7) with C filters instead of 10 and no dropout. In
// training a projection head (ReLU, Dim → Dim, ReLU, Dim → Dim) follows; the
// loss is taken on its output and it is dropped afterwards, as in SimCLR,
// where the layer before the head keeps more of what a linear classifier
// needs.
type Encoder struct {
	arch encoderArch
	net  *network // the encoder alone
}

// encoderArch fixes the shapes of an encoder and its projection head.
type encoderArch struct{ channels, dim int }

// contrastiveShard is the number of views one goroutine processes at a time.
const contrastiveShard = 16

// layers returns the layers of the encoder and, if head, of the projection head after it.
func (a encoderArch) layers(head bool) []layer {
	c1 := conv{h: Side, w: Side, c: 1, k: 5, f: a.channels, sparse: true} // 28×28×1 → 24×24×C
	p1 := maxPool{h: 24, w: 24, c: a.channels}                            // → 12×12×C
	c2 := conv{h: 12, w: 12, c: a.channels, k: 5, f: 2 * a.channels}      // → 8×8×2C
	p2 := maxPool{h: 8, w: 8, c: 2 * a.channels}                          // → 4×4×2C
	ls := []layer{c1, p1, relu{p1.outLen()}, c2, p2, relu{p2.outLen()}, linear{p2.outLen(), a.dim}}
	if head {
		ls = append(ls, relu{a.dim}, linear{a.dim, a.dim}, relu{a.dim}, linear{a.dim, a.dim})
	}
	return ls
}

// TrainContrastive trains an encoder on the images in x (one 784-pixel row per
// image, pixels in [0,1]). It takes no labels and so cannot depend on any: the
// features are out of reach of an attacker who changes labels, and may be
// learnt from every training image (docs/science.md §15).
//
// Each mini-batch of b images gives 2b views, two random distortions of each
// image (small rotations, scalings and shifts); the encoder and projection
// head map them to z, and Adam takes a step on the NT-Xent loss of the batch,
// which draws the two views of an image together and pushes the other 2b − 2
// views away. It returns the encoder and the mean loss of each epoch.
// progress, if not nil, is called after every mini-batch with the number done
// and the total. The result is bit-identical for any GOMAXPROCS and Workers.
// Bad configuration or data is returned as an error.
func TrainContrastive(x *mat.Dense, cfg ContrastiveConfig, progress func(done, total int)) (*Encoder, []float64, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if x == nil {
		return nil, nil, errors.New("nn: nil input matrix")
	}
	r, c := x.Dims()
	if c != Pixels {
		return nil, nil, fmt.Errorf("nn: inputs have %d columns, want %d (28×28 images)", c, Pixels)
	}
	if r < 2 {
		return nil, nil, fmt.Errorf("nn: %d images, contrastive training needs at least 2", r)
	}
	a := encoderArch{channels: cfg.Channels, dim: cfg.Dim}
	nw := newNetwork(contrastiveShard, a.layers(true)...)
	nw.init(cfg.Seed)
	losses := trainContrastive(nw, denseSamples{rawRows(x), Pixels}, cfg, viewAugment, progress)
	enc := newNetwork(contrastiveShard, a.layers(false)...)
	copy(enc.params, nw.params) // the encoder's parameters come first
	return &Encoder{arch: a, net: enc}, losses, nil
}

// trainContrastive minimises the NT-Xent loss with Adam on shuffled
// mini-batches of cfg.BatchSize images. A mini-batch of b images is 2b views,
// rows i and i+b the two views of image i, cut into shards of nw.shard rows.
// Each shard draws its views from its own stream, keyed by the step and the
// shard, so the views do not depend on which goroutine makes them. The loss
// couples all rows, so a step has three phases: every shard forward, the
// loss of the batch (serial), every shard backward; then the shard gradients
// are summed in shard order.
func trainContrastive(nw *network, x denseSamples, cfg ContrastiveConfig, aug augment, progress func(done, total int)) []float64 {
	p := nw.outLen()
	maxShards := (2*cfg.BatchSize + nw.shard - 1) / nw.shard
	tapes := make([]*tape, maxShards)
	for i := range tapes {
		tapes[i] = nw.newTape()
	}
	var nt ntScratch
	z, dz := make([]float64, 2*cfg.BatchSize*p), make([]float64, 2*cfg.BatchSize*p)
	n := x.len()
	batches := (n + cfg.BatchSize - 1) / cfg.BatchSize
	sp := trainSpec{epochs: cfg.Epochs, batch: cfg.BatchSize, lr: cfg.LearningRate, seed: cfg.Seed, workers: cfg.Workers, progress: progress}
	return nw.miniBatches(n, sp, "nn contrastive shuffle", func(ep, bt int, idx []int, loss *float64) []*tape {
		step := ep*batches + bt
		b := len(idx)
		rows := 2 * b
		shards := (rows + nw.shard - 1) / nw.shard
		parallel.For(shards, cfg.Workers, func(_, s int) {
			t := tapes[s]
			lo, hi := s*nw.shard, min((s+1)*nw.shard, rows)
			rng := randstream.New(cfg.Seed, "nn contrastive views", uint64(step*maxShards+s))
			t.n, t.sp = hi-lo, nil
			t.buf = grow(t.buf, (hi-lo)*Pixels)
			for r := lo; r < hi; r++ {
				i := idx[r%b]
				warp(t.buf[(r-lo)*Pixels:(r-lo+1)*Pixels], x.x[i*Pixels:(i+1)*Pixels], aug.draw(rng))
			}
			t.x = t.buf
			copy(z[lo*p:hi*p], nw.forward(t, len(nw.layers), true, nil))
		})
		*loss += float64(b) * ntXent(z[:rows*p], b, p, cfg.Temperature, dz, &nt)
		parallel.For(shards, cfg.Workers, func(_, s int) {
			t := tapes[s]
			clear(t.grad)
			nw.backward(t, dz[s*nw.shard*p:min((s+1)*nw.shard, rows)*p])
		})
		return tapes[:shards]
	})
}

// adamStep sums the tapes' gradients into grad, tape by tape in order, and
// applies one Adam step to the network's parameters. Each chunk of
// paramChunk parameters is summed and updated by one goroutine; the order of
// every sum is the same for any chunking, so the step does not depend on
// GOMAXPROCS.
func adamStep(nw *network, opt *adam, grad []float64, tapes []*tape, lr float64, workers int) {
	opt.begin()
	chunks := (len(grad) + paramChunk - 1) / paramChunk
	parallel.For(chunks, workers, func(_, c int) {
		lo, hi := c*paramChunk, min((c+1)*paramChunk, len(grad))
		g := grad[lo:hi]
		copy(g, tapes[0].grad[lo:hi])
		for _, t := range tapes[1:] {
			vec.Add(g, t.grad[lo:hi])
		}
		opt.update(nw.params, grad, lo, hi, lr)
	})
}

// Dim returns the width of the embedding.
func (e *Encoder) Dim() int { return e.arch.dim }

// Channels returns the number of filters of the first convolution.
func (e *Encoder) Channels() int { return e.arch.channels }

// Embed returns the N×Dim features of the N images in x. Each row depends on
// its image alone. It panics if x does not have 784 columns.
func (e *Encoder) Embed(x *mat.Dense) *mat.Dense {
	if _, c := x.Dims(); c != Pixels {
		panic(fmt.Sprintf("nn: input has %d columns, want %d", c, Pixels))
	}
	in := denseSamples{rawRows(x), Pixels}
	return mat.NewDense(in.len(), e.arch.dim, e.net.apply(in, len(e.net.layers), 0))
}
