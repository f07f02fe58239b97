package decide

import "testing"

// TestRules tabulates each rule, ties included: for two classes class 1 wins
// ties (s ≥ ½, at least half the votes); for more classes the lowest index;
// DPA's plurality takes the lowest index for every number of classes.
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		s    float64
		want int
	}{{0.5, 1}, {0.4999999999999999, 0}, {-3, 0}, {7, 1}} {
		if got := Binary(tc.s); got != tc.want {
			t.Errorf("Binary(%v) = %d, want %d", tc.s, got, tc.want)
		}
	}
	for _, tc := range []struct {
		scores       []float64
		rule, argmax int
	}{
		{[]float64{0.3, 0.5}, 1, 1},
		{[]float64{0.6, 0.4}, 0, 0},
		{[]float64{0.2, 0.2}, 0, 0}, // two classes: s₁ = 0.2 < ½
		{[]float64{0.5, 0.5}, 1, 0}, // two classes: s₁ = ½ is class 1; the argmax alone ties to 0
		{[]float64{0.1, 0.7, 0.7}, 1, 1},
		{[]float64{0.7, 0.1, 0.7}, 0, 0},
		{[]float64{-1, -2, -0.5, -0.5}, 2, 2},
	} {
		if got := Scores(tc.scores); got != tc.rule {
			t.Errorf("Scores(%v) = %d, want %d", tc.scores, got, tc.rule)
		}
		if got := Argmax(tc.scores); got != tc.argmax {
			t.Errorf("Argmax(%v) = %d, want %d", tc.scores, got, tc.argmax)
		}
	}
	for _, tc := range []struct {
		votes           []int
		rule, plurality int
	}{
		{[]int{5, 5}, 1, 0}, // a binary tie: class 1 under the rule, 0 under DPA's plurality
		{[]int{6, 4}, 0, 0},
		{[]int{3, 7}, 1, 1},
		{[]int{4, 4, 4}, 0, 0},
		{[]int{1, 4, 4}, 1, 1},
		{[]int{0, 0, 0, 9}, 3, 3},
	} {
		if got := Votes(tc.votes); got != tc.rule {
			t.Errorf("Votes(%v) = %d, want %d", tc.votes, got, tc.rule)
		}
		if got := Plurality(tc.votes); got != tc.plurality {
			t.Errorf("Plurality(%v) = %d, want %d", tc.votes, got, tc.plurality)
		}
	}
}

func TestPanicsOnNothing(t *testing.T) {
	for name, f := range map[string]func(){
		"Argmax":    func() { Argmax(nil) },
		"Plurality": func() { Plurality(nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s of nothing did not panic", name)
				}
			}()
			f()
		}()
	}
}
