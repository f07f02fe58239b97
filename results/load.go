package results

import (
	"path/filepath"
	"sync"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"

	"flipcert/tables"
)

// Run is one output folder's tables as read and checked against the
// contract of package tables, each as a gota data frame with the columns of
// its file (an empty cell, such as q of an unsmoothed method, is NaN). A
// table the run did not write is an empty data frame.
type Run struct {
	Manifest Manifest
	Points   dataframe.DataFrame // points.csv
	Attack   dataframe.DataFrame // attack.csv
	MC       dataframe.DataFrame // mc_vs_analytic.csv
	Baseline dataframe.DataFrame // baseline.csv
	// Costs holds the manifest's cost records: method, q, lambda, points,
	// seconds, one row per record (a unit's cost, or one N of a sampled unit).
	Costs dataframe.DataFrame

	// The same rows typed, in file order.
	points   []tables.Point
	attack   []tables.AttackRow
	mc       []tables.MCRow
	baseline []tables.BaselineRow
}

// Load reads the tables of the output folder dir: manifest.json, points.csv
// and, when present, attack.csv, mc_vs_analytic.csv and baseline.csv.
// Malformed input yields a *tables.ParseError naming the file and line.
func Load(dir string) (*Run, error) {
	m, err := readManifest(filepath.Join(dir, tables.ManifestFile))
	if err != nil {
		return nil, err
	}
	r := &Run{Manifest: m}
	// The tables are read side by side (points.csv and attack.csv are the
	// large ones); the first error in this order is the one returned.
	var errs [4]error
	var wg sync.WaitGroup
	wg.Go(func() { r.points, errs[0] = tables.ReadPoints(filepath.Join(dir, tables.PointsFile), m.Classes) })
	wg.Go(func() { r.baseline, errs[1] = readBaseline(dir) })
	wg.Go(func() { r.mc, errs[2] = readMC(dir) })
	wg.Go(func() { r.attack, _, errs[3] = readAttack(dir) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	r.Points = pointsFrame(r.points)
	r.Attack = attackFrame(r.attack)
	r.MC = mcFrame(r.mc)
	r.Baseline = baselineFrame(r.baseline)
	r.Costs = costsFrame(m.Costs)
	return r, nil
}

// column gathers one column of a table's typed rows.
func column[R, V any](rows []R, get func(R) V) []V {
	out := make([]V, len(rows))
	for i, r := range rows {
		out[i] = get(r)
	}
	return out
}

func pointsFrame(rows []tables.Point) dataframe.DataFrame {
	return dataframe.New(
		series.New(column(rows, func(p tables.Point) string { return p.Method.String() }), series.String, "method"),
		series.New(column(rows, func(p tables.Point) float64 { return p.Q }), series.Float, "q"),
		series.New(column(rows, func(p tables.Point) float64 { return p.Lambda }), series.Float, "lambda"),
		series.New(column(rows, func(p tables.Point) int { return p.Index }), series.Int, "index"),
		series.New(column(rows, func(p tables.Point) int { return p.Label }), series.Int, "label"),
		series.New(column(rows, func(p tables.Point) int { return p.Prediction }), series.Int, "prediction"),
		series.New(column(rows, func(p tables.Point) float64 { return p.LogEps }), series.Float, "log_eps"),
		series.New(column(rows, func(p tables.Point) int { return p.Radius }), series.Int, "radius"),
		series.New(column(rows, func(p tables.Point) int { return p.RadiusKL }), series.Int, "radius_kl"),
		series.New(column(rows, func(p tables.Point) int { return b2i(p.Correct()) }), series.Int, "correct"),
	)
}

func attackFrame(rows []tables.AttackRow) dataframe.DataFrame {
	if rows == nil {
		return dataframe.DataFrame{}
	}
	return dataframe.New(
		series.New(column(rows, func(r tables.AttackRow) string { return r.Method.String() }), series.String, "method"),
		series.New(column(rows, func(r tables.AttackRow) float64 { return r.Q }), series.Float, "q"),
		series.New(column(rows, func(r tables.AttackRow) float64 { return r.Lambda }), series.Float, "lambda"),
		series.New(column(rows, func(r tables.AttackRow) int { return r.Index }), series.Int, "index"),
		series.New(column(rows, func(r tables.AttackRow) int { return r.Flips }), series.Int, "flips"),
		series.New(column(rows, func(r tables.AttackRow) int { return b2i(r.Proven) }), series.Int, "proven"),
	)
}

func mcFrame(rows []tables.MCRow) dataframe.DataFrame {
	if rows == nil {
		return dataframe.DataFrame{}
	}
	return dataframe.New(
		series.New(column(rows, func(r tables.MCRow) float64 { return r.Q }), series.Float, "q"),
		series.New(column(rows, func(r tables.MCRow) float64 { return r.Lambda }), series.Float, "lambda"),
		series.New(column(rows, func(r tables.MCRow) int { return r.N }), series.Int, "n"),
		series.New(column(rows, func(r tables.MCRow) int { return r.Index }), series.Int, "index"),
		series.New(column(rows, func(r tables.MCRow) int { return r.Wrong }), series.Int, "wrong"),
		series.New(column(rows, func(r tables.MCRow) float64 { return r.WrongLo }), series.Float, "wrong_lower"),
		series.New(column(rows, func(r tables.MCRow) float64 { return r.WrongHi }), series.Float, "wrong_upper"),
		series.New(column(rows, func(r tables.MCRow) float64 { return r.LogEpsAnalytic }), series.Float, "log_eps_analytic"),
		series.New(column(rows, func(r tables.MCRow) float64 { return r.Log10SamplesNeeded }), series.Float, "log10_samples_needed"),
	)
}

func baselineFrame(rows []tables.BaselineRow) dataframe.DataFrame {
	if rows == nil {
		return dataframe.DataFrame{}
	}
	return dataframe.New(
		series.New(column(rows, func(r tables.BaselineRow) string { return r.Attack }), series.String, "attack"),
		series.New(column(rows, func(r tables.BaselineRow) int { return r.Flips }), series.Int, "flips"),
		series.New(column(rows, func(r tables.BaselineRow) int { return int(r.Seed) }), series.Int, "seed"),
		series.New(column(rows, func(r tables.BaselineRow) float64 { return r.Accuracy }), series.Float, "accuracy"),
	)
}

func costsFrame(costs []tables.Cost) dataframe.DataFrame {
	if costs == nil {
		return dataframe.DataFrame{}
	}
	return dataframe.New(
		series.New(column(costs, func(c tables.Cost) string { return c.Method }), series.String, "method"),
		series.New(column(costs, func(c tables.Cost) float64 { return c.Q }), series.Float, "q"),
		series.New(column(costs, func(c tables.Cost) float64 { return c.Lambda }), series.Float, "lambda"),
		series.New(column(costs, func(c tables.Cost) int { return c.Points }), series.Int, "points"),
		series.New(column(costs, func(c tables.Cost) float64 { return c.Seconds }), series.Float, "seconds"),
	)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
