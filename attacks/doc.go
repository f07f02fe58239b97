// Package attacks runs label-flip attacks against the undefended baseline
// network of package nn and measures its test accuracy under them
// (docs/science.md §6): random flips with retraining, and the pointwise attack the
// certificate covers, which flips the training labels nearest to one test
// point and fine-tunes the network.
package attacks
