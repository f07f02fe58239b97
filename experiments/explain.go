package experiments

import (
	"cmp"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/gonum/mat"

	"flipcert/analytic"
	"flipcert/atomicfile"
	"flipcert/attacks"
	"flipcert/tables"
	"flipcert/whitebox"
)

// Row names one row of points.csv: a setting and a test point. A Q or
// Lambda of NaN matches any (the first row in the table's order that fits).
type Row struct {
	tables.Setting
	Index int
}

// Explain writes, for one row of the tables in the output folder out, the
// attack that bounds its radius from above (docs/science.md §11) as the
// table out/explain/<name>.csv (tables.ExplainHeader): the test point with
// its label, prediction, certified radius and attack size, and the training
// points the attack relabels (old → new label), most influential first, with
// their images for MNIST data, from which the report draws
// out/explain/<name>.png. It recomputes the attack from the config recorded
// in the folder's manifest, and returns the file written. A row the folder
// does not hold, or a folder without tables, is an input error.
func Explain(out string, want Row) (string, error) {
	c, classes, err := configOf(out)
	if err != nil {
		return "", err
	}
	row, err := findRow(out, classes, want)
	if err != nil {
		return "", err
	}
	in, err := loadInputs(c)
	if err != nil {
		return "", err
	}
	var stages []tables.Stage
	p, err := prepare(c, in, runEnv{stages: &stages, out: out})
	if err != nil {
		return "", err
	}
	return p.explain(c, out, row)
}

// configOf reads the config a folder's tables were made with from its
// manifest, and the number of classes.
func configOf(out string) (Config, int, error) {
	path := filepath.Join(out, tables.ManifestFile)
	m, _, err := tables.ReadManifest(path)
	if err != nil {
		return Config{}, 0, inputErrorf("explain: %s: run the experiment first (%v)", out, err)
	}
	c := Config{file: path}
	if err := json.Unmarshal(m.Config, &c); err != nil {
		return Config{}, 0, inputErrorf("explain: %s: the config in it does not read: %v", path, err)
	}
	if err := c.validate(); err != nil {
		return Config{}, 0, err
	}
	return c, m.Data.Classes, nil
}

// findRow returns the row of points.csv that want names.
func findRow(out string, classes int, want Row) (tables.Point, error) {
	points, err := tables.ReadPoints(filepath.Join(out, tables.PointsFile), classes)
	if err != nil {
		return tables.Point{}, err
	}
	matches := func(want, got float64) bool { return math.IsNaN(want) || want == got }
	for _, p := range points {
		if p.Index == want.Index && p.Method == want.Method && matches(want.Lambda, p.Lambda) &&
			(!p.Method.Kind.Smoothed() || matches(want.Q, p.Q)) {
			return p, nil
		}
	}
	q, lambda := "", "any lambda"
	if want.Method.Kind.Smoothed() && !math.IsNaN(want.Q) {
		q = ", q " + tables.FormatFloat(want.Q)
	}
	if !math.IsNaN(want.Lambda) {
		lambda = "lambda " + tables.FormatFloat(want.Lambda)
	}
	return tables.Point{}, inputErrorf("explain: %s has no row for method %s%s, %s, test point %d",
		filepath.Join(out, tables.PointsFile), want.Method, q, lambda, want.Index)
}

