package report

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"flipcert/results"
	"flipcert/tables"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Styles of the N of a sweep, in ascending N (cycling past four): dashes in panel (a), glyphs in
// panel (b).
var (
	nDashes = [][]vg.Length{dotted, dashed, {vg.Points(5), vg.Points(1.5), vg.Points(1), vg.Points(1.5)}, {vg.Points(7), vg.Points(2.5)}}
	nGlyphs = []draw.GlyphDrawer{draw.CircleGlyph{}, draw.TriangleGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}}
	alarm   = rgb(0xE00000) // contradictions: a red outside the Okabe-Ito set
)

func nLabel(n int) string {
	if n == 0 {
		return "sampled"
	}
	return "sampled, N=" + fmtParam(float64(n))
}

// mcPoint is one row of panel (b) in log₁₀ units.
type mcPoint struct {
	x, y, lo, hi float64 // log₁₀ of the bound, of wrong/N and of the interval's ends
	contradicts  bool
}

// observed returns the rows with wrong > 0 in log₁₀ units; x is −Inf where the bound underflows
// even as a log₁₀, which the panel clamps to its edge.
func observed(rows []tables.MCRow) []mcPoint {
	var out []mcPoint
	for _, r := range rows {
		if r.Wrong == 0 {
			continue
		}
		out = append(out, mcPoint{
			x:           r.LogEpsAnalytic / math.Ln10,
			y:           math.Log10(float64(r.Wrong) / float64(r.N)),
			lo:          math.Log10(r.WrongLo), // −Inf only if the writer's lower end underflowed
			hi:          math.Log10(r.WrongHi),
			contradicts: r.Contradicts(),
		})
	}
	return out
}

// samplingFigure draws the sampled certificate against the analytic one, up to three panels side
// by side: (a) certified accuracy against flips on a log(1 + flips) axis, for analytic and every
// N; and, when mc_vs_analytic.csv was read, (b) the sampled wrong-class rate with its interval
// against the analytic bound, log₁₀ against log₁₀, with the line y = x, and (c) the empirical
// distribution of log₁₀ N*, with marks at the largest N and at a billion samples a second for a
// year. One colour per q; N by dash in (a) and by glyph in (b).
func samplingFigure(groups []results.SamplingGroup, man results.Manifest) figure {
	ns := results.SamplingNs(groups, man)
	styleOf := func(n int) int { return slices.Index(ns, n) % len(nDashes) }
	haveMC := slices.ContainsFunc(groups, func(g results.SamplingGroup) bool { return len(g.MC) > 0 })

	var colours, styles, marks []entry
	for i, g := range groups {
		sw := lineSwatch(qColour(i, len(groups)), nil)
		colours = append(colours, entry{"q=" + fmtParam(g.Analytic.Q) + ", λ=" + fmtParam(g.Analytic.Lambda), []plot.Thumbnailer{sw}})
	}
	styles = append(styles, entry{"analytic", []plot.Thumbnailer{lineSwatch(black, nil)}})
	for _, n := range ns {
		th := []plot.Thumbnailer{lineSwatch(black, nDashes[styleOf(n)])}
		if haveMC {
			th = append(th, glyphSwatch(black, nGlyphs[styleOf(n)]))
		}
		styles = append(styles, entry{nLabel(n), th})
	}

	// (a) certified accuracy, small radii readable.
	a := newPlot("Flipped labels (log scale)", certAccLabel)
	a.Title.Text = "(a) Certified accuracy"
	addGrid(a)
	setLog1pX(a, float64(man.MaxFlips))
	a.Y.Min, a.Y.Max = 0, 1
	a.Y.Tick.Marker = unitTicks
	for i, g := range groups {
		col := qColour(i, len(groups))
		for _, s := range g.Sampled {
			l := curveLine(s, man.MaxFlips, false, lineStyle(col, nDashes[styleOf(results.SampleCount(s.Method, man))]))
			log1pXYs(l.XYs)
			a.Add(l)
		}
		l := curveLine(g.Analytic, man.MaxFlips, false, lineStyle(col, nil))
		log1pXYs(l.XYs)
		a.Add(l)
	}
	panels := []*plot.Plot{a}

	if haveMC {
		b, contradictions := wrongRatePanel(groups, styleOf)
		c := samplesNeededPanel(groups, results.LargestComparedN(groups, man))
		panels = append(panels, b, c)
		marks = append(marks, entry{"(b) estimate = bound", []plot.Thumbnailer{lineSwatch(midGrey, dashed)}})
		if contradictions > 0 {
			marks = append(marks, entry{"(b) contradiction", []plot.Thumbnailer{contradictionRing()}})
		}
	}

	w := pageWidth
	if len(panels) == 1 {
		w = columnWidth
	}
	leg := legendRows([][]entry{colours, styles, marks}, w-margin)
	lh := leg.height()
	h := 2.4*vg.Inch + lh
	return figure{w: w, h: h, draw: func(c draw.Canvas) {
		c = draw.Crop(c, 0, -margin, vg.Points(2), -vg.Points(4))
		pc := draw.Crop(c, 0, 0, lh, 0)
		tiles := draw.Tiles{Rows: 1, Cols: len(panels), PadX: vg.Points(16)}
		for i, p := range panels {
			p.Draw(tiles.At(pc, i, 0))
		}
		lc := c
		lc.Max.Y = c.Min.Y + lh - gap
		leg.draw(lc)
	}}
}

