package nn

import (
	"testing"

	"flipcert/internal/mnisttest"

	"gonum.org/v1/gonum/mat"
)

// eightDigits are the digits the MNIST 1/7 embedder is trained on (docs/science.md §7).
var eightDigits = []int{0, 2, 3, 4, 5, 6, 8, 9}

func benchmarkTrainEmbedder(b *testing.B, cfg EmbedderConfig) {
	x, y := mnisttest.Digits(b, false, 0, eightDigits...)
	tx, ty := mnisttest.Digits(b, true, 0, eightDigits...)
	b.ReportAllocs()
	for b.Loop() {
		e, err := TrainEmbedder(x, y, len(eightDigits), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(e.Accuracy(tx, ty), "test-acc")
	}
}

// BenchmarkTrainEmbedderEpoch is one epoch over the ≈47k eight-digit images.
func BenchmarkTrainEmbedderEpoch(b *testing.B) { benchmarkTrainEmbedder(b, EmbedderConfig{Epochs: 1}) }

// BenchmarkTrainEmbedderDefault is the full default schedule.
func BenchmarkTrainEmbedderDefault(b *testing.B) { benchmarkTrainEmbedder(b, EmbedderConfig{}) }

// BenchmarkEmbed embeds the 15,170 images of MNIST 1/7 (train and test).
func BenchmarkEmbed(b *testing.B) {
	x, _ := mnisttest.Digits(b, false, 0, 1, 7)
	tx, _ := mnisttest.Digits(b, true, 0, 1, 7)
	var all mat.Dense
	all.Stack(x, tx)
	nw := newEmbedderNet(50, 8)
	nw.init(1)
	e := &Embedder{dim: 50, classes: 8, net: nw}
	b.ReportAllocs()
	for b.Loop() {
		e.Embed(&all)
	}
}

func BenchmarkTrainClassifier(b *testing.B) {
	x, y := mnisttest.Digits(b, false, 0, 1, 7)
	tx, ty := mnisttest.Digits(b, true, 0, 1, 7)
	b.ReportAllocs()
	for b.Loop() {
		c, err := TrainClassifier(x, y, ClassifierConfig{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(c.Accuracy(tx, ty), "test-acc")
	}
}

// BenchmarkFineTuneClassifier is one fine-tuning epoch on one goroutine, the
// unit of work of the pointwise attack.
func BenchmarkFineTuneClassifier(b *testing.B) {
	x, y := mnisttest.Digits(b, false, 0, 1, 7)
	c, err := TrainClassifier(x, y, ClassifierConfig{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.FineTune(x, y, 1, 3); err != nil {
			b.Fatal(err)
		}
	}
}
