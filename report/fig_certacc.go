package report

import (
	"image/color"
	"slices"
	"strconv"

	"flipcert/results"
	"flipcert/tables"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

const (
	flipsLabel   = "Number of flipped training labels"
	certAccLabel = "Certified accuracy"
	topAxisLabel = "Flipped labels (% of training set)"
)

// methodLabel names a curve in a legend; λ is named when the method was run at several λ.
func methodLabel(s *results.Curve) string {
	var name string
	switch s.Method.Kind {
	case tables.Analytic, tables.Whitebox, tables.Sampled:
		name = "q=" + fmtParam(s.Q)
		if s.Method.Kind == tables.Whitebox {
			name += ", white-box"
		}
		if s.Method.Samples > 0 {
			name += ", N=" + fmtParam(float64(s.Method.Samples))
		}
		if s.NLambdas > 1 {
			name += ", λ=" + fmtParam(s.Lambda)
		}
		return name
	case tables.RidgeExact:
		name = "ridge (exact)"
	case tables.DPA:
		name = "DPA, k=" + strconv.Itoa(s.Method.Parts)
	}
	if s.NLambdas > 1 {
		name += ", λ=" + fmtParam(s.Lambda)
	}
	return name
}

// qsOf lists the q of the smoothed curves, ascending: one colour each.
func qsOf(curves ...[]*results.Curve) []float64 {
	var qs []float64
	for _, cs := range curves {
		for _, c := range cs {
			qs = append(qs, c.Q)
		}
	}
	slices.Sort(qs)
	return slices.Compact(qs)
}

// certifiedAccuracyFigure is the paper's Figure 1: certified accuracy against the number of
// flipped labels, with the flips as a share of the training set on a top axis.
func certifiedAccuracyFigure(sets []*results.Curve, base []results.BaselineStat, m results.Manifest) figure {
	p := newPlot(flipsLabel, certAccLabel)
	addGrid(p)
	p.X.Min, p.X.Max = 0, float64(m.MaxFlips)
	p.Y.Min, p.Y.Max = 0, 1
	p.Y.Tick.Marker = unitTicks

	var leg legendGrid
	leg.cols = 2
	smoothed, white, peers := results.FigureOne(sets, m.MaxFlips)
	qs := qsOf(smoothed, white)
	for _, s := range smoothed {
		col := qColour(slices.Index(qs, s.Q), len(qs))
		np := curveLine(s, m.MaxFlips, false, lineStyle(col, nil))
		kl := curveLine(s, m.MaxFlips, true, lineStyle(col, dashed))
		p.Add(kl, np)
		leg.entries = append(leg.entries,
			entry{methodLabel(s), []plot.Thumbnailer{np}},
			entry{"q=" + fmtParam(s.Q) + ", KL radius", []plot.Thumbnailer{kl}})
	}
	for _, s := range white {
		sty := lineStyle(qColour(slices.Index(qs, s.Q), len(qs)), dotted)
		sty.Width = 1.6 * lineWidth
		l := curveLine(s, m.MaxFlips, false, sty)
		p.Add(l)
		leg.entries = append(leg.entries, entry{methodLabel(s), []plot.Thumbnailer{l}})
	}
	dpa := 0
	for _, s := range peers {
		sty := lineStyle(black, nil)
		if s.Method.Kind == tables.DPA {
			sty = lineStyle(purple, dpaDashes[dpa%len(dpaDashes)])
			dpa++
		} else {
			sty.Width = 1.4 * lineWidth
		}
		l := curveLine(s, m.MaxFlips, false, sty)
		p.Add(l)
		leg.entries = append(leg.entries, entry{methodLabel(s), []plot.Thumbnailer{l}})
	}
	for _, e := range baselinePlotters(base, m.MaxFlips) {
		p.Add(e.plotters...)
		leg.entries = append(leg.entries, entry{e.label, e.thumbs})
	}

	leg = leg.fit(columnWidth - margin)
	top, lh := topAxisHeight(p), leg.height()
	h := top + 2.3*vg.Inch + lh
	return figure{w: columnWidth, h: h, draw: func(c draw.Canvas) {
		c = draw.Crop(c, 0, -margin, vg.Points(2), -top)
		drawTopAxis(c, p, plotWithLegend(c, p, leg, lh), m.NTrain)
	}}
}

// baselineSeries is one attack of the undefended baseline, ready to add to a plot.
type baselineSeries struct {
	label    string
	plotters []plot.Plotter
	thumbs   []plot.Thumbnailer
}

// errXYs are points with asymmetric vertical error bars, lo below and hi above each point.
type errXYs struct {
	plotter.XYs
	lo, hi []float64
}

func (e errXYs) YError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

// baselinePlotters draws each attack's mean accuracy over seeds as a grey line with markers, and
// its min–max range over seeds as error bars where there is more than one seed.
func baselinePlotters(base []results.BaselineStat, maxFlips int) []baselineSeries {
	styles := map[string]struct {
		label string
		col   color.Color
		glyph draw.GlyphDrawer
	}{
		"random":    {"undefended, random", midGrey, draw.CircleGlyph{}},
		"pointwise": {"undefended, pointwise", darkGrey, draw.TriangleGlyph{}},
	}
	var out []baselineSeries
	for _, attack := range tables.BaselineAttacks {
		var d errXYs // seed means, bars from the minimum to the maximum
		multi := false
		for _, b := range base {
			if b.Attack != attack || b.Flips > maxFlips {
				continue
			}
			d.XYs = append(d.XYs, plotter.XY{X: float64(b.Flips), Y: b.Mean})
			d.lo = append(d.lo, b.Mean-b.Min)
			d.hi = append(d.hi, b.Max-b.Mean)
			multi = multi || b.Seeds > 1
		}
		if len(d.XYs) == 0 {
			continue
		}
		st := styles[attack]
		line, err := plotter.NewLine(d.XYs)
		if err != nil {
			panic("results: " + err.Error()) // accuracies are finite by validation
		}
		line.LineStyle = draw.LineStyle{Color: st.col, Width: vg.Points(0.8)}
		sc, _ := plotter.NewScatter(d.XYs)
		sc.GlyphStyle = draw.GlyphStyle{Color: st.col, Radius: vg.Points(2), Shape: st.glyph}
		s := baselineSeries{label: st.label, plotters: []plot.Plotter{line, sc}, thumbs: []plot.Thumbnailer{line, sc}}
		if multi {
			eb, _ := plotter.NewYErrorBars(d)
			eb.LineStyle = draw.LineStyle{Color: st.col, Width: vg.Points(0.6)}
			eb.CapWidth = vg.Points(3)
			s.plotters = append(s.plotters, eb)
		}
		out = append(out, s)
	}
	return out
}

// topAxisHeight is the space drawTopAxis needs above the data area.
func topAxisHeight(p *plot.Plot) vg.Length {
	return p.X.Tick.Length + textStyle(tickSize).Height("0") + textStyle(labelSize).Height("0") + vg.Points(4)
}

// drawTopAxis draws, above the data area dc of p, a second x axis giving flips as a percentage of
// the n training labels: tick at x = pct/100 · n.
func drawTopAxis(c draw.Canvas, p *plot.Plot, dc draw.Canvas, n int) {
	ls := p.X.LineStyle
	y := dc.Max.Y
	c.StrokeLine2(ls, dc.Min.X, y, dc.Max.X, y)
	tick := textStyle(tickSize)
	tick.XAlign, tick.YAlign = draw.XCenter, draw.YBottom
	pct := func(flips float64) float64 { return flips / float64(n) * 100 }
	for _, t := range (plot.DefaultTicks{}).Ticks(pct(p.X.Min), pct(p.X.Max)) {
		x := dc.X(p.X.Norm(t.Value / 100 * float64(n)))
		if x < dc.Min.X-0.01 || x > dc.Max.X+0.01 {
			continue
		}
		l := p.X.Tick.Length
		if t.IsMinor() {
			c.StrokeLine2(p.X.Tick.LineStyle, x, y, x, y+l/2)
			continue
		}
		c.StrokeLine2(p.X.Tick.LineStyle, x, y, x, y+l)
		c.FillText(tick, vg.Point{X: x, Y: y + l + vg.Points(1)}, t.Label)
	}
	lab := textStyle(labelSize)
	lab.XAlign, lab.YAlign = draw.XCenter, draw.YBottom
	ly := y + p.X.Tick.Length + tick.Height("0") + vg.Points(2)
	c.FillText(lab, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: ly}, topAxisLabel)
}
