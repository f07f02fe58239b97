package attacks

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
)

// randomKernel draws n kernel weights, some zero and many tied (small
// dyadic multiples, so that ties are exact), and labels in 0..classes−1.
func randomKernel(rng *rand.Rand, n, classes int) ([]float64, []int) {
	alpha, y := make([]float64, n), make([]int, n)
	for i := range n {
		switch rng.IntN(4) {
		case 0:
			alpha[i] = 0
		case 1:
			alpha[i] = float64(rng.IntN(9)-4) / 8
		default:
			alpha[i] = rng.NormFloat64() / float64(n)
		}
		y[i] = rng.IntN(classes)
	}
	return alpha, y
}

// bruteOrder is Order written from its definition: every point's reduction of
// s_class − s_rival by the best single relabeling, kept if positive, sorted
// stably by reduction (so ties stay in index order).
func bruteOrder(alpha []float64, y []int, classes, class, rival int) []Relabel {
	type cand struct {
		gain float64
		r    Relabel
	}
	var cands []cand
	for i, a := range alpha {
		best := cand{gain: 0}
		for to := range classes {
			if to == y[i] {
				continue
			}
			// D = Σ αᵢ(1[yᵢ = class] − 1[yᵢ = rival]); point i's term before and after.
			term := func(k int) float64 {
				switch k {
				case class:
					return a
				case rival:
					return -a
				}
				return 0
			}
			if g := term(y[i]) - term(to); g > best.gain {
				best = cand{g, Relabel{i, to}}
			}
		}
		if best.gain > 0 {
			cands = append(cands, best)
		}
	}
	sort.SliceStable(cands, func(a, b int) bool { return cands[a].gain > cands[b].gain })
	out := make([]Relabel, len(cands))
	for k, c := range cands {
		out[k] = c.r
	}
	return out
}

func TestOrderMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		classes := 2 + trial%4
		n := 1 + rng.IntN(400)
		alpha, y := randomKernel(rng, n, classes)
		class := rng.IntN(classes)
		rival := (class + 1 + rng.IntN(classes-1)) % classes
		got := Order(alpha, y, classes, class, rival)
		want := bruteOrder(alpha, y, classes, class, rival)
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d moves, want %d", trial, len(got), len(want))
		}
		for k := range got {
			if got[k] != want[k] {
				t.Fatalf("trial %d (K = %d, n = %d): move %d is %+v, want %+v", trial, classes, n, k, got[k], want[k])
			}
		}
	}
}

// TestPrefixExtends checks that growing the sorted prefix piece by piece
// (selection, then sorting) gives the same order as one full sort, for
// prefixes of every size asked in random order.
func TestPrefixExtends(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 100 {
		n := 1 + rng.IntN(3000)
		alpha, y := randomKernel(rng, n, 3)
		want := Order(alpha, y, 3, 0, 1)
		var r ranked
		r.build(alpha, y, 3, 0, 1)
		for range 5 {
			m := rng.IntN(len(r.moves) + 1)
			for k, mv := range r.prefix(m) {
				if (Relabel{int(mv.index), int(mv.to)}) != want[k] {
					t.Fatalf("trial %d: prefix(%d)[%d] = %+v, want %+v", trial, m, k, mv, want[k])
				}
			}
		}
	}
}

// TestCrossing checks ranked.crossing against a walk over the full order.
func TestCrossing(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		n := 1 + rng.IntN(2000)
		alpha, y := randomKernel(rng, n, 2)
		var r ranked
		r.build(alpha, y, 2, 1, 0)
		full := Order(alpha, y, 2, 1, 0)
		v := rng.Float64() * 2
		thr := -rng.Float64() * 0.1
		want := -1
		if v < thr {
			want = 0
		} else {
			w := v
			for k, mv := range full {
				if w -= 2 * math.Abs(alpha[mv.Index]); w < thr {
					want = k + 1
					break
				}
			}
		}
		if got := r.crossing(v, thr); got != want {
			t.Fatalf("trial %d: crossing = %d, want %d", trial, got, want)
		}
	}
}

func TestOrderPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"lengths":     func() { Order([]float64{1}, []int{0, 1}, 2, 0, 1) },
		"label":       func() { Order([]float64{1}, []int{2}, 2, 0, 1) },
		"same":        func() { Order([]float64{1}, []int{0}, 2, 1, 1) },
		"class range": func() { Order([]float64{1}, []int{0}, 2, 0, 2) },
		"NaN":         func() { Order([]float64{math.NaN()}, []int{0}, 2, 0, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// TestSortMovesIsSortFunc checks the radix sort against slices.SortFunc with
// compareMoves, on runs below and above radixMin, in index order (as greedy
// places them) and shuffled (as ranked holds them), with gains that tie, that
// share their leading bits (one quarter octave, as a bucket does) and that
// span many octaves.
func TestSortMovesIsSortFunc(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var ms moveSorter
	for _, n := range []int{0, 1, 5, radixMin - 1, radixMin, 1000, 5000} {
		for _, spread := range []string{"ties", "quarter octave", "octaves"} {
			for _, shuffled := range []bool{false, true} {
				m := make([]move, n)
				for i := range m {
					g := 1 + rng.Float64()/5
					switch spread {
					case "ties":
						g = float64(1 + rng.IntN(4))
					case "octaves":
						g = math.Ldexp(1+rng.Float64(), rng.IntN(80)-40)
					}
					m[i] = move{gain: g, index: int32(i * 3), to: int32(rng.IntN(3))}
				}
				if shuffled {
					rng.Shuffle(n, func(i, j int) { m[i], m[j] = m[j], m[i] })
				}
				want := slices.Clone(m)
				slices.SortFunc(want, compareMoves)
				ms.sortMoves(m)
				if !slices.Equal(m, want) {
					t.Fatalf("n=%d, %s, shuffled=%v: radix order differs from SortFunc's", n, spread, shuffled)
				}
			}
		}
	}
}
