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

// Names of the figures Render may write, each as .svg and .png, and of the tables it adds when
// the run has what they summarize.
const (
	certAccName   = "certified_accuracy"
	samplingName  = "sampled_vs_analytic"
	ablationName  = "ablation"
	tightnessName = "tightness"
)

// inputs are the parsed, checked contents of an output directory.
type inputs struct {
	manifest manifest
	sets     []*curveSet // with their attacks, when attack.csv has them
	baseline []baselineStat
	mc       []tables.MCRow // nil without mc_vs_analytic.csv
	explain  []explainImage
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
	mc, err := readMC(dir)
	if err != nil {
		return inputs{}, err
	}
	sets := groupPoints(points)
	attacks, attackPath, err := readAttack(dir)
	if err != nil {
		return inputs{}, err
	}
	if err := attachAttacks(sets, attacks, attackPath, m.nTrain); err != nil {
		return inputs{}, err
	}
	explain, err := readExplain(dir)
	if err != nil {
		return inputs{}, err
	}
	return inputs{manifest: m, sets: sets, baseline: aggregateBaseline(base), mc: mc, explain: explain}, nil
}

// derived are the tables computed from the inputs; the optional ones are nil when the run has
// nothing for them.
type derived struct {
	summary []summaryRow
	mc      []mcStat
	costs   []costRow
	attacks []attackStat
}

func derive(in inputs) derived {
	return derived{
		summary: summarize(in.sets),
		mc:      mcStats(in.mc),
		costs:   costRows(in.manifest.costs),
		attacks: attackStats(in.sets),
	}
}

// WriteTables reads the experiment outputs in dir (points.csv, manifest.json and, if present,
// baseline.csv, mc_vs_analytic.csv and attack.csv) and writes the tables derived from them:
// certified_accuracy.csv, summary.csv and summary.md, and mc_check.csv, costs.csv and
// attack_summary.csv when the run has what they summarize (a stale copy is removed otherwise).
// Malformed or inconsistent input yields a *tables.ParseError naming the file and line.
func WriteTables(dir string) error {
	in, err := readInputs(dir)
	if err != nil {
		return err
	}
	_, err = writeTables(dir, in)
	return err
}

func writeTables(dir string, in inputs) (derived, error) {
	d := derive(in)
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.CertifiedAccFile), certifiedAccuracyCSV(in.sets, in.manifest.maxFlips)); err != nil {
		return d, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.SummaryCSVFile), recordsCSV(summaryRecords(d.summary, tables.FormatFloat))); err != nil {
		return d, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.SummaryMDFile), summaryMarkdown(d)); err != nil {
		return d, err
	}
	for _, t := range []struct {
		name string
		recs [][]string
		ok   bool
	}{
		{tables.MCCheckFile, mcRecords(d.mc, fmtExact), d.mc != nil},
		{tables.CostsFile, costRecords(d.costs, fmtExact), d.costs != nil},
		{tables.AttackSummaryFile, attackRecords(d.attacks, fmtExact), d.attacks != nil},
	} {
		var err error
		if t.ok {
			err = atomicfile.WriteBytes(filepath.Join(dir, t.name), recordsCSV(t.recs))
		} else {
			err = removeStale(filepath.Join(dir, t.name))
		}
		if err != nil {
			return d, err
		}
	}
	return d, nil
}

