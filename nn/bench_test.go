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

// classifierSets are the baseline's two data sets: MNIST 1/7 (13,007 training
// and 2,163 test images, K = 2) and the ten digits (the first 50,000 training
// images, the attacked split of the ten-digit experiment, and the 10,000 test
// images, K = 10).
var classifierSets = []struct {
	name   string
	limit  int
	digits []int
}{
	{"mnist17", 0, []int{1, 7}},
	{"mnist10", 50000, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
}

// BenchmarkTrainClassifier is one training from scratch with the default
// schedule (5 epochs): the unit of work of the random attack.
func BenchmarkTrainClassifier(b *testing.B) {
	for _, set := range classifierSets {
		b.Run(set.name, func(b *testing.B) {
			x, y := mnisttest.Digits(b, false, set.limit, set.digits...)
			tx, ty := mnisttest.Digits(b, true, 0, set.digits...)
			im, tim := images(b, x), images(b, tx)
			b.ReportAllocs()
			for b.Loop() {
				c, err := TrainClassifier(im, y, ClassifierConfig{Classes: len(set.digits)})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(c.Accuracy(tim, ty), "test-acc")
			}
		})
	}
}

// BenchmarkFineTuneClassifier is one fine-tuning epoch on one goroutine, the
// unit of work of the pointwise attack.
func BenchmarkFineTuneClassifier(b *testing.B) {
	for _, set := range classifierSets {
		b.Run(set.name, func(b *testing.B) {
			x, y := mnisttest.Digits(b, false, set.limit, set.digits...)
			im := images(b, x)
			c, err := TrainClassifier(im, y, ClassifierConfig{Classes: len(set.digits), Epochs: 1})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.FineTune(im, y, 1, 3, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkNewImages converts the 13,007 MNIST 1/7 training images.
func BenchmarkNewImages(b *testing.B) {
	x, _ := mnisttest.Digits(b, false, 0, 1, 7)
	b.ReportAllocs()
	for b.Loop() {
		images(b, x)
	}
}
