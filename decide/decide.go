// Package decide holds the decision rules every classifier in flipcert
// shares (docs/science.md §2, §8): which class a score vector gives, which
// class a count of votes gives, and so which class wins a tie. There is one
// rule per number of classes:
//
//   - two classes: the binary rule of ridge regression on labels {0, 1},
//     class 1 iff its score s = Σᵢ αᵢyᵢ is at least ½, so class 1 wins ties;
//   - K ≥ 3 classes: the argmax of the one-hot scores, ties to the lowest
//     class index.
//
// The ridge classifier, its exact certificate and attacks, the analytic and
// sampled certificates of the smoothed classifier (whose votes follow the
// same rule) and each DPA part use it. DPA's aggregation of its parts' votes
// is the published rule of that peer method (Levine & Feizi), plurality with
// ties to the lowest class index for every K, and is Plurality here.
package decide

// Binary is the two-class rule: class 1 iff the score s of class 1 is ≥ ½.
func Binary(s float64) int {
	if s >= 0.5 {
		return 1
	}
	return 0
}

// Argmax is the K-class rule: the class of the largest score, ties to the
// lowest index. It panics on an empty slice.
func Argmax(scores []float64) int {
	if len(scores) == 0 {
		panic("decide: no scores")
	}
	c := 0
	for k, s := range scores {
		if s > scores[c] {
			c = k
		}
	}
	return c
}

// Scores is the rule for K = len(scores) one-hot scores: Binary(scores[1])
// for two classes, Argmax otherwise.
func Scores(scores []float64) int {
	if len(scores) == 2 {
		return Binary(scores[1])
	}
	return Argmax(scores)
}

// Votes is the class a count of votes gives under the same rule: for two
// classes class 1 iff it has at least half the votes (ties to class 1, as
// s ≥ ½), for K ≥ 3 the most votes, ties to the lowest index. It panics on an
// empty count.
func Votes(votes []int) int {
	if len(votes) == 2 {
		if votes[1] >= votes[0] {
			return 1
		}
		return 0
	}
	return Plurality(votes)
}

// Plurality is DPA's aggregation rule: the most votes, ties to the lowest
// class index, for any number of classes. It panics on an empty count.
func Plurality(votes []int) int {
	if len(votes) == 0 {
		panic("decide: no votes")
	}
	c := 0
	for k, v := range votes {
		if v > votes[c] {
			c = k
		}
	}
	return c
}