// explain recomputes the attack on row and writes its explanation table
// into out/explain (tables.ExplainHeader), with the images for MNIST data.
// It returns the file written.
func (p *prepared) explain(c Config, out string, row tables.Point) (string, error) {
	relabels, flips, err := p.attackRow(c, row)
	if err != nil {
		return "", err
	}
	dir := filepath.Join(out, tables.ExplainDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	images := p.images
	e := tables.Explanation{Index: row.Index, Label: row.Label, Prediction: row.Prediction, Radius: row.Radius, Flips: flips}
	if images {
		e.Pixels = greyLevels(p.test.X.RawRowView(row.Index))
	}
	for k, r := range relabels {
		rel := tables.ExplainRelabel{Index: r.Index, From: p.train.Y[r.Index], To: r.To}
		if images && k < tables.ExplainShown {
			rel.Pixels = greyLevels(p.train.X.RawRowView(r.Index))
		}
		e.Relabels = append(e.Relabels, rel)
	}
	path := filepath.Join(dir, tables.ExplainName(row.Setting(), row.Index)+".csv")
	return path, atomicfile.WriteBytes(path, e.Append(nil))
}

// greyLevels turns pixels in [0, 1] (grey level / 255, as package dataset
// scales them) back into grey levels 0–255.
func greyLevels(pixels []float64) []uint8 {
	out := make([]uint8, len(pixels))
	for i, v := range pixels {
		out[i] = uint8(math.Round(min(max(v, 0), 1) * 255))
	}
	return out
}

// attackRow recomputes the attack of docs/science.md §11 on one row: its
// relabelings, most influential first, and its size (−1 if none was found).
func (p *prepared) attackRow(c Config, row tables.Point) ([]attacks.Relabel, int, error) {
	m := p.test.Len()
	if row.Index >= m {
		return nil, 0, inputErrorf("explain: test point %d is not among the %d of the run", row.Index, m)
	}
	_, d := p.testF.Dims()
	x := p.testF.Slice(row.Index, row.Index+1, 0, d).(*mat.Dense)
	if row.Method.Kind == tables.DPA {
		return p.attackDPA(row, x)
	}
	// The kernel vector exactly as the run computed it: in its block of test
	// points (gonum's products sum in pieces whose shape depends on the block).
	model := p.models[row.Lambda]
	n, _ := model.Design().Features().Dims()
	lo := row.Index / p.block * p.block
	hi := min(lo+p.block, m)
	alpha := mat.NewDense(hi-lo, n, nil)
	errs := make([]float64, hi-lo)
	model.Kernel(alpha, p.testF.Slice(lo, hi, 0, d).(*mat.Dense), errs)
	rp := attacks.RidgePoint{Alpha: alpha.RawRowView(row.Index - lo), Y: p.train.Y, Classes: p.classes, AlphaErr: errs[row.Index-lo]}
	var a attacks.Attacker
	var out attacks.Outcome
	if row.Method.Kind == tables.RidgeExact {
		out = a.RidgeExact(rp)
	} else {
		// The run's attack, probed at the radius the run probed it at.
		cert := analytic.Certify(rp.Alpha, rp.Y, p.classes, row.Q, rp.AlphaErr)
		r := p.smoothedRow(cert, row.Q).radius
		if c.Whitebox.Enabled && !cert.Abstain() {
			var wb whitebox.Certifier
			r = max(r, wb.Radius(rp.Alpha, rp.Y, rp.Classes, row.Q, rp.AlphaErr, cert.Class))
		}
		var err error
		if out, err = a.Smoothed(rp, row.Q, cert.Class, r); err != nil {
			return nil, 0, err
		}
	}
	return slices.Clone(out.Relabels), out.Flips, nil
}

// attackDPA refits the row's DPA ensemble and attacks it at test row x.
func (p *prepared) attackDPA(row tables.Point, x *mat.Dense) ([]attacks.Relabel, int, error) {
	e, err := p.fitDPA(row.Method.Parts, row.Lambda)
	if err != nil {
		return nil, 0, err
	}
	a := attacks.NewDPA(e, p.train.Y, x, e.Certify(x))
	var s attacks.DPAScratch
	for j := range e.Parts() {
		a.AddPart(j, &s)
	}
	out := a.Outcome(0)
	relabels, _ := a.Explain(0, &s)
	return relabels, out.Flips, nil
}

// explainExamples writes the explanations the report shows: the most and
// the least robust correctly classified test points of the analytic setting
// with the largest summed radius over correct points (ridge-exact's when the
// analytic certificate is off).
func explainExamples(c Config, out string, p *prepared) error {
	points, err := tables.ReadPoints(filepath.Join(out, tables.PointsFile), p.classes)
	if err != nil {
		return err
	}
	kind := tables.RidgeExact
	if c.Analytic.Enabled {
		kind = tables.Analytic
	}
	type key struct{ q, lambda float64 }
	score := map[key]int{}
	var order []key
	for _, pt := range points {
		if pt.Method.Kind != kind || !pt.Correct() {
			continue
		}
		k := key{pt.Q, pt.Lambda}
		if math.IsNaN(pt.Q) {
			k.q = -1
		}
		if _, ok := score[k]; !ok {
			order = append(order, k)
		}
		score[k] += pt.Radius
	}
	if len(order) == 0 {
		return nil
	}
	best := slices.MaxFunc(order, func(a, b key) int { return cmp.Compare(score[a], score[b]) })
	var chosen []tables.Point
	for _, pt := range points {
		k := key{pt.Q, pt.Lambda}
		if math.IsNaN(pt.Q) {
			k.q = -1
		}
		if pt.Method.Kind == kind && k == best && pt.Correct() {
			chosen = append(chosen, pt)
		}
	}
	// Stable order by radius keeps the lowest index among equal radii.
	slices.SortStableFunc(chosen, func(a, b tables.Point) int { return cmp.Compare(a.Radius, b.Radius) })
	least, most := chosen[0], chosen[len(chosen)-1]
	for i := len(chosen) - 1; i >= 0 && chosen[i].Radius == most.Radius; i-- {
		most = chosen[i]
	}
	if err := clearExplain(out); err != nil {
		return err
	}
	for _, row := range []tables.Point{most, least} {
		if _, err := p.explain(c, out, row); err != nil {
			return err
		}
	}
	return nil
}

// clearExplain removes the explanations of an earlier run, which may belong
// to other rows.
func clearExplain(out string) error {
	return os.RemoveAll(filepath.Join(out, tables.ExplainDir))
}
