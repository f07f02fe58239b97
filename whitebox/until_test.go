package whitebox_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"flipcert/analytic"
	"flipcert/whitebox"
)

// TestLogBoundsUntil checks LogBoundsUntil against LogBounds: asked to
// stop never, it returns the same bounds bit for bit; asked to stop once
// the rivals' bounds add up to less than a level, every set of bounds it
// shows is at least the final one LogBounds returns, each no larger than
// the one shown before, and it returns the set it stopped at.
func TestLogBoundsUntil(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	var cz, full whitebox.Certifier
	stopped := 0
	for trial := range 240 {
		classes := []int{2, 3, 5, 10}[trial%4]
		n := []int{40, 400, 3000}[rng.IntN(3)]
		alpha, y := gaussianKernel(rng, n, classes, 0.5+rng.Float64())
		hi := float64(classes-1) / float64(classes)
		q := []float64{0.01, 0.1, hi / 2}[rng.IntN(3)]
		class := analytic.Certify(alpha, y, classes, q, 0).Class
		r := []int{0, 0, 1, 7}[rng.IntN(4)]
		cz.Negligible = []float64{0, 10}[rng.IntN(2)]
		full.Negligible = cz.Negligible
		want := make([]float64, classes)
		wantUnion := full.LogBounds(want, alpha, y, classes, q, 0, class, r)

		got := make([]float64, classes)
		never := func([]float64) bool { return false }
		if u := cz.LogBoundsUntil(got, alpha, y, classes, q, 0, class, r, never); u != wantUnion || !slices.Equal(got, want) {
			t.Fatalf("trial %d: never stopping gives %v (union %v), LogBounds %v (union %v)", trial, got, u, want, wantUnion)
		}

		level := math.Exp(wantUnion) * (1 + 10*rng.Float64())
		var last, seen []float64
		enough := func(dst []float64) bool {
			for j := range dst {
				if dst[j] < want[j] || last != nil && dst[j] > last[j] {
					t.Fatalf("trial %d: bounds %v shown after %v, the final ones %v", trial, dst, last, want)
				}
			}
			last = append(last[:0], dst...)
			sum := 0.0
			for _, v := range dst {
				sum += math.Exp(v)
			}
			if sum < level {
				seen = slices.Clone(dst)
				return true
			}
			return false
		}
		cz.LogBoundsUntil(got, alpha, y, classes, q, 0, class, r, enough)
		if seen != nil {
			stopped++
			if !slices.Equal(got, seen) {
				t.Fatalf("trial %d: stopped at %v, returned %v", trial, seen, got)
			}
		} else if !slices.Equal(got, want) {
			t.Fatalf("trial %d: never accepted, returned %v, LogBounds %v", trial, got, want)
		}
	}
	if stopped < 100 {
		t.Fatalf("only %d of 240 searches stopped early", stopped)
	}
}
