package randstream

import "testing"

func TestStreamsAreKeyed(t *testing.T) {
	first := func(seed uint64, purpose string, chunk uint64) [4]uint64 {
		r := New(seed, purpose, chunk)
		return [4]uint64{r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()}
	}
	base := first(1, "sampler", 0)
	if got := first(1, "sampler", 0); got != base {
		t.Fatalf("same key gave different streams: %v vs %v", got, base)
	}
	for _, k := range []struct {
		seed    uint64
		purpose string
		chunk   uint64
	}{{2, "sampler", 0}, {1, "sampler!", 0}, {1, "sampler", 1}, {0, "sampler", 0}} {
		if got := first(k.seed, k.purpose, k.chunk); got == base {
			t.Errorf("key %+v repeats the stream of (1, sampler, 0)", k)
		}
	}
}

func TestStreamIsRoughlyUniform(t *testing.T) {
	// 10 bins, 100,000 draws: a chi-square statistic above 40 (9 dof) has p < 1e-5.
	r := New(7, "uniformity", 3)
	var bins [10]float64
	const draws = 100000
	for range draws {
		bins[r.IntN(10)]++
	}
	chi2 := 0.0
	for _, c := range bins {
		d := c - draws/10
		chi2 += d * d / (draws / 10)
	}
	if chi2 > 40 {
		t.Fatalf("chi-square %.1f over 10 bins: stream is not uniform", chi2)
	}
}
