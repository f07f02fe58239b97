// Package radius turns a bound on the wrong classes into a certified number of
// changed training labels (docs/science.md §5, §8).
//
// The input is log ε, the natural log of an upper bound ε on the probability
// that the smoothed classifier's base learner returns a class other than the
// predicted one under clean labels (from package analytic or sampler). A
// Table, one per noise level q and number of classes K, offers two
// certificates: the tight Neyman-Pearson radius, flipcert's headline, and the
// closed-form KL radius, about half as large. Both are capped at the number of
// training labels, since an attacker cannot change more labels than there
// are, and both return −1 when the prediction is not certified even against
// zero changes (ε ≥ ½). Neither rests on rounding: every threshold is
// computed with a proven error bound and taken on the conservative side
// (docs/science.md §10 "The radius table").
package radius