// wrongRatePanel is panel (b): every observed rate (wrong > 0) with its interval against the
// analytic bound, both as log₁₀, on equal axes with the line y = x. Points whose bound lies left
// of the axis are drawn on its edge; contradictions get a red ring. It returns the panel and the
// number of contradictions drawn.
func wrongRatePanel(groups []results.SamplingGroup, styleOf func(int) int) (*plot.Plot, int) {
	p := newPlot("Analytic bound, log10 ε", "Sampled rate, log10(wrong/N)")
	p.Title.Text = "(b) Wrong-class probability"
	addGrid(p)
	p.X.Tick.Marker, p.Y.Tick.Marker = log10Ticks{}, log10Ticks{}

	lo := 0.0
	for _, g := range groups {
		for _, rows := range g.MC {
			for _, pt := range observed(rows) {
				lo = min(lo, pt.y, nonInf(pt.lo, pt.y))
				if !pt.contradicts { // a safe point has x ≥ lo ≥ the axis end
					lo = min(lo, pt.x)
				}
			}
		}
	}
	lo = math.Floor(lo - 0.25)
	if lo > -1 {
		lo = -1
	}
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = lo, 0, lo, 0

	unsafe, _ := plotter.NewPolygon(plotter.XYs{{X: lo, Y: lo}, {X: 0, Y: 0}, {X: lo, Y: 0}})
	unsafe.Color = rgb(0xFBE9E7)
	unsafe.LineStyle.Width = 0
	p.Add(unsafe)
	diag, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: 0, Y: 0}})
	diag.LineStyle = draw.LineStyle{Color: midGrey, Width: vg.Points(0.8), Dashes: dashed}
	p.Add(diag)

	var rings plotter.XYs
	for i, g := range groups {
		col := qColour(i, len(groups))
		for j, rows := range g.MC {
			var d errXYs // the bars run from the interval's lower to its upper end
			for _, pt := range observed(rows) {
				x := max(pt.x, lo) // −Inf and far-left bounds sit on the edge
				d.XYs = append(d.XYs, plotter.XY{X: x, Y: pt.y})
				d.lo = append(d.lo, pt.y-max(nonInf(pt.lo, lo), lo))
				d.hi = append(d.hi, pt.hi-pt.y)
				if pt.contradicts {
					rings = append(rings, plotter.XY{X: x, Y: pt.y})
				}
			}
			if len(d.XYs) == 0 {
				continue
			}
			eb, _ := plotter.NewYErrorBars(d)
			eb.LineStyle = draw.LineStyle{Color: fade(col, 0.45), Width: vg.Points(0.5)}
			eb.CapWidth = 0
			sc, _ := plotter.NewScatter(d.XYs)
			sc.GlyphStyle = draw.GlyphStyle{Color: fade(col, 0.8), Radius: vg.Points(1.6), Shape: nGlyphs[styleOf(g.Ns[j])]}
			p.Add(eb, sc)
		}
	}
	if len(rings) > 0 {
		sc, _ := plotter.NewScatter(rings)
		sc.GlyphStyle = contradictionRing().GlyphStyle
		p.Add(sc)
	}
	return p, len(rings)
}

