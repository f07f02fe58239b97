package nn

import (
	"fmt"
	"testing"

	"flipcert/internal/cputime"
	"flipcert/internal/mnisttest"
)

// BenchmarkTrainContrastiveEpoch is one epoch of the recommended schedule
// (docs/science.md §15) over the first 2,000 MNIST training images, at widths
// 10 and 16 channels. A full-MNIST epoch costs 30 times as much.
func BenchmarkTrainContrastiveEpoch(b *testing.B) {
	x, _ := mnisttest.Digits(b, false, 2000, allDigits...)
	for _, ch := range []int{10, 16} {
		b.Run(fmt.Sprintf("channels%d", ch), func(b *testing.B) {
			cfg := ContrastiveConfig{Dim: 50, Channels: ch, Epochs: 1, BatchSize: 128, Temperature: 0.1, LearningRate: 1e-3, Seed: 1}
			b.ReportAllocs()
			cpu := cputime.Seconds()
			for b.Loop() {
				if _, _, err := TrainContrastive(x, cfg, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cputime.Seconds()-cpu)/float64(b.N), "cpu-s/op")
		})
	}
}

// BenchmarkEncoderEmbed embeds 2,000 images with a 10-channel, 50-wide encoder.
func BenchmarkEncoderEmbed(b *testing.B) {
	x, _ := mnisttest.Digits(b, false, 2000, allDigits...)
	a := encoderArch{channels: 10, dim: 50}
	nw := newNetwork(contrastiveShard, a.layers(false)...)
	nw.init(1)
	e := &Encoder{arch: a, net: nw}
	b.ReportAllocs()
	for b.Loop() {
		e.Embed(x)
	}
}
