package dpa

import "flipcert/decide"

// VoteRadius returns the plurality class of a vote count (votes[c] = number of
// parts voting for class c; ties go to the smaller class index) and the number
// of label changes it is certified against:
//
//	radius = min over c ≠ top of ⌊(n_top − n_c − 1[c < top])/2⌋.
//
// Each change moves at most one vote, best spent from top to c; class c wins
// after t moves once n_c + t ≥ n_top − t if c < top (ties go to c), or
// n_c + t > n_top − t if c > top. VoteRadius is FreeVoteRadius with no free
// votes. It panics if there are fewer than two classes or a count is
// negative.
func VoteRadius(votes []int) (class, radius int) {
	class = decide.Plurality(votes)
	return class, FreeVoteRadius(votes, 0, class)
}

// FreeVoteRadius returns the radius of class when the parts counted in certain
// (certain[c] parts vote for c) vote as counted and free more parts vote as
// the adversary likes at no cost, as a part whose vote is within rounding of
// a tie does (docs/science.md §10 "Margins of the exact and DPA certificates"):
//
//	radius = min over j ≠ class of ⌊(n_class − n_j − free − 1[j < class])/2⌋,
//
// or −1 if some numerator is negative: then the free votes alone may overturn
// class. Against rival j the adversary's best is to give j every free vote and
// move one vote from class to j per change. FreeVoteRadius panics if there are
// fewer than two classes, class is out of range, or a count is negative.
func FreeVoteRadius(certain []int, free, class int) int {
	if len(certain) < 2 {
		panic("dpa: a vote needs at least two classes")
	}
	if class < 0 || class >= len(certain) {
		panic("dpa: class outside the vote")
	}
	if free < 0 {
		panic("dpa: negative vote count")
	}
	for _, v := range certain {
		if v < 0 {
			panic("dpa: negative vote count")
		}
	}
	radius := -1
	for j, v := range certain {
		if j == class {
			continue
		}
		gap := certain[class] - v - free
		if j < class {
			gap-- // class j wins ties against class
		}
		if gap < 0 {
			return -1
		}
		if r := gap / 2; radius < 0 || r < radius {
			radius = r
		}
	}
	return radius
}
