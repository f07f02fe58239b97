// Package dpa certifies predictions against label changes with Deep Partition
// Aggregation (Levine & Feizi, ICLR 2021): k ridge classifiers, each trained on
// its own part of the training set, vote on every test point.
//
// The parts come from a hash of each training input, never of its label or
// position, so changing labels cannot move a point between parts. A changed
// label then changes the training data of exactly one part, hence at most one
// vote, and a plurality with a margin of votes is certified against about
// half that many changes (docs/science.md §9). With K classes each part is a
// one-hot ridge classifier and the margin is taken against every rival class
// (docs/science.md §8); with two, a part votes by the binary rule s ≥ ½.
//
// A part whose scores are within their rounding bounds of a tie casts a vote
// the adversary may be given for free, and the radius accounts for it
// (docs/science.md §10 "Margins of the exact and DPA certificates").
//
// Empty parts abstain: they cast no vote, and since they hold no labels no
// change can make them vote. Every non-empty part is fitted with the same
// penalty λ as package ridge (unpenalised intercept if requested); with λ > 0
// every non-empty part has a unique fit, while λ = 0 fails on any part with
// fewer points than features.
package dpa