// nonInf returns v, or alt where v is infinite.
func nonInf(v, alt float64) float64 {
	if math.IsInf(v, 0) {
		return alt
	}
	return v
}

// samplesNeededPanel is panel (c): per q, the share of the points the analytic certificate
// certifies whose log₁₀ N* is at most x, on a log(1 + x) axis, with marks at the largest N run
// and at a billion samples a second for a year.
func samplesNeededPanel(groups []results.SamplingGroup, largestN int) *plot.Plot {
	p := newPlot("log10 N* (log scale)", "Share of certified points")
	p.Title.Text = "(c) Samples to match analytic"
	addGrid(p)
	year := math.Log10(results.BillionPerSecondYear)
	hi := 1.5 * year
	for _, g := range groups {
		if v := g.Needed(); len(v) > 0 {
			hi = max(hi, v[len(v)-1])
		}
	}
	setLog1pX(p, hi)
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = unitTicks
	for i, g := range groups {
		v := g.Needed()
		if len(v) == 0 {
			continue
		}
		xys := plotter.XYs{{X: 0, Y: 0}}
		for k, x := range v {
			if k+1 < len(v) && v[k+1] == x {
				continue // ties: one step to the last of them
			}
			xys = append(xys, plotter.XY{X: x, Y: float64(k+1) / float64(len(v))})
		}
		xys = append(xys, plotter.XY{X: hi, Y: 1})
		l, _ := plotter.NewLine(log1pXYs(xys))
		l.LineStyle = lineStyle(qColour(i, len(groups)), nil)
		l.StepStyle = plotter.PostStep
		p.Add(l)
	}
	marks := []struct {
		x     float64
		label string
	}{{year, "a billion samples/s for a year"}}
	if largestN > 0 {
		marks = append([]struct {
			x     float64
			label string
		}{{math.Log10(float64(largestN)), "largest N run: " + fmtParam(float64(largestN))}}, marks...)
	}
	var lab plotter.XYLabels
	var styles []text.Style
	for _, m := range marks {
		x := math.Log1p(m.x)
		l, _ := plotter.NewLine(plotter.XYs{{X: x, Y: 0}, {X: x, Y: 1}})
		l.LineStyle = draw.LineStyle{Color: darkGrey, Width: vg.Points(0.8), Dashes: dashed}
		p.Add(l)
		lab.XYs = append(lab.XYs, plotter.XY{X: x, Y: 0.12})
		lab.Labels = append(lab.Labels, m.label)
		// Turned a quarter to the left, the text reads upwards from the anchor and lies right of it.
		sty := textStyle(tickSize)
		sty.Color = darkGrey
		sty.Rotation = math.Pi / 2
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
		styles = append(styles, sty)
	}
	labels, _ := plotter.NewLabels(lab)
	labels.TextStyle = styles
	labels.Offset = vg.Point{X: vg.Points(1.5)}
	p.Add(labels)
	return p
}

// lineSwatch is a legend thumbnail: a short line of the house width.
func lineSwatch(c color.Color, dashes []vg.Length) *plotter.Line {
	return &plotter.Line{LineStyle: lineStyle(c, dashes)}
}

// glyphSwatch is a legend thumbnail: one glyph of panel (b).
func glyphSwatch(c color.Color, shape draw.GlyphDrawer) *plotter.Scatter {
	return &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: c, Radius: vg.Points(2), Shape: shape}}
}

