package results

import (
	"cmp"
	"image/color"
	"math"
	"slices"

	"flipcert/tables"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// samplingPair is one q at which both smoothed methods ran at the λ chosen for analytic.
type samplingPair struct {
	analytic, sampled *curveSet
}

// samplingPairs pairs, per q, analytic with sampled at the same λ: among the λ run with both, the
// one with the largest area under analytic's curve (the λ of Figure 1 when sampled ran there too).
func samplingPairs(sets []*curveSet, maxFlips int) []samplingPair {
	both := func(s *curveSet) bool {
		return s.Method.Kind == tables.Analytic && find(sets, tables.Sampled, s.Q, s.Lambda) != nil
	}
	var out []samplingPair
	for _, a := range best(sets, maxFlips, both) {
		out = append(out, samplingPair{a, find(sets, tables.Sampled, a.Q, a.Lambda)})
	}
	return out
}

// sampledVsAnalyticFigure compares the Monte Carlo certificate with the analytic one: left, both
// certified-accuracy curves per q; right, each test point's sampled radius against its analytic
// radius, with the diagonal.
func sampledVsAnalyticFigure(pairs []samplingPair, maxFlips int) figure {
	curves := newPlot(flipsLabel, certAccLabel)
	addGrid(curves)
	curves.X.Min, curves.X.Max = 0, float64(maxFlips)
	curves.Y.Min, curves.Y.Max = 0, 1
	curves.Y.Tick.Marker = unitTicks
	curvesLeg := legendGrid{cols: 2}

	scatter := newPlot("Analytic radius (flips)", "Sampled radius (flips)")
	addGrid(scatter)
	scatterLeg := legendGrid{cols: 2}
	lo, hi := math.Inf(1), math.Inf(-1)

	for i, pr := range pairs {
		col := qColour(i, len(pairs))
		a := curveLine(pr.analytic, maxFlips, false, lineStyle(col, nil))
		s := curveLine(pr.sampled, maxFlips, false, lineStyle(col, dotted))
		curves.Add(a, s)
		label := "q=" + fmtParam(pr.analytic.Q) + ", λ=" + fmtParam(pr.analytic.Lambda)
		curvesLeg.entries = append(curvesLeg.entries,
			entry{label + ", analytic", []plot.Thumbnailer{a}},
			entry{label + ", sampled", []plot.Thumbnailer{s}})

		var xys plotter.XYs
		for idx, ra := range pr.analytic.byIndex {
			if rs, ok := pr.sampled.byIndex[idx]; ok {
				xys = append(xys, plotter.XY{X: float64(ra), Y: float64(rs)})
			}
		}
		sortXYs(xys) // map order is random; the drawing must not be
		for _, p := range xys {
			lo, hi = min(lo, p.X, p.Y), max(hi, p.X, p.Y)
		}
		sc, _ := plotter.NewScatter(xys)
		r, g, b, _ := col.RGBA()
		sc.GlyphStyle = draw.GlyphStyle{
			Color:  color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x99},
			Radius: vg.Points(1.2),
			Shape:  draw.CircleGlyph{},
		}
		scatter.Add(sc)
		thumb := *sc
		thumb.GlyphStyle.Radius = vg.Points(2)
		scatterLeg.entries = append(scatterLeg.entries, entry{label, []plot.Thumbnailer{&thumb}})
	}
	if lo <= hi {
		diag, _ := plotter.NewLine(plotter.XYs{{X: lo, Y: lo}, {X: hi, Y: hi}})
		diag.LineStyle = draw.LineStyle{Color: midGrey, Width: vg.Points(0.8), Dashes: dashed}
		scatter.Add(diag)
		scatterLeg.entries = append(scatterLeg.entries, entry{"sampled = analytic", []plot.Thumbnailer{diag}})
	}

	curvesLeg, scatterLeg = curvesLeg.fit(pageWidth/2), scatterLeg.fit(pageWidth/2)
	lh := max(curvesLeg.height(), scatterLeg.height())
	h := 2.5*vg.Inch + lh
	return figure{w: pageWidth, h: h, draw: func(c draw.Canvas) {
		c = draw.Crop(c, 0, -margin, vg.Points(4), -vg.Points(6))
		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Points(18)}
		plotWithLegend(tiles.At(c, 0, 0), curves, curvesLeg, lh)
		plotWithLegend(tiles.At(c, 1, 0), scatter, scatterLeg, lh)
	}}
}

// sortXYs orders points by x, then y.
func sortXYs(xys plotter.XYs) {
	slices.SortFunc(xys, func(a, b plotter.XY) int { return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y)) })
}
