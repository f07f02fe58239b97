// Package baseline measures the undefended network of package nn under
// label-flip attacks (docs/science.md §6, §8): its empirical test accuracy
// when r training labels are changed, the contrast the certified curves are
// drawn against. Two attacks: random relabellings with retraining, and the
// pointwise attack the certificate covers, which relabels the training points
// nearest to one test point that carry its prediction to its runner-up class
// and fine-tunes the network, trying every budget of the experiment up to the
// one asked for.
package baseline
