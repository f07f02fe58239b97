// Package attacks runs label-flip attacks against the undefended baseline
// network of package nn (K classes) and measures its test accuracy under them
// (docs/science.md §6, §8): random relabellings with retraining, and the
// pointwise attack the certificate covers, which relabels the training points
// nearest to one test point that carry its prediction to its runner-up class
// and fine-tunes the network, trying every budget of the experiment up to the
// one asked for.
package attacks
