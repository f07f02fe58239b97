package radix

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortIsStableSort checks Sort against slices.SortStableFunc on keys that
// tie, that share their leading bytes, and that are spread over all 64 bits,
// with the values recording where each key started.
func TestSortIsStableSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var kbuf []uint64
	var vbuf []int
	for _, n := range []int{0, 1, 2, 7, 300, 5000} {
		for _, spread := range []string{"ties", "shared leading bytes", "wide"} {
			keys, vals := make([]uint64, n), make([]int, n)
			for i := range keys {
				switch spread {
				case "ties":
					keys[i] = uint64(rng.IntN(5)) << 40
				case "shared leading bytes":
					keys[i] = 0x3ff0<<48 | rng.Uint64N(1<<48)
				default:
					keys[i] = rng.Uint64()
				}
				vals[i] = i
			}
			type pair struct {
				k uint64
				v int
			}
			want := make([]pair, n)
			for i := range want {
				want[i] = pair{keys[i], vals[i]}
			}
			slices.SortStableFunc(want, func(a, b pair) int {
				switch {
				case a.k < b.k:
					return -1
				case a.k > b.k:
					return 1
				}
				return 0
			})
			kbuf, vbuf = Sort(keys, vals, kbuf, vbuf)
			for i, w := range want {
				if keys[i] != w.k || vals[i] != w.v {
					t.Fatalf("n=%d, %s: [%d] = (%#x, %d), want (%#x, %d)", n, spread, i, keys[i], vals[i], w.k, w.v)
				}
			}
		}
	}
}

// TestSortKeysOnly sorts keys without values.
func TestSortKeysOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	keys := make([]uint64, 1000)
	for i := range keys {
		keys[i] = rng.Uint64() >> rng.IntN(64)
	}
	want := slices.Clone(keys)
	slices.Sort(want)
	Sort[struct{}](keys, nil, nil, nil)
	if !slices.Equal(keys, want) {
		t.Fatal("keys not sorted")
	}
}

func BenchmarkSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	keys := make([]uint64, 1500)
	orig := make([]uint64, len(keys))
	for i := range orig {
		orig[i] = 0x3ff0<<48 | rng.Uint64N(1<<48) // one quarter octave of float64s
	}
	var kbuf []uint64
	for b.Loop() {
		copy(keys, orig)
		kbuf, _ = Sort[struct{}](keys, nil, kbuf, nil)
	}
}
