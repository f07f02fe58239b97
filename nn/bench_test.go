package nn

import (
	"testing"
)

var eightDigits = []int{0, 2, 3, 4, 5, 6, 8, 9}

func BenchmarkTrainEmbedder(b *testing.B) {
	x, y := loadDigits(b, false, eightDigits...)
	tx, ty := loadDigits(b, true, eightDigits...)
	b.ReportAllocs()
	for b.Loop() {
		e, err := TrainEmbedder(x, y, 8, EmbedderConfig{Epochs: 1}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(e.Accuracy(tx, ty), "test-acc")
	}
}

func BenchmarkTrainClassifier(b *testing.B) {
	x, y := loadDigits(b, false, 1, 7)
	tx, ty := loadDigits(b, true, 1, 7)
	b.ReportAllocs()
	for b.Loop() {
		c, err := TrainClassifier(x, y, ClassifierConfig{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(c.Accuracy(tx, ty), "test-acc")
	}
}

func BenchmarkFineTuneClassifier(b *testing.B) {
	x, y := loadDigits(b, false, 1, 7)
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
