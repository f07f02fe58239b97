package report

import (
	"bytes"
	"image/color"
	"math"
	"strconv"
	"strings"

	"flipcert/results"
	"flipcert/tables"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Figure geometry, sized for a two-column paper: a single column is 3.5 in wide, and no text is
// smaller than 8 pt at that size.
const (
	columnWidth = 3.5 * vg.Inch
	pageWidth   = 7 * vg.Inch
	pngDPI      = 300
	labelSize   = 9 * vg.Length(1)
	tickSize    = 8 * vg.Length(1)
	legendSize  = 8 * vg.Length(1)
	lineWidth   = 1.1 * vg.Length(1)
	gap         = 4 * vg.Length(1) // between a plot and its legend, and between legend columns
	thumbWidth  = 16 * vg.Length(1)
	margin      = 4 * vg.Length(1) // right edge of every figure
)

// Okabe-Ito colours, safe for the common colour-vision deficiencies; yellow comes last because it
// is faint on white.
var (
	okabeIto = []color.Color{
		rgb(0x0072B2), // blue
		rgb(0xD55E00), // vermillion
		rgb(0x009E73), // bluish green
		rgb(0xE69F00), // orange
		rgb(0x56B4E9), // sky blue
		rgb(0xF0E442), // yellow
	}
	purple   = rgb(0xCC79A7) // DPA, outside the q cycle
	black    = rgb(0x000000)
	darkGrey = rgb(0x404040)
	midGrey  = rgb(0x8C8C8C)
)

// Dash patterns: solid for the tight radius, dashed for KL, dotted for Monte Carlo.
var (
	dashed    = []vg.Length{vg.Points(3.5), vg.Points(2)}
	dotted    = []vg.Length{vg.Points(1), vg.Points(1.5)}
	dpaDashes = [][]vg.Length{{vg.Points(5), vg.Points(1.5), vg.Points(1), vg.Points(1.5)}, {vg.Points(6), vg.Points(2)}, {vg.Points(2), vg.Points(1)}}
	sansSerif = font.Font{Typeface: "Liberation", Variant: "Sans"}
)

func rgb(hex uint32) color.Color {
	return color.RGBA{R: uint8(hex >> 16), G: uint8(hex >> 8), B: uint8(hex), A: 0xff}
}

// qColour is the colour of the i-th of n q values: Okabe-Ito while they last,
// else a sequential viridis ramp (stopping short of its faint yellow end),
// which keeps many curves distinct and shows the order of q.
func qColour(i, n int) color.Color {
	if n <= len(okabeIto) {
		return okabeIto[i]
	}
	c, err := viridis().At(0.85 * float64(i) / float64(n-1))
	if err != nil {
		panic("results: " + err.Error()) // the argument lies in [0, 0.85]
	}
	return c
}

func textStyle(size vg.Length) text.Style {
	return text.Style{Color: black, Font: font.From(sansSerif, size), Handler: plot.DefaultTextHandler}
}

// newPlot returns a plot with the house fonts and sizes and no legend of its own (figures draw
// their legends beside the plot, where they cannot hide data).
func newPlot(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = font.From(sansSerif, labelSize)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sansSerif, labelSize)
		a.Tick.Label.Font = font.From(sansSerif, tickSize)
		a.Padding = vg.Points(2)
		a.Tick.Length = vg.Points(4)
	}
	p.X.Label.Text, p.Y.Label.Text = xLabel, yLabel
	return p
}

// unitTicks marks [0, 1] every 0.2 with minor ticks every 0.1, for accuracies.
var unitTicks = plot.ConstantTicks(func() []plot.Tick {
	var ts []plot.Tick
	for i := 0; i <= 10; i++ {
		t := plot.Tick{Value: float64(i) / 10}
		if i%2 == 0 {
			t.Label = strconv.FormatFloat(t.Value, 'f', 1, 64)
		}
		ts = append(ts, t)
	}
	return ts
}())

// addGrid draws light major grid lines under the data.
func addGrid(p *plot.Plot) {
	g := plotter.NewGrid()
	g.Vertical.Color = color.Gray{Y: 0xe4}
	g.Horizontal.Color = color.Gray{Y: 0xe4}
	g.Vertical.Width = vg.Points(0.5)
	g.Horizontal.Width = vg.Points(0.5)
	p.Add(g)
}

// entry is one legend line: a label and the thumbnails of the curve it names.
type entry struct {
	label  string
	thumbs []plot.Thumbnailer
}

