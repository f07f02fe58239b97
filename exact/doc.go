// Package exact computes the exact label-flip certificate of the unsmoothed
// ridge classifier: for one test point, the largest number of training-label
// flips that cannot change its prediction.
//
// With kernel vector α (docs/science.md §2) and labels y ∈ {0,1}ⁿ the score is
// s = αᵀy and the class is 1 iff s ≥ ½. Flipping label i moves s by
// δᵢ = αᵢ(1−2yᵢ) whatever else is flipped, so the fewest flips that change the
// class are the largest moves towards the other side, taken in order
// (docs/science.md §9). No smoothing, no sampling: the radius is exact, up to the
// rounding of the sums that decide on which side of ½ a score lands.
package exact