// contradictionRing marks a contradiction: a red ring around the point.
func contradictionRing() *plotter.Scatter {
	return &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: alarm, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}}
}

// samplingCaption says what the panels show, how λ was chosen, and, for panel (b), how many
// points it leaves out for wrong = 0 and where their intervals end.
func samplingCaption(groups []results.SamplingGroup, man results.Manifest) string {
	var b strings.Builder
	b.WriteString("Sampled (Monte Carlo) against analytic certificates, one colour per q, at the λ with " +
		"the largest area under the analytic curve among the λ run with both. (a) Certified accuracy " +
		"(tight radius) against the number of flipped labels on a log(1 + flips) axis: analytic solid, " +
		"the sampled certificate dashed or dotted by N. ")
	if !slices.ContainsFunc(groups, func(g results.SamplingGroup) bool { return len(g.MC) > 0 }) {
		b.WriteString("The run wrote no mc_vs_analytic.csv, so the point-by-point comparison is not drawn.")
		return b.String()
	}
	conf := "1 − α/m"
	if man.Alpha > 0 {
		conf = "1 − " + tables.FormatFloat(man.Alpha) + "/m"
	}
	fmt.Fprintf(&b, "(b) Each test point's share of sampled predictions that differ from the analytic "+
		"certificate's class (wrong/N, one glyph per N) against the analytic bound ε on that probability, "+
		"both as log₁₀, with the exact Clopper-Pearson interval at confidence %s (m test points per q, λ "+
		"and N) as bars. The analytic bound is safe where points sit on or below the dashed line y = x; "+
		"a point contradicts it only if its whole interval lies above the line (red ring, on the left edge "+
		"when its bound lies beyond the axis). ", conf)
	var zeros []string
	zeroRows, below := 0, 0
	for _, z := range results.ZeroRowsByN(groups) {
		zeroRows += z.Zero
		below += z.Below
		if z.Zero == 0 {
			continue
		}
		ends := results.FormatShort(z.UpperLo)
		if z.UpperHi != z.UpperLo {
			ends = results.FormatShort(z.UpperLo) + "–" + results.FormatShort(z.UpperHi)
		}
		zeros = append(zeros, fmt.Sprintf("%d of %d at N=%s (upper end %s)", z.Zero, z.Rows, strconv.Itoa(z.N), ends))
	}
	if zeroRows > 0 {
		fmt.Fprintf(&b, "Points with wrong = 0 have no rate to draw: %s; the analytic bound lies below that "+
			"upper end for %d of these %d, where no run of that size could tell the bound from zero. ",
			strings.Join(zeros, ", "), below, zeroRows)
	} else {
		b.WriteString("Every point had at least one wrong sampled prediction. ")
	}
	b.WriteString("(c) Share of the points the analytic certificate certifies against log₁₀ N*, the fewest " +
		"samples with which the sampled certificate could certify the analytic radius even with every vote " +
		"for the top class (log(1 + x) axis); the dashed marks are the largest N run and a billion samples " +
		"a second for a year (≈ 3.2·10¹⁶).")
	for i, g := range groups {
		v := g.Needed()
		if len(v) == 0 {
			continue
		}
		share := func(log10Limit float64) string { return results.FormatShort(100 * g.ShareWithin(log10Limit)) }
		sep := " At q=" + fmtParam(g.Analytic.Q) + ", "
		if i > 0 {
			sep = "; at q=" + fmtParam(g.Analytic.Q) + ", "
		}
		b.WriteString(sep)
		if n := results.LargestComparedN(groups, man); n > 0 {
			fmt.Fprintf(&b, "%s%% of the %d certified points are within reach of N=%s and ", share(math.Log10(float64(n))), len(v), fmtParam(float64(n)))
		} else {
			fmt.Fprintf(&b, "of the %d certified points ", len(v))
		}
		fmt.Fprintf(&b, "%s%% within a billion samples a second for a year", share(math.Log10(results.BillionPerSecondYear)))
	}
	b.WriteString(".")
	return b.String()
}
