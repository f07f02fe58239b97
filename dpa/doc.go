// Package dpa certifies predictions against label flips with Deep Partition
// Aggregation (Levine & Feizi, ICLR 2021): k ridge classifiers, each trained on
// its own part of the training set, vote on every test point.
//
// The parts come from a hash of each training input, never of its label or
// position, so flipping labels cannot move a point between parts. A flipped
// label then changes the training data of exactly one part, hence at most one
// vote, and a plurality with a margin of votes is certified against about
// half that many flips (docs/science.md §9).
//
// Empty parts abstain: they cast no vote, and since they hold no labels no
// flip can make them vote. Every non-empty part is fitted with the same
// penalty λ as package ridge (unpenalised intercept if requested); with λ > 0
// every non-empty part has a unique fit, while λ = 0 fails on any part with
// fewer points than features.
package dpa
