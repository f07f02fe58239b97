package nn

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"flipcert/dataset"
	"flipcert/features"
	"flipcert/internal/mnisttest"
	"flipcert/ridge"

	"gonum.org/v1/gonum/mat"
)

// TrainContrastive's signature is the guarantee that it reads no label: it
// is handed images and nothing else. Changing it breaks this line.
var _ func(*mat.Dense, ContrastiveConfig, func(done, total int)) (*Encoder, []float64, error) = TrainContrastive

var allDigits = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}

// tinyContrastive is a configuration small enough for many trainings in a
// test: a batch of 40 leaves a short last batch on 150 images (30 images, 60
// views: three full shards of 16 and a partial one).
var tinyContrastive = ContrastiveConfig{Dim: 6, Channels: 3, Epochs: 2, BatchSize: 40, Temperature: 0.2, LearningRate: 1e-3, Seed: 5}

func trainTiny(t *testing.T, x *mat.Dense, cfg ContrastiveConfig) *Encoder {
	t.Helper()
	e, _, err := TrainContrastive(x, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestContrastiveDeterministic trains under GOMAXPROCS 1 and 2 and with one
// or two workers: weights and features must be bit-identical, and another
// seed must differ.
func TestContrastiveDeterministic(t *testing.T) {
	x, _ := mnisttest.Digits(t, false, 150, allDigits...)
	run := func(procs, workers int, seed uint64) (*Encoder, *mat.Dense) {
		var e *Encoder
		var emb *mat.Dense
		withProcs(procs, func() {
			cfg := tinyContrastive
			cfg.Workers, cfg.Seed = workers, seed
			e = trainTiny(t, x, cfg)
			emb = e.Embed(x)
		})
		return e, emb
	}
	want, wantEmb := run(1, 0, 5)
	for _, tc := range []struct{ procs, workers int }{{2, 0}, {2, 1}, {2, 2}} {
		got, emb := run(tc.procs, tc.workers, 5)
		if !slices.Equal(got.net.params, want.net.params) {
			t.Errorf("GOMAXPROCS %d, %d workers: weights differ from GOMAXPROCS 1", tc.procs, tc.workers)
		}
		if !mat.Equal(emb, wantEmb) {
			t.Errorf("GOMAXPROCS %d, %d workers: features differ from GOMAXPROCS 1", tc.procs, tc.workers)
		}
	}
	if other, _ := run(2, 0, 6); slices.Equal(other.net.params, want.net.params) {
		t.Error("seeds 5 and 6 gave identical weights")
	}
}

// TestContrastiveIgnoresLabels trains on the images of a labelled set and of
// the same set with its labels shuffled, as a caller holding labelled data
// would: the weights must be byte-identical. The same training on images
// that differ in a single pixel must not be, so the comparison can fail.
func TestContrastiveIgnoresLabels(t *testing.T) {
	x, y := mnisttest.Digits(t, false, 150, allDigits...)
	shuffled := slices.Clone(y)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if slices.Equal(shuffled, y) {
		t.Fatal("the shuffle left the labels as they were")
	}
	clean, attacked := dataset.Set{X: x, Y: y}, dataset.Set{X: mat.DenseCopyOf(x), Y: shuffled}
	var a, b bytes.Buffer
	if _, err := trainTiny(t, clean.X, tinyContrastive).WriteTo(&a); err != nil {
		t.Fatal(err)
	}
	if _, err := trainTiny(t, attacked.X, tinyContrastive).WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("weights differ between the set and the same images with shuffled labels")
	}
	touched := mat.DenseCopyOf(x)
	touched.Set(17, 14*Side+14, 1-touched.At(17, 14*Side+14))
	if slices.Equal(trainTiny(t, touched, tinyContrastive).net.params, trainTiny(t, x, tinyContrastive).net.params) {
		t.Error("changing a pixel of one image left every weight as it was")
	}
}

// TestContrastiveLearns trains on 5,000 MNIST training images for two epochs
// (a few seconds) and compares ridge classifiers on three label-free feature
// maps of the same width: the trained encoder, the same encoder untrained
// (its initial weights) and principal components. Labels enter only the
// ridge, fitted on the first 4,000 images and scored on the other 1,000. The
// training loss must fall, and the trained features must beat both others by
// clear margins: if training did nothing they would be the untrained ones.
func TestContrastiveLearns(t *testing.T) {
	const n, fit, dim = 5000, 4000, 32
	x, y := mnisttest.Digits(t, false, n, allDigits...)
	cfg := ContrastiveConfig{Dim: dim, Channels: 8, Epochs: 2, BatchSize: 128, Temperature: 0.1, LearningRate: 1e-3, Seed: 1}
	e, losses, err := TrainContrastive(x, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 2 || !(losses[1] < losses[0]) {
		t.Errorf("epoch losses %v do not fall", losses)
	}
	// log(2b − 1) is the loss of features that tell nothing apart.
	if chance := math.Log(2*128 - 1); !(losses[1] < 0.6*chance) {
		t.Errorf("last epoch loss %.3f, want well below log(255) = %.3f", losses[1], chance)
	}
	untrained := newNetwork(contrastiveShard, e.arch.layers(false)...)
	untrained.init(cfg.Seed)
	pca, err := features.FitPCA(x, dim)
	if err != nil {
		t.Fatal(err)
	}
	trained := ridgeAccuracy(t, e.Embed(x), y, fit)
	random := ridgeAccuracy(t, (&Encoder{arch: e.arch, net: untrained}).Embed(x), y, fit)
	principal := ridgeAccuracy(t, pca.Transform(x), y, fit)
	t.Logf("held-out ridge accuracy: trained %.3f, untrained %.3f, PCA-%d %.3f", trained, random, dim, principal)
	if trained < principal+0.03 || trained < random+0.03 {
		t.Errorf("trained features %.3f, want ≥ 0.03 above untrained (%.3f) and PCA (%.3f)", trained, random, principal)
	}
}

// ridgeAccuracy fits one-hot ridge with an unpenalised intercept on the first
// fit rows of phi, at λ = 10⁻³·n·(mean feature variance), and returns its
// accuracy on the other rows.
func ridgeAccuracy(t *testing.T, phi *mat.Dense, y []int, fit int) float64 {
	t.Helper()
	n, d := phi.Dims()
	withOne := features.WithIntercept(phi)
	train := withOne.Slice(0, fit, 0, d+1).(*mat.Dense)
	variance := 0.0
	for j := range d {
		col := mat.Col(nil, j, train)
		mean := 0.0
		for _, v := range col {
			mean += v
		}
		mean /= float64(fit)
		for _, v := range col {
			variance += (v - mean) * (v - mean) / float64(fit*d)
		}
	}
	m, err := ridge.NewDesign(mat.DenseCopyOf(train), true).Fit(1e-3 * float64(fit) * variance)
	if err != nil {
		t.Fatal(err)
	}
	beta := mat.NewDense(d+1, 10, nil)
	for c := range 10 {
		target := make([]float64, fit)
		for i, l := range y[:fit] {
			if l == c {
				target[i] = 1
			}
		}
		beta.SetCol(c, m.Coefficients(target).RawVector().Data)
	}
	var scores mat.Dense
	scores.Mul(withOne.Slice(fit, n, 0, d+1), beta)
	return accuracy(argmaxRows(scores.RawMatrix().Data, 10), y[fit:])
}

// TestContrastiveValidate rejects each out-of-range field with an error that
// names it, and bad data with an error.
func TestContrastiveValidate(t *testing.T) {
	good := tinyContrastive
	if err := good.Validate(); err != nil {
		t.Fatalf("valid config rejected: %v", err)
	}
	for _, tc := range []struct {
		key    string
		change func(*ContrastiveConfig)
	}{
		{"dim", func(c *ContrastiveConfig) { c.Dim = 0 }},
		{"channels", func(c *ContrastiveConfig) { c.Channels = 0 }},
		{"epochs", func(c *ContrastiveConfig) { c.Epochs = 0 }},
		{"batch size", func(c *ContrastiveConfig) { c.BatchSize = 1 }},
		{"temperature", func(c *ContrastiveConfig) { c.Temperature = 0 }},
		{"temperature", func(c *ContrastiveConfig) { c.Temperature = -0.5 }},
		{"temperature", func(c *ContrastiveConfig) { c.Temperature = math.NaN() }},
		{"learning rate", func(c *ContrastiveConfig) { c.LearningRate = 0 }},
		{"workers", func(c *ContrastiveConfig) { c.Workers = -1 }},
	} {
		cfg := good
		tc.change(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.key) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s out of range: error %v, want one line naming %q", tc.key, err, tc.key)
		}
		if _, _, err := TrainContrastive(mat.NewDense(4, Pixels, nil), cfg, nil); err == nil {
			t.Errorf("TrainContrastive accepted a bad %s", tc.key)
		}
	}
	for name, x := range map[string]*mat.Dense{"nil": nil, "one image": mat.NewDense(1, Pixels, nil), "wrong width": mat.NewDense(4, 5, nil)} {
		if _, _, err := TrainContrastive(x, good, nil); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestContrastiveProgress counts the progress calls: one per mini-batch,
// ending at the total.
func TestContrastiveProgress(t *testing.T) {
	x, _ := mnisttest.Digits(t, false, 150, allDigits...)
	var calls []int
	_, losses, err := TrainContrastive(x, tinyContrastive, func(done, total int) {
		if total != 8 { // 2 epochs of ⌈150/40⌉ = 4 batches
			t.Fatalf("total %d, want 8", total)
		}
		calls = append(calls, done)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(calls, []int{1, 2, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("progress calls %v, want 1..8", calls)
	}
	if len(losses) != 2 {
		t.Errorf("%d epoch losses, want 2", len(losses))
	}
}

// TestEncoderRoundTrip writes and reads an encoder: the features must be
// identical, and truncated or damaged streams must be rejected.
func TestEncoderRoundTrip(t *testing.T) {
	a := encoderArch{channels: 3, dim: 7}
	nw := newNetwork(contrastiveShard, a.layers(false)...)
	nw.init(3)
	e := &Encoder{arch: a, net: nw}
	var buf bytes.Buffer
	n, err := e.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; buffer holds %d bytes", n, err, buf.Len())
	}
	stream := buf.Bytes()
	got, err := ReadEncoder(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(3, Pixels, nil)
	for i := range 3 * Pixels {
		x.RawMatrix().Data[i] = float64(i%97) / 97
	}
	if !mat.Equal(e.Embed(x), got.Embed(x)) || got.Dim() != 7 || got.Channels() != 3 {
		t.Error("features differ after a round trip")
	}
	for _, cut := range []int{0, 5, 20, 100, len(stream) / 2, len(stream) - 1} {
		if _, err := ReadEncoder(bytes.NewReader(stream[:cut])); !errors.Is(err, ErrCorrupt) {
			t.Errorf("stream cut at %d of %d bytes: error %v, want ErrCorrupt", cut, len(stream), err)
		}
	}
	// Bytes in the magic, version, channels, dim, count, weights and checksum.
	for _, at := range []int{0, 9, 16, 20, 26, 40, len(stream) - 10, len(stream) - 2} {
		bad := slices.Clone(stream)
		bad[at] ^= 0x10
		if _, err := ReadEncoder(bytes.NewReader(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("byte %d flipped: error %v, want ErrCorrupt", at, err)
		}
	}
	// An embedder stream is not an encoder.
	var emb bytes.Buffer
	embNet := newEmbedderNet(4, 3)
	if _, err := (&Embedder{dim: 4, classes: 3, net: embNet}).WriteTo(&emb); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadEncoder(&emb); !errors.Is(err, ErrCorrupt) {
		t.Errorf("embedder stream read as an encoder: %v", err)
	}
}
