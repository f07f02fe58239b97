// Package sampler certifies ridge predictions against label flips by Monte
// Carlo: Cohen-style CERTIFY over label vectors with each label flipped
// independently with probability q, and the one-sided Clopper-Pearson bound it
// rests on (docs/science.md §3, §10).
//
// All test points share the same label samples; each point's bound holds at
// level 1−α on its own. Sampling is split into fixed chunks with their own
// random streams (package randstream), so results are identical for any
// GOMAXPROCS.
package sampler
