// Package roundoff holds the constants of floating-point error analysis that
// the certificates use to bound the rounding of their own arithmetic
// (docs/science.md §10 "Margins of the exact and DPA certificates").
package roundoff

// Unit is the unit roundoff u = 2⁻⁵³ of float64: fl(a ∘ b) = (a ∘ b)(1 + δ),
// |δ| ≤ u, for each of + − × ÷ and sqrt.
const Unit = 0x1p-53

// Gamma returns γ_k = ku/(1 − ku). Any sum of k+1 float64 terms, in any order,
// is off by at most γ_k times the sum of their magnitudes, and a dot product
// of length k by at most γ_k|x|ᵀ|y| (Higham, Accuracy and Stability of
// Numerical Algorithms, §3.1). Gamma panics unless 0 ≤ ku < 1.
func Gamma(k int) float64 {
	ku := float64(k) * Unit
	if k < 0 || ku >= 1 {
		panic("roundoff: γ_k needs 0 ≤ ku < 1")
	}
	return ku / (1 - ku)
}
