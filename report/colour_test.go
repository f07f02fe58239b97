package report

import "testing"

func TestQColoursAreDistinct(t *testing.T) {
	for n := 1; n <= 12; n++ {
		seen := map[[4]uint32]int{}
		for i := range n {
			r, g, b, a := qColour(i, n).RGBA()
			key := [4]uint32{r, g, b, a}
			if j, ok := seen[key]; ok {
				t.Errorf("%d q values: q #%d and #%d share a colour", n, j, i)
			}
			seen[key] = i
		}
	}
}
