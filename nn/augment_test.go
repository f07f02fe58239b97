package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// randomImage returns a Side×Side image of uniform pixels.
func randomImage(seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	img := make([]float64, Pixels)
	for i := range img {
		img[i] = rng.Float64()
	}
	return img
}

// TestWarpExactMaps checks warp on maps whose result is known pixel for
// pixel: the identity, whole-pixel shifts (zeros shifted in), a quarter turn
// and a half-pixel shift (the mean of two neighbours).
func TestWarpExactMaps(t *testing.T) {
	src := randomImage(1)
	at := func(i, j int) float64 {
		if i < 0 || j < 0 || i >= Side || j >= Side {
			return 0
		}
		return src[i*Side+j]
	}
	identity := affine{m00: 1, m11: 1}
	for _, tc := range []struct {
		name string
		m    affine
		want func(i, j int) float64
	}{
		{"identity", identity, at},
		{"shift right 2, up 1", affine{m00: 1, m11: 1, tx: 2, ty: -1}, func(i, j int) float64 { return at(i+1, j-2) }},
		// M = R(−90°): q = c + (py, −px), so output (i, j) reads row 27−j, column i.
		{"quarter turn", affine{m01: 1, m10: -1}, func(i, j int) float64 { return at(Side-1-j, i) }},
		{"half pixel", affine{m00: 1, m11: 1, tx: 0.5}, func(i, j int) float64 { return (at(i, j-1) + at(i, j)) / 2 }},
	} {
		dst := make([]float64, Pixels)
		warp(dst, src, tc.m)
		for i := range Side {
			for j := range Side {
				if got, want := dst[i*Side+j], tc.want(i, j); math.Abs(got-want) > 1e-15 {
					t.Fatalf("%s: pixel (%d, %d) = %v, want %v", tc.name, i, j, got, want)
				}
			}
		}
	}
}

// TestDrawRanges draws many maps and recovers each one's rotation, scales and
// shift from its matrix: all must lie in the configured ranges, and the
// extremes must be approached. Zero ranges must give the identity.
func TestDrawRanges(t *testing.T) {
	a := viewAugment
	rng := rand.New(rand.NewPCG(2, 3))
	var most [4]float64 // largest |θ|, |g|, |a|, |t| seen
	for range 2000 {
		m := a.draw(rng)
		// M = S⁻¹R(−θ): row 0 is (cos θ, sin θ)/sx, row 1 is (−sin θ, cos θ)/sy.
		theta, theta1 := math.Atan2(m.m01, m.m00), math.Atan2(-m.m10, m.m11)
		lsx, lsy := -math.Log(math.Hypot(m.m00, m.m01)), -math.Log(math.Hypot(m.m10, m.m11))
		g, asp := (lsx+lsy)/2, (lsx-lsy)/2
		if math.Abs(theta-theta1) > 1e-12 {
			t.Fatalf("rows disagree on the angle: %v, %v", theta, theta1)
		}
		for k, v := range []struct{ got, limit float64 }{{theta, a.rotate}, {g, a.scale}, {asp, a.aspect}, {m.tx, a.shift}, {m.ty, a.shift}} {
			if math.Abs(v.got) > v.limit*(1+1e-12) {
				t.Fatalf("draw %+v: parameter %d = %v beyond ±%v", m, k, v.got, v.limit)
			}
			most[min(k, 3)] = max(most[min(k, 3)], math.Abs(v.got)/v.limit)
		}
	}
	for k, v := range most {
		if v < 0.99 {
			t.Errorf("parameter %d reached only %.3f of its range in 2000 draws", k, v)
		}
	}
	if m := (augment{}).draw(rng); m != (affine{m00: 1, m11: 1}) {
		t.Errorf("zero ranges drew %+v, want the identity", m)
	}
}
