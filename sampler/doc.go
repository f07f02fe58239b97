// Package sampler certifies ridge predictions against label flips by Monte
// Carlo: Cohen-style CERTIFY over noisy label vectors in which each training
// label is changed independently with probability q (for K classes, to one of
// the other K−1 uniformly), with the Clopper-Pearson bounds it rests on
// (docs/science.md §3, §8, §10 "The sampled classifier's arithmetic", §12).
//
// Certify draws the label samples once for a list of sample counts N₁ < N₂ <
// …, nested so that each count's votes equal those of a run with that count
// alone; Result.Certificate turns the votes into CERTIFY's bound. Interval is
// the two-sided Clopper-Pearson interval used to check a bound against the
// samples, and Log10SamplesNeeded the number of samples a given bound would
// take.
//
// The sampled base classifier is defined so that its computed prediction is a
// function of the noisy labels alone (training features on a fixed-point grid,
// exact right-hand sides, per-sample arithmetic in a fixed order). All test
// points share the same label samples; each point's bound holds at level 1−α
// on its own. Sampling is split into fixed chunks with their own random
// streams (package randstream), so results are identical for any GOMAXPROCS.
package sampler
