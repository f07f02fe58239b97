// Package exact computes the exact label-flip certificate of the unsmoothed
// ridge classifier: for one test point, the largest number of training-label
// changes that cannot change its prediction.
//
// With kernel vector α (docs/science.md §2) and labels y ∈ {0..K−1}ⁿ the class
// scores are s_c = Σᵢ αᵢ1[yᵢ = c]. For K = 2 the class is 1 iff s = s₁ ≥ ½;
// for K > 2 it is the argmax, ties to the lowest index. Each change of a label
// moves a score margin by an amount that does not depend on the other
// changes, so the fewest changes that overturn the class are the largest
// moves towards the other side, taken in order (docs/science.md §8, §9).
//
// No smoothing, no sampling: the radius is exact for the ridge classifier
// with the exact kernel vector, except where rounding could decide. The
// computed α̂ differs from the exact α by at most a bound E in the 1-norm
// (package ridge), and the certificate's own sums round; a margin covering both
// is added to every comparison with a threshold, so that a score within the
// margin of its threshold counts as overturned: the radius is then one flip
// less than the computed crossing, or −1 (not certified) if the clean score
// itself is within the margin (docs/science.md §10 "Margins of the exact and DPA certificates").
package exact
