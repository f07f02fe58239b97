package attacks

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// greedyKernel draws weights spanning many octaves (from subnormal to
// 2¹⁰⁰⁰), with zeros, exact ties and both signs, and labels in K classes.
func greedyKernel(rng *rand.Rand, n, classes int, scale float64) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	for i := range n {
		switch rng.IntN(6) {
		case 0:
			alpha[i] = 0
		case 1:
			alpha[i] = float64(rng.IntN(9)-4) / 8 * scale
		case 2:
			alpha[i] = math.Ldexp(rng.NormFloat64(), -rng.IntN(70)) * scale
		default:
			alpha[i] = rng.NormFloat64() / float64(n) * scale
		}
		y[i] = rng.IntN(classes)
	}
	return alpha, y
}

// greedyFor sets up a's greedy order for (class, rival) at p as Smoothed
// does and returns the search holding it.
func greedyFor(a *Attacker, p RidgePoint, class, rival int) *search {
	s := &search{a: a, g: &a.sums.probe.order, p: p, q: 0.1, class: class, rival: rival}
	s.scan()
	s.g.pair(p, class, rival)
	return s
}

// TestGreedyIsOrder checks the bucketed order against Order: its size, and
// every prefix asked for, in steps that place and sort buckets piecemeal,
// for weights of every scale (the buckets are quarter octaves below the
// largest, the last taking what lies 40 octaves below it).
func TestGreedyIsOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 52))
	var a Attacker
	for trial := range 300 {
		classes := []int{2, 3, 10, 40}[trial%4]
		n := 1 + rng.IntN(600)
		scale := []float64{1, 0x1p-1060, 0x1p-1000, 0x1p1000}[rng.IntN(4)]
		alpha, y := greedyKernel(rng, n, classes, scale)
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes}
		class := rng.IntN(classes)
		rival := (class + 1 + rng.IntN(classes-1)) % classes
		want := Order(alpha, y, classes, class, rival)
		s := greedyFor(&a, p, class, rival)
		if s.g.size() != len(want) {
			t.Fatalf("trial %d (K = %d, n = %d, scale %g, max %g): %d moves, Order has %d", trial, classes, n, scale, s.maxAbs, s.g.size(), len(want))
		}
		for m := 0; m <= len(want); m += 1 + rng.IntN(len(want)/3+1) {
			got := s.g.prefix(p, m)
			for i, mv := range got {
				if (Relabel{Index: int(mv.index), To: int(mv.to)}) != want[i] {
					t.Fatalf("trial %d (K = %d, scale %g): move %d of %d is %+v, Order's %+v", trial, classes, scale, i, m, mv, want[i])
				}
			}
		}
	}
}

// TestGreedyCrossing checks greedy.crossing against ranked.crossing: where
// it answers, ranked gives the same answer from fresh and from used states
// (whose sums are formed in other orders); where the threshold lies exactly
// on a partial sum, or within rounding of it, it may decline, and it must
// decline rather than answer wrongly.
func TestGreedyCrossing(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 54))
	var a Attacker
	var rk ranked
	answered, declined, between := 0, 0, 0
	for trial := range 400 {
		classes := []int{2, 3, 10}[trial%3]
		n := 1 + rng.IntN(800)
		alpha, y := greedyKernel(rng, n, classes, 1)
		p := RidgePoint{Alpha: alpha, Y: y, Classes: classes}
		class := rng.IntN(classes)
		rival := (class + 1 + rng.IntN(classes-1)) % classes
		order := Order(alpha, y, classes, class, rival)
		gains := make([]float64, len(order))
		var total float64
		for i, r := range order {
			gains[i] = math.Abs(alpha[r.Index])
			if y[r.Index] == class || y[r.Index] == rival {
				gains[i] *= 2
			}
			total += gains[i]
		}
		for range 6 {
			// A threshold at, next to or between partial sums.
			m := rng.IntN(len(order) + 1)
			var partial float64
			for _, g := range gains[:m] {
				partial += g
			}
			v := total * (0.5 + rng.Float64())
			target := v - partial
			kind := rng.IntN(3)
			switch kind {
			case 0:
				target = math.Nextafter(target, math.Inf(rng.IntN(2)*2-1))
			case 1:
				if m > 0 {
					target += gains[m-1] * (rng.Float64() - 0.5)
				}
			}
			s := greedyFor(&a, p, class, rival)
			got, ok := s.g.crossing(p, v, target, 0)
			if !ok {
				declined++
				continue
			}
			answered++
			if kind == 1 {
				between++
			}
			for _, used := range []int{0, 1, len(order) / 2, len(order)} {
				rk.build(alpha, y, classes, class, rival)
				rk.prefix(used)
				if want := rk.crossing(v, target); got != want {
					t.Fatalf("trial %d: crossing %d, ranked after a prefix of %d says %d", trial, got, used, want)
				}
			}
		}
	}
	t.Logf("%d crossings answered (%d between partial sums), %d declined", answered, between, declined)
	if between < 600 || declined < 1000 {
		t.Fatalf("%d answered between partial sums, %d declined: the cases do not exercise both", between, declined)
	}
}

// TestGreedyPlacesOnce checks that prefixes grow the placed moves by
// passes that at least double them, so that reaching a prefix of m moves in
// small steps costs few passes over the points.
func TestGreedyPlacesOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(55, 56))
	var a Attacker
	alpha, y := greedyKernel(rng, 20000, 10, 1)
	p := RidgePoint{Alpha: alpha, Y: y, Classes: 10}
	s := greedyFor(&a, p, 3, 7)
	passes, placed := 0, 0
	for m := 1; m <= s.g.size(); m += 1 + m/20 {
		s.g.prefix(p, m)
		if now := s.g.start(s.g.placed); now != placed {
			passes++
			if placed > 0 && now < 2*placed && now < s.g.size() {
				t.Fatalf("a pass placed %d moves after %d", now, placed)
			}
			placed = now
		}
	}
	if passes > 2*int(math.Log2(float64(s.g.size())))+2 {
		t.Fatalf("%d passes for %d moves", passes, s.g.size())
	}
	if !slices.IsSortedFunc(s.g.moves, compareMoves) {
		t.Fatal("the order is not sorted")
	}
}
