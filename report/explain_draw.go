package report

import (
	"fmt"
	"image"
	"image/color"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// picture is the drawing of an explanation (docs/science.md §11): the test
// image with its certificate, and the training images an attack relabels,
// most influential first.
type picture struct {
	title   string   // the row: method, q, λ, test point
	test    digit    // the test image
	caption []string // lines under the test image: label, prediction, radius and attack size
	// relabeled are the attack's training images, each captioned "old → new".
	relabeled []digit
	// more counts relabelings not drawn.
	more int
}

// digit is a square grey-scale image (grey levels, 0 = black … 255 = white)
// with a caption.
type digit struct {
	pixels  []uint8 // side × side, row-major
	caption string
}

// Grid geometry of an explanation picture.
const (
	explainCols  = 10
	explainCellW = 0.62 * vg.Inch
	explainCellH = 0.75 * vg.Inch // image and caption
	explainThumb = 0.5 * vg.Inch
	explainBig   = 1.5 * vg.Inch
	explainLine  = 0.2 * vg.Inch
	explainHead  = 0.55 * vg.Inch // title and the grid's heading
	explainDPI   = 200.0
)

// explainPNG draws e as a PNG: the test image large on the left with its
// caption, and a grid of the relabeled training images on the right.
func explainPNG(e picture) ([]byte, error) {
	rows := max(1, (len(e.relabeled)+explainCols-1)/explainCols)
	w := 0.1*vg.Inch + explainBig + 0.4*vg.Inch + explainCols*explainCellW + margin
	h := explainHead + max(vg.Length(rows)*explainCellH, explainBig+vg.Length(len(e.caption)+1)*explainLine) + 0.1*vg.Inch
	title := textStyle(labelSize)
	small := textStyle(tickSize)
	small.XAlign = draw.XCenter
	f := figure{w: w, h: h, draw: func(c draw.Canvas) {
		top := c.Max.Y - 0.1*vg.Inch
		c.FillText(title, vg.Point{X: c.Min.X + 0.1*vg.Inch, Y: top - title.Font.Size}, e.title)
		top = c.Max.Y - explainHead
		left := c.Min.X + 0.1*vg.Inch
		drawDigit(c, e.test.pixels, vg.Rectangle{Min: vg.Point{X: left, Y: top - explainBig}, Max: vg.Point{X: left + explainBig, Y: top}})
		body := textStyle(tickSize)
		y := top - explainBig - explainLine
		for _, line := range e.caption {
			c.FillText(body, vg.Point{X: left, Y: y}, line)
			y -= explainLine
		}
		x0 := left + explainBig + 0.4*vg.Inch
		if len(e.relabeled) == 0 {
			c.FillText(body, vg.Point{X: x0, Y: top - body.Font.Size}, "no relabeling found")
			return
		}
		head := "Training labels the attack changes, most influential first"
		if e.more > 0 {
			head += fmt.Sprintf(" (%d more not shown)", e.more)
		}
		c.FillText(body, vg.Point{X: x0, Y: top + 0.08*vg.Inch}, head)
		for k, d := range e.relabeled {
			cx := x0 + vg.Length(k%explainCols)*explainCellW
			cy := top - vg.Length(k/explainCols)*explainCellH
			drawDigit(c, d.pixels, vg.Rectangle{Min: vg.Point{X: cx, Y: cy - explainThumb}, Max: vg.Point{X: cx + explainThumb, Y: cy}})
			c.FillText(small, vg.Point{X: cx + explainThumb/2, Y: cy - explainThumb - small.Font.Size - 1}, d.caption)
		}
	}}
	f.dpi = explainDPI
	return f.png()
}

// digitZoom is how many output pixels each image pixel becomes before the
// canvas scales it, so that its smoothing does not blur the digits.
const digitZoom = 8

// drawDigit draws a square grey-scale image into r, ink dark on white as
// printed digits are.
func drawDigit(c draw.Canvas, pixels []uint8, r vg.Rectangle) {
	side := 1
	for side*side < len(pixels) {
		side++
	}
	if side*side != len(pixels) {
		panic(fmt.Sprintf("report: %d pixels do not make a square image", len(pixels)))
	}
	img := image.NewGray(image.Rect(0, 0, side*digitZoom, side*digitZoom))
	for y := range side * digitZoom {
		for x := range side * digitZoom {
			img.Pix[y*img.Stride+x] = 255 - pixels[(y/digitZoom)*side+x/digitZoom]
		}
	}
	c.DrawImage(r, img)
	c.SetColor(color.Gray{Y: 0xb0})
	c.SetLineWidth(vg.Points(0.5))
	c.Stroke(r.Path())
}
