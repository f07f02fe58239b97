package nn

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"slices"
	"testing"

	"flipcert/internal/mnisttest"

	"gonum.org/v1/gonum/mat"
)

// TestTrainingSanity trains both networks on a few hundred MNIST images: the
// loss must fall from epoch to epoch and held-out accuracy must beat chance
// by a wide margin. The embedder is trained with eight outputs (the MNIST 1/7
// experiment) and with ten (the ten-digit experiment's held-out split).
func TestTrainingSanity(t *testing.T) {
	for _, digits := range [][]int{eightDigits, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		k := len(digits)
		x, y := mnisttest.Digits(t, false, 100*k, digits...)
		tx, ty := mnisttest.Digits(t, true, 50*k, digits...)
		nw := newEmbedderNet(50, k)
		nw.init(1)
		losses := nw.train(denseSamples{rawRows(x), Pixels}, y, trainSpec{epochs: 4, batch: 32, lr: 2e-3, seed: 1})
		for i := 1; i < len(losses); i++ {
			if !(losses[i] < losses[i-1]) {
				t.Errorf("%d classes: embedder epoch losses do not fall: %v", k, losses)
			}
		}
		if lk := math.Log(float64(k)); losses[0] > lk+0.2 || losses[len(losses)-1] > 0.8*lk {
			t.Errorf("%d classes: embedder losses %v: start near ln %d = %.2f, should end well below", k, losses, k, lk)
		}
		e := &Embedder{dim: 50, classes: k, net: nw}
		if acc := e.Accuracy(tx, ty); acc < 0.6 {
			t.Errorf("%d classes: embedder held-out accuracy %.3f after %d images, want ≥ 0.6 (chance %.3f)", k, acc, 100*k, 1/float64(k))
		}
	}

	bx, by := mnisttest.Digits(t, false, 500, 1, 7)
	btx, bty := mnisttest.Digits(t, true, 0, 1, 7)
	c, err := TrainClassifier(images(t, bx), by, ClassifierConfig{Epochs: 5, BatchSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	if acc := c.Accuracy(images(t, btx), bty); acc < 0.95 {
		t.Errorf("classifier test accuracy %.3f after 500 images of 1/7, want ≥ 0.95", acc)
	}
}

// withProcs runs f with GOMAXPROCS set to p.
func withProcs(p int, f func()) {
	old := runtime.GOMAXPROCS(p)
	defer runtime.GOMAXPROCS(old)
	f()
}

// TestDeterministicAcrossProcs trains with GOMAXPROCS 1 and 2 and requires
// bit-identical weights and embeddings; a different seed must differ.
func TestDeterministicAcrossProcs(t *testing.T) {
	x, y := mnisttest.Digits(t, false, 200, eightDigits...)
	train := func(procs int, seed uint64) (*Embedder, *mat.Dense, []float64) {
		var e *Embedder
		var emb *mat.Dense
		var cw []float64
		withProcs(procs, func() {
			var err error
			// A batch of 40 leaves a short final batch and a partial shard.
			if e, err = TrainEmbedder(x, y, 8, EmbedderConfig{Epochs: 1, BatchSize: 40, Seed: seed}, nil); err != nil {
				t.Fatal(err)
			}
			emb = e.Embed(x)
			bin := make([]int, len(y))
			for i, v := range y {
				bin[i] = v % 2
			}
			c, err := TrainClassifier(images(t, x), bin, ClassifierConfig{Epochs: 2, BatchSize: 150, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			cw = c.net.params
		})
		return e, emb, cw
	}
	e1, emb1, c1 := train(1, 5)
	e2, emb2, c2 := train(2, 5)
	if !slices.Equal(e1.net.params, e2.net.params) {
		t.Error("embedder weights differ between GOMAXPROCS 1 and 2")
	}
	if !mat.Equal(emb1, emb2) {
		t.Error("embeddings differ between GOMAXPROCS 1 and 2")
	}
	if !slices.Equal(c1, c2) {
		t.Error("classifier weights differ between GOMAXPROCS 1 and 2")
	}
	if e3, _, _ := train(2, 6); slices.Equal(e1.net.params, e3.net.params) {
		t.Error("seeds 5 and 6 gave identical embedders")
	}
}

// TestEmbedderRoundTrip writes and reads an embedder: the embeddings must be
// identical, and truncated or damaged streams must be rejected.
func TestEmbedderRoundTrip(t *testing.T) {
	nw := newEmbedderNet(12, 5)
	nw.init(3)
	e := &Embedder{dim: 12, classes: 5, net: nw}
	var buf bytes.Buffer
	n, err := e.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo = %d, %v; buffer holds %d bytes", n, err, buf.Len())
	}
	stream := buf.Bytes()
	got, err := ReadEmbedder(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	x := mat.NewDense(3, Pixels, nil)
	for i := range 3 * Pixels {
		x.RawMatrix().Data[i] = float64(i%97) / 97
	}
	if !mat.Equal(e.Embed(x), got.Embed(x)) || got.Dim() != 12 {
		t.Error("embeddings differ after a round trip")
	}
	for _, cut := range []int{0, 5, 20, 100, len(stream) / 2, len(stream) - 1} {
		if _, err := ReadEmbedder(bytes.NewReader(stream[:cut])); !errors.Is(err, ErrCorrupt) {
			t.Errorf("stream cut at %d of %d bytes: error %v, want ErrCorrupt", cut, len(stream), err)
		}
	}
	for _, at := range []int{0, 9, 14, 40, len(stream) - 10} {
		bad := slices.Clone(stream)
		bad[at] ^= 0x10
		if _, err := ReadEmbedder(bytes.NewReader(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("byte %d flipped: error %v, want ErrCorrupt", at, err)
		}
	}
}

// images converts a 784-column matrix for the classifier.
func images(tb testing.TB, x *mat.Dense) *Images {
	tb.Helper()
	im, err := NewImages(x)
	if err != nil {
		tb.Fatal(err)
	}
	return im
}

// TestTrainValidation rejects bad data and configurations with errors.
func TestTrainValidation(t *testing.T) {
	x := mat.NewDense(2, Pixels, nil)
	im := images(t, x)
	clean, err := TrainClassifier(im, []int{0, 1}, ClassifierConfig{Epochs: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"label out of range", func() error { _, err := TrainEmbedder(x, []int{0, 3}, 3, EmbedderConfig{}, nil); return err }()},
		{"one class", func() error { _, err := TrainEmbedder(x, []int{0, 0}, 1, EmbedderConfig{}, nil); return err }()},
		{"label count", func() error { _, err := TrainClassifier(im, []int{0}, ClassifierConfig{}); return err }()},
		{"wrong width", func() error { _, err := NewImages(mat.NewDense(2, 5, nil)); return err }()},
		{"nil matrix", func() error { _, err := NewImages(nil); return err }()},
		{"negative epochs", func() error { _, err := TrainClassifier(im, []int{0, 1}, ClassifierConfig{Epochs: -1}); return err }()},
		{"binary label", func() error { _, err := TrainClassifier(im, []int{0, 2}, ClassifierConfig{}); return err }()},
		{"label beyond K", func() error { _, err := TrainClassifier(im, []int{0, 3}, ClassifierConfig{Classes: 3}); return err }()},
		{"one output", func() error { _, err := TrainClassifier(im, []int{0, 0}, ClassifierConfig{Classes: 1}); return err }()},
		{"fine-tune label", func() error { _, err := clean.FineTune(im, []int{0, 2}, 1, 1, 0); return err }()},
		{"fine-tune epochs", func() error { _, err := clean.FineTune(im, []int{0, 1}, 0, 1, 0); return err }()},
	} {
		if tc.err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
