package report

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"flipcert/atomicfile"
	"flipcert/parallel"
	"flipcert/results"
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

// writeFigure writes f as name.svg and name.png and returns it for the report; with f nil it
// removes stale copies instead and returns nil.
func writeFigure(dir, name, title, caption string, f *figure) (*reportFigure, error) {
	if f == nil {
		for _, ext := range []string{".svg", ".png"} {
			if err := results.RemoveStale(filepath.Join(dir, name+ext)); err != nil {
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

// figureJob is a figure of the report for writeFigure to write, or with f nil to remove, and
// what came of it.
type figureJob struct {
	name, title, caption string
	f                    *figure
	out                  *reportFigure
	err                  error
}

func (j *figureJob) write(dir string) {
	j.out, j.err = writeFigure(dir, j.name, j.title, j.caption, j.f)
}

// Render writes the derived tables of the output folder dir (results.WriteTables) and, beside
// them, the figures (SVG and PNG), the pictures of the explanations in dir/explain, and
// report.html. Every file is written atomically. Figures that do not apply to the data (no
// sampled run, no attacks, no q × λ sweep) are not drawn, and a stale copy from an earlier render
// is removed. Malformed or inconsistent input yields a *tables.ParseError naming the file and line.
func Render(dir string) error {
	a, err := results.Analyze(dir)
	if err != nil {
		return err
	}
	if err := a.WriteTables(dir); err != nil {
		return err
	}
	pics, err := explanations(dir)
	if err != nil {
		return err
	}
	figs := newFigureJobs(a)
	explained, err := drawAll(dir, figs, pics, a.Manifest.Digits)
	if err != nil {
		return err
	}
	m := a.Manifest
	html, err := renderReport(reportData{
		Name:     m.Name,
		NTrain:   m.NTrain,
		NTest:    m.NTest,
		MaxFlips: m.MaxFlips,
		Sections: pageSections(a, figs, explained),
	}, m.Raw)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, tables.ReportFile), html)
}

// figureJobs are the report's figures, in page order.
type figureJobs struct {
	certAcc, sampling, tightness, ablation *figureJob
}

// newFigureJobs builds the figures of a (cheap: drawing them is the cost);
// a figure that does not apply to the data has no figure to write.
func newFigureJobs(a *results.Analysis) figureJobs {
	m := a.Manifest
	ca := certifiedAccuracyFigure(a.Curves, a.Baseline, m)
	jobs := figureJobs{certAcc: &figureJob{name: certAccName, title: "Certified accuracy", caption: certAccCaption(a), f: &ca}}

	groups := results.SamplingGroups(a.Curves, a.MC, m.MaxFlips)
	jobs.sampling = &figureJob{name: samplingName, title: samplingTitle, caption: samplingCaption(groups, m)}
	if len(groups) > 0 {
		f := samplingFigure(groups, m)
		jobs.sampling.f = &f
	}

	panels := results.TightnessPanels(a.Curves, m.MaxFlips)
	jobs.tightness = &figureJob{name: tightnessName, title: tightnessTitle, caption: tightnessCaption(panels, m.MaxFlips, m.NTrain)}
	if len(panels) > 0 {
		f := tightnessFigure(panels, results.TightnessXMax(panels, m.MaxFlips, m.NTrain))
		jobs.tightness.f = &f
	}

	g, method, ok := results.Ablation(a.Curves)
	jobs.ablation = &figureJob{name: ablationName, title: "Ablation over q and λ", caption: ablationCaption(method)}
	if ok && len(m.HeatmapFlips) > 0 {
		f := ablationFigure(g, m.HeatmapFlips, m.NTrain)
		jobs.ablation.f = &f
	}
	return jobs
}

// drawAll writes the figures and draws the explanations' pictures, and
// returns the pictures drawn, in name order.
//
// Drawing and encoding them is most of Render's time, and each is
// independent of the others (the figures only read the analysis), so they
// are drawn on all cores. A figure's SVG and PNG stay in one job: they draw
// the same plots, and gonum may adjust a plot's axis ranges in place while
// drawing it. parallel.For starts jobs in the order given, and the
// tightness figure (page wide, a band and two step curves per setting)
// takes about as long as the others together: it goes first so that it
// does not run alone at the end.
func drawAll(dir string, figs figureJobs, pics []explainJob, digits []int) ([]explainImage, error) {
	order := []*figureJob{figs.tightness, figs.certAcc, figs.sampling, figs.ablation}
	parallel.For(len(order)+len(pics), 0, func(_, i int) {
		if i < len(order) {
			order[i].write(dir)
		} else {
			pics[i-len(order)].draw(digits)
		}
	})
	// Whichever job failed first in time, the error returned is the first in
	// a fixed order (the pictures by name, then the figures in page order),
	// so that it does not depend on scheduling.
	var explained []explainImage
	for _, p := range pics {
		if p.err != nil {
			return nil, p.err
		}
		if p.drawn {
			explained = append(explained, p.img)
		}
	}
	for _, f := range []*figureJob{figs.certAcc, figs.sampling, figs.tightness, figs.ablation} {
		if f.err != nil {
			return nil, f.err
		}
	}
	return explained, nil
}

// pageSections lays out the report page: the figures with their checks, the
// summary, cost and time tables, the explained points and the baseline.
func pageSections(a *results.Analysis, figs figureJobs, explained []explainImage) []reportSection {
	m := a.Manifest
	sections := []reportSection{{Title: figs.certAcc.out.Title, Figures: []reportFigure{*figs.certAcc.out}}}
	if sec := checkSection(samplingTitle, figs.sampling.out, a.MCCheck(), tables.MCCheckFile, tables.MCFile); sec != nil {
		sections = append(sections, *sec)
	}
	if check := a.AttackCheck(); check != nil {
		sections = append(sections, *checkSection(tightnessTitle, figs.tightness.out, check, tables.AttackSummaryFile, tables.AttackFile))
	}
	if fig := figs.ablation.out; fig != nil {
		sections = append(sections, reportSection{Title: fig.Title, Figures: []reportFigure{*fig}})
	}

	sections = append(sections, reportSection{Title: "Summary", Tables: []reportTable{newReportTable(a.Summary())},
		Links: []string{tables.SummaryCSVFile, tables.SummaryMDFile}})
	if c := a.Costs(); c != nil {
		sections = append(sections, reportSection{Title: "Cost", Tables: []reportTable{newReportTable(*c)}, Links: []string{tables.CostsFile}})
	}
	if t := a.Time(); t != nil {
		sections = append(sections, reportSection{Title: "Time", Tables: []reportTable{newReportTable(*t)}})
	}
	if len(explained) > 0 {
		sec := reportSection{Title: "Explained test points", Notes: []reportNote{{Text: "Pictures of explanations " +
			"(flipcert explain): the test image and the training images its attack relabels, most influential first."}}}
		for _, img := range explained {
			sec.Images = append(sec.Images, reportImage{Src: tables.ExplainDir + "/" + img.file,
				Caption: explainCaption(img, a.Curves, m.Digits)})
		}
		sections = append(sections, sec)
	}
	if b := baselineTable(a.Baseline, m.NTrain); b != nil {
		sections = append(sections, reportSection{Title: "Undefended baseline", Tables: []reportTable{*b}})
	}
	return sections
}

// Titles of the report's sections on the sampled certificate and on tightness.
const (
	samplingTitle  = "Sampled against analytic certificates"
	tightnessTitle = "Tightness: certificates against attacks"
)

// checkSection is a report section on one of the run's checks: the figure when drawn, the outcome
// of the check, its table and the offending rows; nil when there is neither figure nor check.
func checkSection(title string, fig *reportFigure, c *results.Check, links ...string) *reportSection {
	if fig == nil && c == nil {
		return nil
	}
	sec := &reportSection{Title: title}
	if fig != nil {
		sec.Figures = []reportFigure{*fig}
	}
	if c != nil {
		sec.Notes = []reportNote{{Text: c.Text, Alert: c.Alert}}
		sec.Tables = []reportTable{newReportTable(c.Table)}
		if c.Offending != nil {
			sec.Tables = append(sec.Tables, newReportTable(*c.Offending))
		}
		sec.Links = links
	}
	return sec
}

// certAccCaption describes Figure 1: what each style means and how λ was chosen.
func certAccCaption(a *results.Analysis) string {
	var b strings.Builder
	smoothed, white, peers := results.FigureOne(a.Curves, a.Manifest.MaxFlips)
	b.WriteString("Certified accuracy against the number of flipped training labels (top axis: as a " +
		"percentage of the training set). ")
	if len(smoothed) > 0 {
		fmt.Fprintf(&b, "Randomized smoothing with the %s certificate, one colour per label-flip "+
			"probability q: tight Neyman-Pearson radius solid, KL radius dashed. ", smoothed[0].Method.String())
	}
	if len(white) > 0 {
		b.WriteString("Dotted, in the colour of its q: the white-box radius of the same bound (the larger of the " +
			"white-box and the Neyman-Pearson radius), which uses that the base learner is ridge. ")
	}
	for _, s := range peers {
		if s.Method.Kind == tables.RidgeExact {
			b.WriteString("Black: exact certificate of the unsmoothed ridge classifier. ")
		}
	}
	if slices.ContainsFunc(peers, func(s *results.Curve) bool { return s.Method.Kind == tables.DPA }) {
		b.WriteString("Purple: Deep Partition Aggregation. ")
	}
	if len(a.Baseline) > 0 {
		b.WriteString("Grey markers: empirical accuracy of the undefended network under attack, mean over " +
			"seeds, with bars from the minimum to the maximum where there are several seeds. ")
	}
	if slices.ContainsFunc(slices.Concat(smoothed, white, peers), func(s *results.Curve) bool { return s.NLambdas > 1 }) {
		b.WriteString("A method run at several λ is shown, per q, at the λ with the largest area under " +
			"its tight-radius curve from 0 to " + strconv.Itoa(a.Manifest.MaxFlips) + " flips, named in the legend.")
	}
	return strings.TrimSpace(b.String())
}

func ablationCaption(method string) string {
	return "Certified accuracy (tight radius) of the " + method + " certificate over the grid of flip " +
		"probability q and ridge penalty λ, one panel per flip budget; empty cells (–) were not run."
}
