// Package analytic computes the deterministic Chernoff certificate of a
// randomized-smoothing ridge classifier under label-flip noise (docs/science.md §4).
//
// For one test point with ridge kernel vector α, the smoothed score is
// S = Σ αᵢ y′ᵢ with independent y′ᵢ ~ Bernoulli(πᵢ), πᵢ = 1−q if yᵢ = 1 else q.
// The predicted class is 1 iff the mean μ = Σ αᵢπᵢ is ≥ ½, and the probability
// of the other side of ½ is bounded by the minimum over t ≥ 0 of a Chernoff
// bound, found by safeguarded Halley steps in log space and certified to be
// within 1e−9 of the optimum. The result is the natural log of that bound,
// which stays finite far below float64's smallest number; package radius
// turns it into a number of label flips.
//
// Certify does not allocate and is safe for concurrent use; it usually costs
// one exp per training label.
package analytic
