// Package nn trains the two small neural networks flipcert needs: the CNN
// embedder whose 50-d layer is the label-free feature space of the MNIST 1/7
// experiment (docs/science.md §2, §7), and the undefended baseline classifier
// attacked in docs/science.md §6.
//
// Everything is pure Go on gonum's BLAS: convolutions are im2col patches times
// a weight matrix over a whole shard of images, activations are stored NHWC.
// Training is deterministic given a seed for any GOMAXPROCS: each mini-batch is
// cut into fixed shards of 16 samples, each shard draws its dropout masks from
// its own stream (flipcert/randstream) and writes its own gradient, and the
// shard gradients are summed in shard order before the Adam step.
package nn
