package results

import (
	"errors"

	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"flipcert/atomicfile"
	"flipcert/tables"
)

// Names of the figures Render may write, each as .svg and .png.
const (
	certAccName  = "certified_accuracy"
	samplingName = "sampled_vs_analytic"
	ablationName = "ablation"
)

// inputs are the parsed, checked contents of an output directory.
type inputs struct {
	manifest manifest
	sets     []*curveSet
	baseline []baselineStat
}

// readInputs reads and validates every input file of dir.
func readInputs(dir string) (inputs, error) {
	m, err := readManifest(filepath.Join(dir, tables.ManifestFile))
	if err != nil {
		return inputs{}, err
	}
	points, err := tables.ReadPoints(filepath.Join(dir, tables.PointsFile), m.classes)
	if err != nil {
		return inputs{}, err
	}
	base, err := readBaseline(dir)
	if err != nil {
		return inputs{}, err
	}
	return inputs{manifest: m, sets: groupPoints(points), baseline: aggregateBaseline(base)}, nil
}

// WriteTables reads the experiment outputs in dir (points.csv, manifest.json and, if present,
// baseline.csv) and writes the tables derived from them: certified_accuracy.csv, summary.csv and
// summary.md. Malformed or inconsistent input yields a *tables.ParseError naming the file and line.
func WriteTables(dir string) error {
	in, err := readInputs(dir)
	if err != nil {
		return err
	}
	return writeTables(dir, in)
}

func writeTables(dir string, in inputs) error {
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.CertifiedAccFile), certifiedAccuracyCSV(in.sets, in.manifest.maxFlips)); err != nil {
		return err
	}
	rows := summarize(in.sets)
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.SummaryCSVFile), summaryCSV(rows)); err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, tables.SummaryMDFile), summaryMarkdown(rows))
}

// Render writes the derived tables (see WriteTables) and, beside them, the figures (SVG and PNG)
// and report.html. Every file is written atomically. Figures that do not apply to the data (no
// sampled run, no q × λ sweep) are not drawn, and a stale copy from an earlier render is removed.
// Malformed or inconsistent input yields a *tables.ParseError naming the file and line.
func Render(dir string) error {
	in, err := readInputs(dir)
	if err != nil {
		return err
	}
	if err := writeTables(dir, in); err != nil {
		return err
	}
	m := in.manifest
	var figs []reportFigure
	add := func(name, title, caption string, f figure) error {
		svg, err := f.svg()
		if err != nil {
			return fmt.Errorf("results: %s.svg: %w", name, err)
		}
		png, err := f.png()
		if err != nil {
			return fmt.Errorf("results: %s.png: %w", name, err)
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, name+".svg"), svg); err != nil {
			return err
		}
		if err := atomicfile.WriteBytes(filepath.Join(dir, name+".png"), png); err != nil {
			return err
		}
		figs = append(figs, reportFigure{Title: title, SVG: name + ".svg", PNG: name + ".png", Caption: caption})
		return nil
	}
	drop := func(name string) error {
		for _, ext := range []string{".svg", ".png"} {
			if err := os.Remove(filepath.Join(dir, name+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
		return nil
	}

	if err := add(certAccName, "Certified accuracy", certAccCaption(in), certifiedAccuracyFigure(in.sets, in.baseline, m)); err != nil {
		return err
	}
	if pairs := samplingPairs(in.sets, m.maxFlips); len(pairs) > 0 {
		err = add(samplingName, "Sampled against analytic certificates", samplingCaption,
			sampledVsAnalyticFigure(pairs, m.maxFlips))
	} else {
		err = drop(samplingName)
	}
	if err != nil {
		return err
	}
	if g, method, ok := ablation(in.sets); ok && len(m.heatmapFlips) > 0 {
		err = add(ablationName, "Ablation over q and λ", ablationCaption(method),
			ablationFigure(g, m.heatmapFlips, m.nTrain))
	} else {
		err = drop(ablationName)
	}
	if err != nil {
		return err
	}

	rows := summarize(in.sets)
	html, err := renderReport(reportData{
		Name:     m.name,
		NTrain:   m.nTrain,
		NTest:    m.nTest,
		MaxFlips: m.maxFlips,
		Figures:  figs,
		Summary:  summaryTable(rows),
		Baseline: baselineTable(in.baseline, m.nTrain),
	}, m.raw)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, tables.ReportFile), html)
}

const samplingCaption = "Left: certified accuracy (tight radius) of the analytic (solid) and Monte " +
	"Carlo (dotted) certificates per q, at the λ with the largest area under the analytic curve among " +
	"the λ run with both. Right: each " +
	"test point's sampled radius against its analytic radius; -1 means abstained or not certified."

// certAccCaption describes Figure 1: what each style means and how λ was chosen.
func certAccCaption(in inputs) string {
	var b strings.Builder
	smoothed, peers := figureOneCurves(in.sets, in.manifest.maxFlips)
	b.WriteString("Certified accuracy against the number of flipped training labels (top axis: as a " +
		"percentage of the training set). ")
	if len(smoothed) > 0 {
		fmt.Fprintf(&b, "Randomized smoothing with the %s certificate, one colour per label-flip "+
			"probability q: tight Neyman-Pearson radius solid, KL radius dashed. ", smoothed[0].Method.String())
	}
	for _, s := range peers {
		if s.Method.Kind == tables.RidgeExact {
			b.WriteString("Black: exact certificate of the unsmoothed ridge classifier. ")
		}
	}
	if slices.ContainsFunc(peers, func(s *curveSet) bool { return s.Method.Kind == tables.DPA }) {
		b.WriteString("Purple: Deep Partition Aggregation. ")
	}
	if len(in.baseline) > 0 {
		b.WriteString("Grey markers: empirical accuracy of the undefended network under attack, mean over " +
			"seeds, with bars from the minimum to the maximum where there are several seeds. ")
	}
	if slices.ContainsFunc(slices.Concat(smoothed, peers), func(s *curveSet) bool { return s.nLambdas > 1 }) {
		b.WriteString("A method run at several λ is shown, per q, at the λ with the largest area under " +
			"its tight-radius curve from 0 to " + strconv.Itoa(in.manifest.maxFlips) + " flips, named in the legend.")
	}
	return strings.TrimSpace(b.String())
}

func ablationCaption(method string) string {
	return "Certified accuracy (tight radius) of the " + method + " certificate over the grid of flip " +
		"probability q and ridge penalty λ, one panel per flip budget; empty cells (–) were not run."
}
