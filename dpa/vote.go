package dpa

// VoteRadius returns the plurality class of a vote count (votes[c] = number of
// parts voting for class c; ties go to the smaller class index) and the number
// of flips it is certified against:
//
//	radius = min over c ≠ top of ⌊(n_top − n_c − 1[c < top])/2⌋.
//
// Each flip moves at most one vote, best spent from top to c; class c wins
// after t moves once n_c + t ≥ n_top − t if c < top (ties go to c), or
// n_c + t > n_top − t if c > top. VoteRadius panics if there are fewer than
// two classes or a count is negative.
func VoteRadius(votes []int) (class, radius int) {
	if len(votes) < 2 {
		panic("dpa: VoteRadius needs at least two classes")
	}
	for c, v := range votes {
		if v < 0 {
			panic("dpa: negative vote count")
		}
		if v > votes[class] {
			class = c
		}
	}
	radius = -1
	for c, v := range votes {
		if c == class {
			continue
		}
		gap := votes[class] - v
		if c < class {
			gap-- // class c wins ties against top
		}
		if r := gap / 2; radius < 0 || r < radius {
			radius = r
		}
	}
	return class, radius
}