// legendGrid lays entries out row-major in cols columns below a plot.
type legendGrid struct {
	entries []entry
	cols    int
}

func (g legendGrid) column(j int) plot.Legend {
	l := plot.NewLegend()
	l.TextStyle = textStyle(legendSize)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = thumbWidth
	l.Padding = vg.Points(1)
	for i := j; i < len(g.entries); i += g.cols {
		l.Add(g.entries[i].label, g.entries[i].thumbs...)
	}
	return l
}

// fit returns g with as many columns, up to g.cols, as entries fit side by side in width w.
func (g legendGrid) fit(w vg.Length) legendGrid {
	sty := textStyle(legendSize)
	var widest vg.Length
	for _, e := range g.entries {
		widest = max(widest, thumbWidth+sty.Width(" "+e.label)+gap)
	}
	for g.cols > 1 && vg.Length(g.cols)*widest > w {
		g.cols--
	}
	return g
}

// legendRows lays out groups of entries, each group starting a new row, when the longest group
// fits side by side in width w; otherwise it flows them as fit does.
func legendRows(groups [][]entry, w vg.Length) legendGrid {
	var flat legendGrid
	for _, g := range groups {
		flat.cols = max(flat.cols, len(g))
		flat.entries = append(flat.entries, g...)
	}
	if fitted := flat.fit(w); fitted.cols < flat.cols {
		return fitted
	}
	padded := legendGrid{cols: flat.cols}
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		padded.entries = append(padded.entries, g...)
		for range flat.cols - len(g) {
			padded.entries = append(padded.entries, entry{})
		}
	}
	return padded
}

// height is the vertical space the legend needs.
func (g legendGrid) height() vg.Length {
	if len(g.entries) == 0 {
		return 0
	}
	l := g.column(0)
	r := l.Rectangle(draw.Canvas{})
	return r.Max.Y - r.Min.Y + gap
}

// draw draws the legend in the top of c, columns of equal width.
func (g legendGrid) draw(c draw.Canvas) {
	c.Min.X += vg.Points(2)
	w := (c.Max.X - c.Min.X) / vg.Length(g.cols)
	for j := range g.cols {
		cc := c
		cc.Min.X = c.Min.X + vg.Length(j)*w
		cc.Max.X = cc.Min.X + w
		l := g.column(j)
		l.Draw(cc)
	}
}

// figure is a drawing of a fixed size that can be rendered as SVG and PNG.
type figure struct {
	w, h vg.Length
	draw func(c draw.Canvas)
	dpi  float64 // of the PNG; 0 means pngDPI
}

func (f figure) svg() ([]byte, error) {
	c := vgsvg.New(f.w, f.h)
	f.paint(draw.New(c))
	var buf bytes.Buffer
	_, err := c.WriteTo(&buf)
	return buf.Bytes(), err
}

func (f figure) png() ([]byte, error) {
	dpi := f.dpi
	if dpi == 0 {
		dpi = pngDPI
	}
	c := vgimg.NewWith(vgimg.UseWH(f.w, f.h), vgimg.UseDPI(int(dpi)))
	f.paint(draw.New(c))
	var buf bytes.Buffer
	_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(&buf)
	return buf.Bytes(), err
}

func (f figure) paint(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	f.draw(c)
}

// plotWithLegend draws p in the top of c and the legend grid in the bottom lh of c, and returns
// the data area of p. Side-by-side panels pass the same lh so that their axes line up.
func plotWithLegend(c draw.Canvas, p *plot.Plot, g legendGrid, lh vg.Length) draw.Canvas {
	pc := draw.Crop(c, 0, 0, lh, 0)
	p.Draw(pc)
	dc := p.DataCanvas(pc)
	lc := c
	lc.Max.Y = c.Min.Y + lh - gap
	g.draw(lc)
	return dc
}

// fmtParam writes a parameter for a legend: shortest exact text, with large round values as
// m·10ᵏ when Liberation has the superscript digits of k (it lacks the superscript minus, zero
// and nine), else as m·1eK.
func fmtParam(x float64) string {
	if x >= 1e4 {
		exp := int(math.Floor(math.Log10(x)))
		m := x / math.Pow(10, float64(exp))
		if ms := strconv.FormatFloat(m, 'g', -1, 64); len(ms) <= 3 && m*math.Pow(10, float64(exp)) == x {
			sup, ok := superscript(exp)
			switch {
			case !ok:
				return ms + "e" + strconv.Itoa(exp)
			case ms == "1":
				return "10" + sup
			}
			return ms + "·10" + sup
		}
	}
	return tables.FormatFloat(x)
}

