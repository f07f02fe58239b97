package features

import (
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// blobImages returns n side×side images of noise around one of three fixed
// patterns (a bar, a cross, a frame), a different one per image.
func blobImages(n, side int, seed uint64) *mat.Dense {
	rng := rand.New(rand.NewPCG(seed, 7))
	x := mat.NewDense(n, side*side, nil)
	for i := range n {
		row := x.RawRowView(i)
		for r := range side {
			for c := range side {
				var on bool
				switch i % 3 {
				case 0:
					on = r == side/2
				case 1:
					on = r == c || r == side-1-c
				case 2:
					on = r == 1 || c == 1 || r == side-2 || c == side-2
				}
				if on {
					row[r*side+c] = 0.8
				}
				row[r*side+c] += 0.1 * rng.Float64()
			}
		}
	}
	return x
}

// TestKMeansFindsPlantedCentres runs k-means on three well-separated
// Gaussian clusters: each centroid must land within 0.05 of a planted centre
// (the cluster means' standard error is about 0.01), one centroid per centre.
func TestKMeansFindsPlantedCentres(t *testing.T) {
	centres := [][]float64{{0, 0, 0}, {5, 0, 1}, {0, 6, -2}}
	rng := rand.New(rand.NewPCG(3, 4))
	const per = 400
	x := mat.NewDense(3*per, 3, nil)
	for i := range 3 * per {
		for j, v := range centres[i%3] {
			x.Set(i, j, v+0.3*rng.NormFloat64())
		}
	}
	got := kmeans(x, 3, 10, rng)
	used := map[int]bool{}
	for c := range 3 {
		best, bd := -1, math.Inf(1)
		for k, ctr := range centres {
			d := 0.0
			for j, v := range ctr {
				d += (got.At(c, j) - v) * (got.At(c, j) - v)
			}
			if d < bd {
				best, bd = k, d
			}
		}
		if math.Sqrt(bd) > 0.05 || used[best] {
			t.Errorf("centroid %v: nearest planted centre %v at %.3f (already taken: %v)", mat.Row(nil, c, got), centres[best], math.Sqrt(bd), used[best])
		}
		used[best] = true
	}
}

// TestWhiteningClosedForm checks the ZCA matrix against the identity it must
// satisfy: with covariance C, W C W = V Λ/(Λ + ε) Vᵀ = I − ε(C + εI)⁻¹, the
// right side computed by a general inverse rather than an eigendecomposition.
func TestWhiteningClosedForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n, q = 2000, 4
	mix := mat.NewDense(q, q, []float64{1, 0.5, 0, 0, 0, 1, 0.3, 0, 0, 0, 0.2, 0.1, 0.4, 0, 0, 2})
	raw := mat.NewDense(n, q, nil)
	for i := range n {
		for j := range q {
			raw.Set(i, j, rng.NormFloat64())
		}
	}
	var p mat.Dense
	p.Mul(raw, mix)
	var pt Patches
	if err := pt.fitWhitening(&p); err != nil {
		t.Fatal(err)
	}
	var cov mat.SymDense
	centred := mat.DenseCopyOf(&p)
	for i := range n {
		for j := range q {
			centred.Set(i, j, centred.At(i, j)-pt.mean[j])
		}
	}
	cov.SymOuterK(1/float64(n), centred.T())
	var wcw, tmp mat.Dense
	tmp.Mul(pt.whiten, &cov)
	wcw.Mul(&tmp, pt.whiten)
	shifted := mat.DenseCopyOf(&cov)
	for j := range q {
		shifted.Set(j, j, shifted.At(j, j)+patchWhitenEps)
	}
	var inv mat.Dense
	if err := inv.Inverse(shifted); err != nil {
		t.Fatal(err)
	}
	for i := range q {
		for j := range q {
			want := -patchWhitenEps * inv.At(i, j)
			if i == j {
				want++
			}
			if math.Abs(wcw.At(i, j)-want) > 1e-10 {
				t.Errorf("WCW[%d,%d] = %v, want %v", i, j, wcw.At(i, j), want)
			}
		}
	}
}