// removeStale removes a file an earlier render wrote and this one does not; a missing file is fine.
func removeStale(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// writeFigure writes f as name.svg and name.png and returns it for the report; with f nil it
// removes stale copies instead and returns nil.
func writeFigure(dir, name, title, caption string, f *figure) (*reportFigure, error) {
	if f == nil {
		for _, ext := range []string{".svg", ".png"} {
			if err := removeStale(filepath.Join(dir, name+ext)); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	svg, err := f.svg()
	if err != nil {
		return nil, fmt.Errorf("results: %s.svg: %w", name, err)
	}
	png, err := f.png()
	if err != nil {
		return nil, fmt.Errorf("results: %s.png: %w", name, err)
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, name+".svg"), svg); err != nil {
		return nil, err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, name+".png"), png); err != nil {
		return nil, err
	}
	return &reportFigure{Title: title, SVG: name + ".svg", PNG: name + ".png", Caption: caption}, nil
}

// Render writes the derived tables (see WriteTables) and, beside them, the figures (SVG and PNG)
// and report.html. Every file is written atomically. Figures that do not apply to the data (no
// sampled run, no attacks, no q × λ sweep) are not drawn, and a stale copy from an earlier render
// is removed. Malformed or inconsistent input yields a *tables.ParseError naming the file and line.
func Render(dir string) error {
	in, err := readInputs(dir)
	if err != nil {
		return err
	}
	d, err := writeTables(dir, in)
	if err != nil {
		return err
	}
	m := in.manifest
	var sections []reportSection

	ca := certifiedAccuracyFigure(in.sets, in.baseline, m)
	fig, err := writeFigure(dir, certAccName, "Certified accuracy", certAccCaption(in), &ca)
	if err != nil {
		return err
	}
	sections = append(sections, reportSection{Title: fig.Title, Figures: []reportFigure{*fig}})

	var sf *figure
	groups := samplingGroups(in.sets, in.mc, m.maxFlips)
	if len(groups) > 0 {
		f := samplingFigure(groups, m)
		sf = &f
	}
	if fig, err = writeFigure(dir, samplingName, samplingTitle, samplingCaption(groups, m), sf); err != nil {
		return err
	}
	if sec := samplingSection(fig, d.mc); sec != nil {
		sections = append(sections, *sec)
	}

	var tf *figure
	panels := tightnessPanels(in.sets, m.maxFlips)
	if len(panels) > 0 {
		f := tightnessFigure(panels, tightnessXMax(panels, m.maxFlips, m.nTrain))
		tf = &f
	}
	if fig, err = writeFigure(dir, tightnessName, tightnessTitle, tightnessCaption(panels, m.maxFlips, m.nTrain), tf); err != nil {
		return err
	}
	if sec := attackSection(fig, d.attacks); sec != nil {
		sections = append(sections, *sec)
	}

	var af *figure
	g, method, ok := ablation(in.sets)
	if ok && len(m.heatmapFlips) > 0 {
		f := ablationFigure(g, m.heatmapFlips, m.nTrain)
		af = &f
	}
	if fig, err = writeFigure(dir, ablationName, "Ablation over q and λ", ablationCaption(method), af); err != nil {
		return err
	}
	if fig != nil {
		sections = append(sections, reportSection{Title: fig.Title, Figures: []reportFigure{*fig}})
	}

	sections = append(sections, reportSection{Title: "Summary", Tables: []reportTable{summaryTable(d.summary)},
		Links: []string{tables.SummaryCSVFile, tables.SummaryMDFile}})
	if d.costs != nil {
		sections = append(sections, reportSection{Title: "Cost",
			Tables: []reportTable{newReportTable(costCaption, costRecords(d.costs, fmtCell))}, Links: []string{tables.CostsFile}})
	}
	if len(in.explain) > 0 {
		sec := reportSection{Title: "Explained test points", Notes: []reportNote{{Text: "Pictures written by " +
			"flipcert explain: the test image and the training images its attack relabels, most influential first."}}}
		for _, img := range in.explain {
			sec.Images = append(sec.Images, reportImage{Src: tables.ExplainDir + "/" + img.file,
				Caption: explainCaption(img, in.sets, m.digits)})
		}
		sections = append(sections, sec)
	}
	if b := baselineTable(in.baseline, m.nTrain); b != nil {
		sections = append(sections, reportSection{Title: "Undefended baseline", Tables: []reportTable{*b}})
	}

	html, err := renderReport(reportData{
		Name:     m.name,
		NTrain:   m.nTrain,
		NTest:    m.nTest,
		MaxFlips: m.maxFlips,
		Sections: sections,
	}, m.raw)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, tables.ReportFile), html)
}

// Titles of the report's sections on the sampled certificate and on tightness.
const (
	samplingTitle  = "Sampled against analytic certificates"
	tightnessTitle = "Tightness: certificates against attacks"
)

// samplingSection is the report's section on the sampled certificate: the figure when drawn, the
// outcome of the contradiction check, and its table; nil when there is neither.
func samplingSection(fig *reportFigure, stats []mcStat) *reportSection {
	if fig == nil && stats == nil {
		return nil
	}
	sec := &reportSection{Title: samplingTitle}
	if fig != nil {
		sec.Figures = []reportFigure{*fig}
	}
	if stats != nil {
		n := mcNote(stats)
		sec.Notes = []reportNote{{Text: n.text, Alert: n.alert}}
		sec.Tables = []reportTable{newReportTable(mcCaption, mcRecords(stats, fmtCell))}
		if n.alert {
			sec.Tables = append(sec.Tables, newReportTable("Contradicting rows (at most "+strconv.Itoa(listLimit)+").",
				contradictionRecords(stats, listLimit)))
		}
		sec.Links = []string{tables.MCCheckFile, tables.MCFile}
	}
	return sec
}

// attackSection is the report's section on tightness: the figure when drawn, the outcome of the
// flips > radius check, and the attack summary; nil without attacks.
func attackSection(fig *reportFigure, stats []attackStat) *reportSection {
	if stats == nil {
		return nil
	}
	n := attackNote(stats)
	sec := &reportSection{Title: tightnessTitle, Notes: []reportNote{{Text: n.text, Alert: n.alert}},
		Tables: []reportTable{newReportTable(attackCaption, attackRecords(stats, fmtCell))},
		Links:  []string{tables.AttackSummaryFile, tables.AttackFile}}
	if fig != nil {
		sec.Figures = []reportFigure{*fig}
	}
	if n.alert {
		sec.Tables = append(sec.Tables, newReportTable("Violating rows (at most "+strconv.Itoa(listLimit)+").",
			violationRecords(stats, listLimit)))
	}
	return sec
}

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
