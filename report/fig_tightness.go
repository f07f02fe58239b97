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

// tightLabel names a curve within its panel.
func tightLabel(s *results.Curve) string {
	l := "λ=" + fmtParam(s.Lambda)
	switch s.Method.Kind {
	case tables.Analytic, tables.Whitebox, tables.Sampled:
		return "q=" + fmtParam(s.Q) + ", " + l
	case tables.DPA:
		return "k=" + strconv.Itoa(s.Method.Parts) + ", " + l
	}
	return l
}

// tightColour is the colour of the i-th curve s of a panel: one colour per q across the panels
// for smoothed methods (qs lists every q drawn, ascending), black for ridge, purple then further
// Okabe-Ito colours for DPA.
func tightColour(s *results.Curve, i int, qs []float64) color.Color {
	switch s.Method.Kind {
	case tables.Analytic, tables.Whitebox, tables.Sampled:
		return qColour(slices.Index(qs, s.Q), len(qs))
	case tables.RidgeExact:
		return black
	}
	dpa := []color.Color{purple, okabeIto[3], okabeIto[2], okabeIto[4]}
	return dpa[i%len(dpa)]
}

// stepPath returns the corners of a post-step curve on [0, xMax].
func stepPath(xs []int, ys []float64, xMax int) plotter.XYs {
	var pts plotter.XYs
	for i := range xs {
		if i > 0 {
			pts = append(pts, plotter.XY{X: float64(xs[i]), Y: ys[i-1]})
		}
		pts = append(pts, plotter.XY{X: float64(xs[i]), Y: ys[i]})
	}
	return append(pts, plotter.XY{X: float64(xMax), Y: ys[len(ys)-1]})
}

// panelTitle names a panel of the tightness figure after its method family.
func panelTitle(p results.TightPanel) string {
	switch p.Kind {
	case tables.Analytic:
		return "Analytic certificate"
	case tables.Whitebox:
		return "White-box certificate"
	case tables.Sampled:
		if p.Samples > 0 {
			return "Sampled certificate, N=" + fmtParam(float64(p.Samples))
		}
		return "Sampled certificate"
	case tables.RidgeExact:
		return "Ridge, exact certificate"
	}
	return "DPA"
}

// tightnessFigure draws, one panel per method family, each setting's certified accuracy (lower
// bound, solid) and its accuracy under the attack (upper bound, dashed) against flips, with the
// band between them shaded: the accuracy nobody has yet certified or broken (docs/science.md §11).
func tightnessFigure(panels []results.TightPanel, xMax int) figure {
	var smoothed []*results.Curve
	for _, tp := range panels {
		for _, s := range tp.Curves {
			if s.Method.Kind.Smoothed() {
				smoothed = append(smoothed, s)
			}
		}
	}
	qs := qsOf(smoothed)
	plots := make([]*plot.Plot, len(panels))
	legends := make([]legendGrid, len(panels))
	cols := min(2, len(panels))
	panelW := (pageWidth - margin) / vg.Length(cols)
	for i, tp := range panels {
		p := newPlot(flipsLabel, "Accuracy")
		p.Title.Text = panelTitle(tp)
		addGrid(p)
		p.X.Min, p.X.Max = 0, float64(xMax)
		p.Y.Min, p.Y.Max = 0, 1
		p.Y.Tick.Marker = unitTicks
		leg := legendGrid{cols: 2}
		for j, s := range tp.Curves {
			col := tightColour(s, j, qs)
			lx, ly := s.Steps(xMax, false)
			ux, uy := s.AttackSteps(xMax)
			upper := stepPath(ux, uy, xMax)
			lower := stepPath(lx, ly, xMax)
			ring := slices.Clone(upper)
			for k := len(lower) - 1; k >= 0; k-- {
				ring = append(ring, lower[k])
			}
			band, _ := plotter.NewPolygon(ring)
			band.Color = fade(col, 0.18)
			band.LineStyle.Width = 0
			lo, _ := plotter.NewLine(lower)
			lo.LineStyle = lineStyle(col, nil)
			up, _ := plotter.NewLine(upper)
			up.LineStyle = lineStyle(col, dashed)
			p.Add(band, lo, up)
			leg.entries = append(leg.entries, entry{tightLabel(s), []plot.Thumbnailer{band, lineSwatch(col, nil)}})
		}
		plots[i] = p
		legends[i] = leg.fit(panelW)
	}
	var lh vg.Length
	for _, l := range legends {
		lh = max(lh, l.height())
	}
	key := legendGrid{cols: 3, entries: []entry{
		{"certified accuracy (lower bound)", []plot.Thumbnailer{lineSwatch(black, nil)}},
		{"accuracy under attack (upper bound)", []plot.Thumbnailer{lineSwatch(black, dashed)}},
		{"not yet certified or broken", []plot.Thumbnailer{&plotter.Polygon{Color: fade(black, 0.18)}}},
	}}.fit(pageWidth - margin)
	kh := key.height()
	rows := (len(panels) + cols - 1) / cols
	panelH := 2.2*vg.Inch + lh
	w := vg.Length(cols) * columnWidth
	return figure{w: w, h: vg.Length(rows)*panelH + kh, draw: func(c draw.Canvas) {
		c = draw.Crop(c, 0, -margin, vg.Points(2), -vg.Points(4))
		grid := draw.Crop(c, 0, 0, kh, 0)
		tiles := draw.Tiles{Rows: rows, Cols: cols, PadX: vg.Points(16), PadY: vg.Points(10)}
		for i, p := range plots {
			plotWithLegend(tiles.At(grid, i%cols, i/cols), p, legends[i], lh)
		}
		kc := c
		kc.Max.Y = c.Min.Y + kh - gap
		key.draw(kc)
	}}
}

// tightnessCaption says what the figure shows and how its settings were chosen.
func tightnessCaption(panels []results.TightPanel, maxFlips, nTrain int) string {
	sampled := ""
	if slices.ContainsFunc(panels, func(p results.TightPanel) bool { return p.Curves[0].Method.Kind == tables.Sampled }) {
		sampled = "; the sampled certificate at its largest N"
	}
	return "How tight each certificate is. Per method, certified accuracy (solid: correct with a certified " +
		"radius ≥ r, a lower bound on the accuracy under any attack of r flips) and accuracy under a " +
		"concrete attack (dashed: correct and the attack found needs more than r flips, an upper bound; a " +
		"point where no attack was found within the " + strconv.Itoa(nTrain) + " training labels counts " +
		"as robust), against the number of flipped labels. The shaded band " +
		"between them is what nobody knows yet. Each method, q and DPA k is drawn at the λ with the " +
		"largest area under its certified-accuracy curve from 0 to " + strconv.Itoa(maxFlips) +
		" flips" + sampled + "."
}