// TestPatchesTransformDirect recomputes the features of a few images the slow
// way: every patch extracted, normalised, whitened and compared with every
// centroid by explicit loops, codes added to the quadrant of the patch's
// position.
func TestPatchesTransformDirect(t *testing.T) {
	const side = 12
	x := blobImages(30, side, 1)
	pt, err := FitPatches(x, side, PatchConfig{Centroids: 5, Patch: 4, Samples: 500, Iterations: 5, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := pt.Transform(x.Slice(0, 3, 0, side*side).(*mat.Dense))
	if r, c := got.Dims(); r != 3 || c != 4*5 || pt.Dim() != 20 {
		t.Fatalf("features %d×%d, Dim %d, want 3×20", r, c, pt.Dim())
	}
	const w, k = 4, 5
	pos := side - w + 1 // 9 positions: quadrants split 0..4 | 5..8
	for img := range 3 {
		want := make([]float64, 4*k)
		for r := range pos {
			for s := range pos {
				p := make([]float64, w*w)
				for a := range w {
					for b := range w {
						p[a*w+b] = x.At(img, (r+a)*side+s+b)
					}
				}
				mean, sq := 0.0, 0.0
				for _, v := range p {
					mean += v / (w * w)
				}
				for _, v := range p {
					sq += (v - mean) * (v - mean) / (w * w)
				}
				white := make([]float64, w*w)
				for a := range w * w {
					for b := range w * w {
						white[a] += ((p[b]-mean)/math.Sqrt(sq+10.0/(255*255)) - pt.mean[b]) * pt.whiten.At(b, a)
					}
				}
				dist := make([]float64, k)
				avg := 0.0
				for c := range k {
					for a := range w * w {
						dist[c] += (white[a] - pt.centroids.At(c, a)) * (white[a] - pt.centroids.At(c, a))
					}
					dist[c] = math.Sqrt(dist[c])
					avg += dist[c] / k
				}
				quad := 0
				if r >= 5 {
					quad += 2
				}
				if s >= 5 {
					quad++
				}
				for c := range k {
					want[quad*k+c] += math.Max(0, avg-dist[c])
				}
			}
		}
		for j, v := range want {
			if math.Abs(got.At(img, j)-v) > 1e-9*max(1, math.Abs(v)) {
				t.Errorf("image %d feature %d = %v, want %v", img, j, got.At(img, j), v)
			}
		}
	}
}

// TestPatchesDeterministic fits and transforms under GOMAXPROCS 1 and 2: the
// features must be bit-identical.
func TestPatchesDeterministic(t *testing.T) {
	x := blobImages(300, 12, 3)
	run := func(procs int) *mat.Dense {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		pt, err := FitPatches(x, 12, PatchConfig{Centroids: 8, Patch: 5, Samples: 3000, Iterations: 4, Seed: 9})
		if err != nil {
			t.Fatal(err)
		}
		return pt.Transform(x)
	}
	if !mat.Equal(run(1), run(2)) {
		t.Error("features differ between GOMAXPROCS 1 and 2")
	}
}

// TestPatchConfigValidate rejects each out-of-range field with one line
// naming it.
func TestPatchConfigValidate(t *testing.T) {
	good := PatchConfig{Centroids: 4, Patch: 3, Samples: 10, Iterations: 2}
	if err := good.Validate(8); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	for _, tc := range []struct {
		key    string
		change func(*PatchConfig)
	}{
		{"centroids", func(c *PatchConfig) { c.Centroids = 0 }},
		{"patch side", func(c *PatchConfig) { c.Patch = 0 }},
		{"patch side", func(c *PatchConfig) { c.Patch = 9 }},
		{"samples", func(c *PatchConfig) { c.Samples = 3 }},
		{"iterations", func(c *PatchConfig) { c.Iterations = 0 }},
	} {
		cfg := good
		tc.change(&cfg)
		if err := cfg.Validate(8); err == nil || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("%s out of range: error %v, want one naming it", tc.key, err)
		}
	}
	if _, err := FitPatches(mat.NewDense(2, 10, nil), 8, good); err == nil {
		t.Error("images of the wrong size accepted")
	}
}
