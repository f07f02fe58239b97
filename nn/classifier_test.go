package nn

import (
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// bandImages returns n synthetic images of k classes that are linearly
// separable: an image of class c has ink only on random pixels of the
// horizontal band of rows [c·28/k, (c+1)·28/k), with random intensities, plus
// a few random pixels of noise anywhere. Classes cycle 0, 1, …, k−1.
func bandImages(n, k int, seed uint64) (*mat.Dense, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := mat.NewDense(n, Pixels, nil)
	y := make([]int, n)
	for i := range n {
		c := i % k
		y[i] = c
		row := x.RawRowView(i)
		lo, hi := c*Side/k*Side, (c+1)*Side/k*Side
		for p := lo; p < hi; p++ {
			if rng.IntN(3) == 0 {
				row[p] = 0.2 + 0.8*rng.Float64()
			}
		}
		for range 5 {
			row[rng.IntN(Pixels)] = rng.Float64()
		}
	}
	return x, y
}

// TestClassifierLearnsThreeClasses trains K = 3 on separable synthetic images:
// held-out accuracy must be near perfect (chance is 1/3), and Predict must be
// the argmax of Scores, the lowest class on ties.
func TestClassifierLearnsThreeClasses(t *testing.T) {
	x, y := bandImages(600, 3, 1)
	tx, ty := bandImages(300, 3, 2)
	c, err := TrainClassifier(images(t, x), y, ClassifierConfig{Classes: 3, Epochs: 5, BatchSize: 32, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	tim := images(t, tx)
	if acc := c.Accuracy(tim, ty); acc < 0.98 {
		t.Errorf("held-out accuracy %.3f on separable 3-class data, want ≥ 0.98", acc)
	}
	if c.Classes() != 3 {
		t.Errorf("Classes() = %d, want 3", c.Classes())
	}
	scores := c.Scores(tim)
	if r, k := scores.Dims(); r != 300 || k != 3 {
		t.Fatalf("Scores is %d×%d, want 300×3", r, k)
	}
	for i, p := range c.Predict(tim) {
		row := scores.RawRowView(i)
		best := 0
		for j := range row {
			if row[j] > row[best] {
				best = j
			}
		}
		if p != best {
			t.Fatalf("image %d: Predict %d, argmax of scores %v is %d", i, p, row, best)
		}
	}
}

// TestSparseMatchesDense trains the classifier's network twice from the same
// initialisation, once reading the images as dense rows through gonum's GEMM
// and once through the sparse kernels: the weights must be bit-identical, and
// so must the outputs.
func TestSparseMatchesDense(t *testing.T) {
	x, y := bandImages(300, 4, 3)
	im := images(t, x)
	build := func() *network {
		nw := newNetwork(classifierShard, linear{Pixels, 16}, relu{16}, linear{16, 4})
		nw.init(7)
		return nw
	}
	spec := trainSpec{epochs: 2, batch: 100, lr: 1e-3, seed: 4}
	dense, sparse := build(), build()
	dense.train(denseSamples{rawRows(x), Pixels}, y, spec)
	sparse.train(&im.rows, y, spec)
	if !slices.Equal(dense.params, sparse.params) {
		t.Fatal("weights trained on dense and sparse inputs differ")
	}
	if !slices.Equal(dense.apply(denseSamples{rawRows(x), Pixels}, 3, 0), sparse.apply(&im.rows, 3, 0)) {
		t.Error("outputs on dense and sparse inputs differ")
	}
	// Slice must address the same rows.
	if !slices.Equal(sparse.apply(&im.Slice(10, 20).rows, 3, 0), sparse.apply(&im.rows, 3, 0)[10*4:20*4]) {
		t.Error("Slice(10, 20) does not give images 10..19")
	}
}

// TestClassifierWorkersDeterministic trains and fine-tunes a K = 3 classifier
// under GOMAXPROCS 1 and 2 and with one worker: the weights must be
// bit-identical, and another seed must differ.
func TestClassifierWorkersDeterministic(t *testing.T) {
	x, y := bandImages(500, 3, 5)
	im := images(t, x)
	// A batch of 150 leaves a short last batch and a partial shard.
	cfg := ClassifierConfig{Classes: 3, Epochs: 2, BatchSize: 150, Seed: 8}
	train := func(procs, workers int, seed uint64) []float64 {
		var params []float64
		withProcs(procs, func() {
			cfg := cfg
			cfg.Workers, cfg.Seed = workers, seed
			c, err := TrainClassifier(im, y, cfg)
			if err != nil {
				t.Fatal(err)
			}
			f, err := c.FineTune(im, slices.Repeat([]int{2, 0, 1}, len(y)/3+1)[:len(y)], 1, 9, workers)
			if err != nil {
				t.Fatal(err)
			}
			params = append(slices.Clone(c.net.params), f.net.params...)
		})
		return params
	}
	want := train(1, 0, 8)
	for _, tc := range []struct{ procs, workers int }{{2, 0}, {2, 1}, {2, 2}} {
		if got := train(tc.procs, tc.workers, 8); !slices.Equal(got, want) {
			t.Errorf("GOMAXPROCS %d, %d workers: weights differ from GOMAXPROCS 1", tc.procs, tc.workers)
		}
	}
	if slices.Equal(train(2, 0, 9), want) {
		t.Error("seeds 8 and 9 gave identical weights")
	}
}
