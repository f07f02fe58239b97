package report

import (
	"bytes"
	"image/png"
	"testing"
)

// TestExplainPicture draws an explanation with a test digit and a few relabelled
// training digits and checks that the picture is a PNG of the grid's size
// with dark ink where the digits are.
func TestExplainPicture(t *testing.T) {
	square := func(on int) []uint8 { // a 28×28 image with a bright square
		px := make([]uint8, 28*28)
		for y := on; y < on+10; y++ {
			for x := on; x < on+10; x++ {
				px[y*28+x] = 255
			}
		}
		return px
	}
	e := picture{
		title:   "analytic, q=0.05, λ=3·10⁴, test point 17",
		test:    digit{pixels: square(9)},
		caption: []string{"label 7, predicted 7", "certified 812 flips, attack 1034 flips"},
		more:    1022,
	}
	for k := range 12 {
		e.relabeled = append(e.relabeled, digit{pixels: square(k), caption: "7 → 1"})
	}
	data, err := explainPNG(e)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() < 1500 || b.Dy() < 300 {
		t.Fatalf("picture %v, want a grid wider than 1500 px at 200 dpi", b)
	}
	dark := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x2000 {
				dark++
			}
		}
	}
	// 13 squares of ink, each at least 10×10 image pixels drawn ≥ 3× larger.
	if dark < 13*900 {
		t.Errorf("%d dark pixels, want the 13 digits' ink", dark)
	}
	if _, err := explainPNG(picture{title: "no attack", test: digit{pixels: square(0)}}); err != nil {
		t.Fatal(err)
	}
}