// fmtPercent writes flips as a percentage of n with two significant digits.
func fmtPercent(flips, n int) string {
	return strconv.FormatFloat(float64(flips)/float64(n)*100, 'g', 2, 64)
}

// superscript writes n ≥ 0 in superscript digits, and reports false when a digit has no glyph
// in Liberation Sans (0 and 9).
func superscript(n int) (string, bool) {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	sup := []rune(digits)
	var b strings.Builder
	for _, d := range strconv.Itoa(n) {
		if d == '0' || d == '9' {
			return "", false
		}
		b.WriteRune(sup[d-'0'])
	}
	return b.String(), true
}

// lineStyle returns a line style of the house width.
func lineStyle(c color.Color, dashes []vg.Length) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: lineWidth, Dashes: dashes}
}

// curveLine draws the certified-accuracy curve of s on [0, maxFlips] as a post-step line.
func curveLine(s *results.Curve, maxFlips int, kl bool, sty draw.LineStyle) *plotter.Line {
	xs, ys := s.Steps(maxFlips, kl)
	pts := make(plotter.XYs, len(xs))
	for i := range xs {
		pts[i] = plotter.XY{X: float64(xs[i]), Y: ys[i]}
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		panic("results: " + err.Error()) // the points are finite by construction
	}
	l.LineStyle = sty
	l.StepStyle = plotter.PostStep
	return l
}

// fade returns c with opacity a in [0, 1].
func fade(c color.Color, a float64) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: uint8(math.Round(255 * a))}
}

// A log(1 + x) axis shows counts from 0 to thousands with their small values readable. Data
// drawn on it are mapped by log1pXYs and the axis runs from log1p of its ends; log1pTicks labels
// it in the original units. (Mapping the data, rather than giving the axis a plot.Normalizer,
// keeps gonum centring the axis label on the drawn axis.)

// log1pXYs maps the x of every point to log(1 + x), in place, and returns xys.
func log1pXYs(xys plotter.XYs) plotter.XYs {
	for i := range xys {
		xys[i].X = math.Log1p(xys[i].X)
	}
	return xys
}

// log1pTicks marks 0 and the powers of ten of a log(1 + x) axis, with minor ticks at their
// multiples 2…9 while there are at most six decades; with more, only every few decades is
// labelled.
type log1pTicks struct{}

func (log1pTicks) Ticks(lo, hi float64) []plot.Tick {
	lo, hi = math.Expm1(lo), math.Expm1(hi)
	tick := func(v float64, label string) plot.Tick { return plot.Tick{Value: math.Log1p(v), Label: label} }
	var ts []plot.Tick
	if lo <= 0 {
		ts = append(ts, tick(0, "0"))
	}
	top := int(math.Floor(math.Log10(hi)))
	every := max(1, (top+5)/6)
	for k := 0; k <= top; k++ {
		v := math.Pow(10, float64(k))
		if v >= lo {
			label := ""
			if k%every == 0 {
				label = fmtParam(v)
			}
			ts = append(ts, tick(v, label))
		}
		if top > 6 {
			continue
		}
		for d := 2.0; d <= 9; d++ {
			if w := d * v; w >= lo && w <= hi {
				ts = append(ts, tick(w, ""))
			}
		}
	}
	return ts
}

// setLog1pX makes the x axis of p a log(1 + x) axis from 0 to hi.
func setLog1pX(p *plot.Plot, hi float64) {
	p.X.Min, p.X.Max = 0, math.Log1p(hi)
	p.X.Tick.Marker = log1pTicks{}
}

// log10Ticks mark an axis of log₁₀ values at whole numbers: a labelled tick every 1, 2, 5, 10, …
// decades (at most about six labels), with a minor tick at every decade between them while
// there are at most 40; labels use a true minus sign (and v+0 turns a −0 into 0).
type log10Ticks struct{}

func (log10Ticks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for k := 0; (hi-lo)/step > 6; k++ {
		step *= []float64{2, 2.5, 2}[k%3] // 1, 2, 5, 10, 20, 50, …
	}
	minor := hi-lo <= 40
	var ts []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		t := plot.Tick{Value: v}
		if math.Mod(v, step) == 0 {
			t.Label = strings.Replace(strconv.FormatFloat(v+0, 'f', 0, 64), "-", "−", 1)
		} else if !minor {
			continue
		}
		ts = append(ts, t)
	}
	return ts
}
