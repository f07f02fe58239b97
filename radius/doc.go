// Package radius turns a bound on the wrong class into a certified number of
// label flips (docs/science.md §5).
//
// The input is log ε, the natural log of an upper bound ε on the probability
// of the class other than the predicted one under clean labels (from package
// analytic or sampler). Two certificates are offered: the tight
// Neyman-Pearson radius of a precomputed Table, flipcert's headline, and the
// closed-form KL radius, about half as large. Both are capped at the number of
// training labels, since an attacker cannot flip more labels than there are,
// and both return −1 when the prediction is not certified even against zero
// flips (ε ≥ ½).
package radius
