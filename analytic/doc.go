// Package analytic computes the deterministic Chernoff certificate of a
// randomized-smoothing ridge classifier under label noise (docs/science.md
// §4, §8).
//
// For two classes and one test point with ridge kernel vector α, the
// smoothed score is S = Σ αᵢ y′ᵢ with independent y′ᵢ ~ Bernoulli(πᵢ),
// πᵢ = 1−q if yᵢ = 1 else q. The predicted class is 1 iff the mean
// μ = Σ αᵢπᵢ is ≥ ½, and the probability of the other side of ½ is bounded by
// the minimum over t ≥ 0 of a Chernoff bound, found by safeguarded Halley
// steps in log space and certified to be within 1e−9 of the optimum.
//
// For K ≥ 3 classes the predicted class c maximises the expected one-hot
// scores (ExpectedScores), and the probability that another class scores at
// least as much is bounded by the sum over the rivals j of the Chernoff
// bounds on P(s_c − s_j ≤ 0), each minimised in the same way.
//
// The result is the natural log of the bound, which stays finite far below
// float64's smallest number; package radius turns it into a number of label
// flips. A bound alphaErr on the distance of the computed kernel vector from
// the exact one makes the certificate hold for the exact one.
//
// Certify is safe for concurrent use and does not allocate for two classes;
// a Certifier keeps scratch memory so that K-class certificates do not
// allocate either. Both usually cost one exp per training label for two
// classes, and one pass with one exp per label shared by all rivals plus a
// pass per rival class that stays close to the best one, for K classes.
package analytic
