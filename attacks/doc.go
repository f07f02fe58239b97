// Package attacks runs label-flip attacks. Against the undefended baseline
// network of package nn (K classes) it measures test accuracy under attack
// (docs/science.md §6, §8): random relabellings with retraining, and the
// pointwise attack the certificate covers, which relabels the training points
// nearest to one test point that carry its prediction to its runner-up class
// and fine-tunes the network, trying every budget of the experiment up to the
// one asked for.
//
// Against the certificates it computes the attacks that bound their radii
// from above (docs/science.md §11): the greedy relabeling order of a ridge
// kernel vector, the fewest relabelings that change the unsmoothed ridge
// classifier, the attack on the smoothed classifier proven by Berry–Esseen
// and Chernoff bounds or verified by sampling, and the attack on a DPA
// ensemble.
package attacks
