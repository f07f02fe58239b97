package features

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func TestPCARecoversPlantedDirections(t *testing.T) {
	// Points spread with standard deviations 5, 2 and 0.1 along three known
	// orthonormal directions of R^4: PCA must find them in that order.
	rng := rand.New(rand.NewPCG(1, 2))
	s := 1 / math.Sqrt2
	dirs := [][]float64{{s, s, 0, 0}, {0, 0, 1, 0}, {s, -s, 0, 0}}
	sd := []float64{5, 2, 0.1}
	const n = 4000
	x := mat.NewDense(n, 4, nil)
	for i := range n {
		for c, dir := range dirs {
			a := sd[c] * rng.NormFloat64()
			for j := range 4 {
				x.Set(i, j, x.At(i, j)+a*dir[j])
			}
		}
		x.Set(i, 3, x.At(i, 3)+7) // an offset PCA must remove through the mean
	}
	pca, err := FitPCA(x, 2)
	if err != nil {
		t.Fatal(err)
	}
	for c := range 2 {
		dot := 0.0
		for j := range 4 {
			dot += pca.Components.At(j, c) * dirs[c][j]
		}
		if math.Abs(math.Abs(dot)-1) > 1e-3 {
			t.Errorf("component %d: |cos| with planted direction = %v", c, math.Abs(dot))
		}
		if v := pca.Variances[c]; math.Abs(v-sd[c]*sd[c]) > 0.1*sd[c]*sd[c] {
			t.Errorf("component %d: variance %v, want about %v", c, v, sd[c]*sd[c])
		}
	}
	if math.Abs(pca.Mean[3]-7) > 0.2 {
		t.Errorf("mean[3] = %v, want about 7", pca.Mean[3])
	}
	// Projections of the training set are centred, with the planted variances.
	z := pca.Transform(x)
	for c := range 2 {
		col := mat.Col(nil, c, z)
		mean, ss := 0.0, 0.0
		for _, v := range col {
			mean += v
		}
		mean /= n
		for _, v := range col {
			ss += (v - mean) * (v - mean)
		}
		if math.Abs(mean) > 1e-9 || math.Abs(ss/(n-1)-pca.Variances[c]) > 1e-6*pca.Variances[c] {
			t.Errorf("projection %d: mean %v variance %v, want 0 and %v", c, mean, ss/(n-1), pca.Variances[c])
		}
	}
}

func TestFitPCARejects(t *testing.T) {
	x := mat.NewDense(3, 2, []float64{1, 2, 3, 4, 5, 7})
	for _, k := range []int{0, 3} {
		if _, err := FitPCA(x, k); err == nil {
			t.Errorf("k = %d accepted for 2 columns", k)
		}
	}
	if _, err := FitPCA(mat.NewDense(1, 2, nil), 1); err == nil {
		t.Error("one training point accepted")
	}
}

func TestWithIntercept(t *testing.T) {
	got := WithIntercept(mat.NewDense(2, 2, []float64{1, 2, 3, 4}))
	want := mat.NewDense(2, 3, []float64{1, 2, 1, 3, 4, 1})
	if !mat.Equal(got, want) {
		t.Fatalf("got %v", mat.Formatted(got))
	}
}
