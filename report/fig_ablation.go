package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"flipcert/results"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// viridisControls are matplotlib's viridis at 0, 0.1, …, 1: perceptually uniform, monotone in
// lightness, and readable with the common colour-vision deficiencies and in greyscale.
var viridisControls = []uint32{
	0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c,
	0x22a884, 0x44bf70, 0x7ad151, 0xbddf26, 0xfde725,
}

// darkBelow is the value under which viridis is dark enough to need white annotations.
const darkBelow = 0.6

// Cell annotations are drawn only when cells are large enough to hold them legibly.
const (
	maxAnnotatedCols = 8
	maxAnnotatedRows = 10
)

func viridis() palette.ColorMap {
	cs := make([]color.Color, len(viridisControls))
	for i, h := range viridisControls {
		cs[i] = rgb(h)
	}
	m, err := moreland.NewLuminance(cs)
	if err != nil {
		panic("results: viridis: " + err.Error()) // the constant table is monotone in lightness
	}
	m.SetMin(0)
	m.SetMax(1)
	return m
}

// heat is the certified accuracy at a fixed budget over the grid, as a plotter.GridXYZ on integer
// cell positions (the axes are categorical).
type heat struct {
	g     results.AblationGrid
	flips int
}

func (h heat) Dims() (c, r int) { return len(h.g.Qs), len(h.g.Lambdas) }
func (h heat) X(c int) float64  { return float64(c) }
func (h heat) Y(r int) float64  { return float64(r) }
func (h heat) Min() float64     { return 0 }
func (h heat) Max() float64     { return 1 }
func (h heat) Z(c, r int) float64 {
	if s := h.g.Curves[c][r]; s != nil {
		return s.CertAcc(h.flips, false)
	}
	return math.NaN()
}

// ablationFigure draws one heatmap of certified accuracy (tight radius) over q × λ per flip
// budget, two panels to a row, with a shared colour bar.
func ablationFigure(g results.AblationGrid, flips []int, nTrain int) figure {
	cmap := viridis()
	pal := cmap.Palette(256)
	cols := min(len(flips), 2)
	rows := (len(flips) + cols - 1) / cols
	panelW, panelH := columnWidth, 2.3*vg.Inch
	barH := 0.55 * vg.Inch
	annotate := len(g.Qs) <= maxAnnotatedCols && len(g.Lambdas) <= maxAnnotatedRows

	qNames := make([]string, len(g.Qs))
	for i, q := range g.Qs {
		qNames[i] = fmtParam(q)
	}
	lNames := make([]string, len(g.Lambdas))
	for i, l := range g.Lambdas {
		lNames[i] = fmtParam(l)
	}

	panels := make([]*plot.Plot, len(flips))
	for i, f := range flips {
		p := newPlot("Flip probability q", "Ridge penalty λ")
		p.Title.Text = fmt.Sprintf("%d flipped labels (%s%%)", f, fmtPercent(f, nTrain))
		h := heat{g, f}
		hm := plotter.NewHeatMap(h, pal)
		hm.NaN = rgb(0xffffff)
		p.Add(hm)
		if annotate {
			p.Add(cellLabels(h))
		}
		p.NominalX(qNames...)
		p.NominalY(lNames...)
		panels[i] = p
	}

	bar := newPlot(certAccLabel+" (tight radius)", "")
	bar.Add(&plotter.ColorBar{ColorMap: cmap})
	bar.HideY()
	bar.X.Min, bar.X.Max = 0, 1

	w := vg.Length(cols) * panelW
	h := vg.Length(rows)*panelH + barH
	return figure{w: w, h: h, draw: func(c draw.Canvas) {
		c = draw.Crop(c, 0, -vg.Points(6), vg.Points(2), -vg.Points(4))
		grid := draw.Crop(c, 0, 0, barH, 0)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(14), PadY: vg.Points(8)}
		for i, p := range panels {
			p.Draw(tiles.At(grid, i%cols, i/cols))
		}
		bc := c
		bc.Max.Y = c.Min.Y + barH - vg.Points(6)
		mid := (c.Min.X + c.Max.X) / 2
		bc.Min.X, bc.Max.X = mid-1.4*vg.Inch, mid+1.4*vg.Inch
		bar.Draw(bc)
	}}
}

// cellLabels writes each cell's value with two decimals, white on dark cells, black on light.
func cellLabels(h heat) *plotter.Labels {
	var d plotter.XYLabels
	var styles []text.Style
	nc, nr := h.Dims()
	for c := range nc {
		for r := range nr {
			v := h.Z(c, r)
			label := "–"
			if !math.IsNaN(v) {
				label = strconv.FormatFloat(v, 'f', 2, 64)
			}
			d.XYs = append(d.XYs, plotter.XY{X: h.X(c), Y: h.Y(r)})
			d.Labels = append(d.Labels, label)
			sty := textStyle(tickSize)
			sty.XAlign, sty.YAlign = draw.XCenter, draw.YCenter
			if v < darkBelow {
				sty.Color = rgb(0xffffff)
			}
			styles = append(styles, sty)
		}
	}
	l, err := plotter.NewLabels(d)
	if err != nil {
		panic("results: " + err.Error()) // cell positions are finite
	}
	l.TextStyle = styles
	return l
}
