// Package nn trains the two small neural networks flipcert needs: the CNN
// embedder whose 50-d layer is the label-free feature space of the MNIST 1/7
// experiment (docs/science.md §2, §7), and the undefended baseline classifier
// attacked in docs/science.md §6.
//
// Everything is pure Go on gonum's BLAS: convolutions are im2col patches times
// a weight matrix over a whole shard of images, activations are stored NHWC.
// The classifier (K outputs) reads its images by their non-zero pixels
// (Images), with the same arithmetic as the dense product.
//
// Training is deterministic given a seed for any GOMAXPROCS: each mini-batch is
// cut into fixed shards (16 samples for the embedder, 64 for the classifier),
// each shard draws its dropout masks from
// its own stream (flipcert/randstream) and writes its own gradient, and the
// shard gradients are summed in shard order before the Adam step.
package nn
