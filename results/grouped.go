package results

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"

	"flipcert/tables"
)

// The grouped tables (summary, attack summary, Monte Carlo check, costs) are
// group-by aggregations of the run's rows, the data-frame work of pandas in
// a Python harness: each adds the indicator columns it counts to a data
// frame, filters, groups by an integer key that numbers the groups in table
// order, aggregates, and arranges the groups by that key.

// aggregation is one aggregated column: a column of the frame and the
// aggregation applied to it within each group.
type aggregation struct {
	col string
	typ dataframe.AggregationType
}

// group groups df by its integer column key and aggregates each group, and
// returns the aggregated values of each key in the order of aggs, the keys in
// ascending order (arranged). An empty frame has no groups. Each group is a
// gota Subset of the frame's rows and each aggregate a gota series
// reduction; the rows of a key are found in one pass over the key column
// rather than by GroupBy, which formats every value of the frame as text and
// parses it back (and groups floats by "%f", which joins q = 1e-7 and 2e-7).
func group(df dataframe.DataFrame, key string, aggs ...aggregation) (keys []int, values [][]float64) {
	if df.Err != nil {
		panic("results: " + df.Err.Error())
	}
	if df.Nrow() == 0 {
		return nil, nil
	}
	col, err := df.Col(key).Int()
	if err != nil {
		panic("results: " + err.Error()) // the key columns are this file's own
	}
	rows := map[int][]int{}
	for i, k := range col {
		if rows[k] == nil {
			keys = append(keys, k)
		}
		rows[k] = append(rows[k], i)
	}
	slices.Sort(keys)
	values = make([][]float64, len(keys))
	for i, k := range keys {
		g := df.Subset(rows[k])
		values[i] = make([]float64, len(aggs))
		for j, a := range aggs {
			values[i][j] = aggregate(g.Col(a.col), a.typ)
		}
	}
	return keys, values
}

// aggregate reduces a column of one group as gota's Aggregation would.
func aggregate(s series.Series, typ dataframe.AggregationType) float64 {
	switch typ {
	case dataframe.Aggregation_MEAN:
		return s.Mean()
	case dataframe.Aggregation_MEDIAN:
		return s.Median()
	case dataframe.Aggregation_SUM:
		return s.Sum()
	case dataframe.Aggregation_COUNT:
		return float64(s.Len())
	}
	panic(fmt.Sprintf("results: aggregation %v", typ))
}

// byKey looks up the aggregated values of a key from group's result; absent
// keys (groups the filter emptied) give nil.
func byKey(keys []int, values [][]float64, k int) []float64 {
	if i, ok := slices.BinarySearch(keys, k); ok {
		return values[i]
	}
	return nil
}

// where keeps the rows of df at which keep is true (a filter on a computed
// condition).
func where(df dataframe.DataFrame, col string, keep func(series.Element) bool) dataframe.DataFrame {
	return df.Filter(dataframe.F{Colname: col, Comparator: series.CompFunc, Comparando: func(e series.Element) bool { return keep(e) }})
}

// isOne is the filter condition of an indicator column.
func isOne(e series.Element) bool { v, _ := e.Int(); return v == 1 }

// indicator is a 0/1 integer column.
func indicator(name string, n int, on func(i int) bool) series.Series {
	v := make([]int, n)
	for i := range v {
		v[i] = b2i(on(i))
	}
	return ints(name, v)
}

func ints(name string, v []int) series.Series       { return series.New(v, series.Int, name) }
func floats(name string, v []float64) series.Series { return series.New(v, series.Float, name) }

// settingIDs numbers every row of points by its setting's position in curves.
func settingIDs(curves []*Curve, points []tables.Point) []int {
	id := make(map[settingKey]int, len(curves))
	for i, c := range curves {
		id[keyOf(c.Setting)] = i
	}
	out := make([]int, len(points))
	for i, p := range points {
		out[i] = id[keyOf(p.Setting())]
	}
	return out
}

// summarize derives summary.csv from points.csv: per setting, the share of
// correct points with radius ≥ r at r = 0 (clean accuracy) and each of
// summaryFlips, the median radius and the abstention rate.
func summarize(run *Run, curves []*Curve) []summaryRow {
	n := len(run.points)
	radius, _ := run.Points.Col("radius").Int()
	correct, _ := run.Points.Col("correct").Int()
	pred, _ := run.Points.Col("prediction").Int()
	df := dataframe.New(
		ints("setting", settingIDs(curves, run.points)),
		run.Points.Col("radius"),
		indicator("abstain", n, func(i int) bool { return pred[i] == -1 }),
	)
	aggs := []aggregation{{"radius", dataframe.Aggregation_MEDIAN}, {"abstain", dataframe.Aggregation_MEAN}}
	for _, r := range append([]int{0}, summaryFlips...) {
		name := fmt.Sprintf("ok%d", r)
		df = df.Mutate(indicator(name, n, func(i int) bool { return correct[i] == 1 && radius[i] >= r }))
		aggs = append(aggs, aggregation{name, dataframe.Aggregation_MEAN})
	}
	keys, values := group(df, "setting", aggs...)
	rows := make([]summaryRow, len(keys))
	for i, k := range keys {
		v := values[i]
		rows[i] = summaryRow{Setting: curves[k].Setting, medRadius: v[0], abstainRate: v[1], clean: v[2], certAcc: slices.Clone(v[3:])}
	}
	return rows
}

// attackStats derives attack_summary.csv from points.csv joined with
// attack.csv, per setting with attacks: points, correct, the attacked points
// (flips ≥ 0) with their median size and median flips / (radius + 1), the
// unattacked and proven ones, and every row with 0 ≤ flips ≤ radius.
func attackStats(curves []*Curve) []attackStat {
	var ids, index, correct, radius, flips, proven []int
	for id, s := range curves {
		if s.attacks == nil {
			continue
		}
		for _, i := range sortedKeys(s.points) {
			p, a := s.points[i], s.attacks[i]
			ids, index, radius, flips = append(ids, id), append(index, i), append(radius, p.Radius), append(flips, a.Flips)
			correct, proven = append(correct, b2i(p.Correct())), append(proven, b2i(a.Proven))
		}
	}
	if ids == nil {
		return nil
	}
	ratio := make([]float64, len(ids))
	for i := range ratio {
		// A correct point has radius ≥ 0 unless the method left it uncertified; then the ratio is
		// +Inf, which the median handles.
		ratio[i] = float64(flips[i]) / float64(radius[i]+1)
	}
	n := len(ids)
	df := dataframe.New(ints("setting", ids), ints("index", index),
		ints("radius", radius), ints("flips", flips), ints("proven", proven),
		floats("ratio", ratio), ints("correct", correct),
		indicator("attacked", n, func(i int) bool { return correct[i] == 1 && flips[i] >= 0 }),
		indicator("violates", n, func(i int) bool { return radius[i] >= 0 && flips[i] >= 0 && flips[i] <= radius[i] }))
	allKeys, all := group(df, "setting", aggregation{"correct", dataframe.Aggregation_COUNT}, aggregation{"correct", dataframe.Aggregation_SUM})
	attacked := where(df, "attacked", isOne)
	atKeys, at := group(attacked, "setting", aggregation{"flips", dataframe.Aggregation_COUNT},
		aggregation{"proven", dataframe.Aggregation_SUM}, aggregation{"flips", dataframe.Aggregation_MEDIAN},
		aggregation{"ratio", dataframe.Aggregation_MEDIAN})
	violations := where(df, "violates", isOne)
	vSetting, _ := violations.Col("setting").Int()
	vIndex, _ := violations.Col("index").Int()
	vRadius, _ := violations.Col("radius").Int()
	vFlips, _ := violations.Col("flips").Int()
	var out []attackStat
	for i, k := range allKeys {
		st := attackStat{Setting: curves[k].Setting, points: int(all[i][0]), correct: int(all[i][1]), medAttack: math.NaN(), medRatio: math.NaN()}
		if v := byKey(atKeys, at, k); v != nil {
			st.attacked, st.proven, st.medAttack, st.medRatio = int(v[0]), int(v[1]), v[2], v[3]
		}
		st.unattacked = st.correct - st.attacked
		for j, s := range vSetting {
			if s == k {
				st.violations = append(st.violations, violation{st.Setting, vIndex[j], vRadius[j], vFlips[j]})
			}
		}
		out = append(out, st)
	}
	return out
}

// mcStats derives mc_check.csv from mc_vs_analytic.csv: per q, λ and N
// (ascending), the rows, those with a wrong sampled prediction, those whose
// interval contradicts the analytic bound, the certified ones, those within
// reach of N and the median log₁₀ N* over the certified ones.
func mcStats(run *Run) []mcStat {
	rows := run.mc
	if rows == nil {
		return nil
	}
	type key struct {
		q, lambda float64
		n         int
	}
	var groups []key
	for _, r := range rows {
		groups = append(groups, key{r.Q, r.Lambda, r.N})
	}
	slices.SortFunc(groups, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.q, b.q), cmp.Compare(a.lambda, b.lambda), cmp.Compare(a.n, b.n))
	})
	groups = slices.Compact(groups)
	ids := make([]int, len(rows))
	for i, r := range rows {
		ids[i], _ = slices.BinarySearchFunc(groups, key{r.Q, r.Lambda, r.N}, func(a, b key) int {
			return cmp.Or(cmp.Compare(a.q, b.q), cmp.Compare(a.lambda, b.lambda), cmp.Compare(a.n, b.n))
		})
	}
	n := len(rows)
	certified := func(i int) bool { return !math.IsNaN(rows[i].Log10SamplesNeeded) }
	position := make([]int, n) // the row's position in the file
	for i := range position {
		position[i] = i
	}
	df := dataframe.New(ints("group", ids), ints("position", position),
		indicator("observed", n, func(i int) bool { return rows[i].Wrong > 0 }),
		indicator("contradicts", n, func(i int) bool { return rows[i].Contradicts() }),
		indicator("certified", n, certified),
		indicator("within", n, func(i int) bool { return certified(i) && withinReach(rows[i].Log10SamplesNeeded, rows[i].N) }),
		run.MC.Col("log10_samples_needed"))
	keys, sums := group(df, "group", aggregation{"position", dataframe.Aggregation_COUNT}, aggregation{"observed", dataframe.Aggregation_SUM},
		aggregation{"certified", dataframe.Aggregation_SUM}, aggregation{"within", dataframe.Aggregation_SUM})
	neededKeys, needed := group(where(df, "certified", isOne), "group", aggregation{"log10_samples_needed", dataframe.Aggregation_MEDIAN})
	contradicting := where(df, "contradicts", isOne)
	cGroup, _ := contradicting.Col("group").Int()
	cPos, _ := contradicting.Col("position").Int()
	out := make([]mcStat, len(keys))
	for i, k := range keys {
		g := groups[k]
		st := mcStat{q: g.q, lambda: g.lambda, n: g.n, points: int(sums[i][0]), observed: int(sums[i][1]),
			certified: int(sums[i][2]), withinN: int(sums[i][3]), medNeeded: math.NaN()}
		if v := byKey(neededKeys, needed, k); v != nil {
			st.medNeeded = v[0]
		}
		for j, c := range cGroup {
			if c == k {
				st.contradicting = append(st.contradicting, rows[cPos[j]])
			}
		}
		out[i] = st
	}
	return out
}

// costRows derives costs.csv from the manifest's cost records: per method,
// q and λ (in table order; q NaN for unsmoothed methods), the points and
// seconds summed over the records. The methods were checked when the
// manifest was read.
func costRows(run *Run) []costRow {
	costs := run.Manifest.Costs
	if costs == nil {
		return nil
	}
	settings := make([]tables.Setting, len(costs))
	for i, c := range costs {
		m, _ := tables.ParseMethod(c.Method)
		settings[i] = tables.Setting{Method: m, Q: c.Q, Lambda: c.Lambda}
		if !m.Kind.Smoothed() {
			settings[i].Q = math.NaN()
		}
	}
	order := slices.Clone(settings)
	slices.SortStableFunc(order, func(a, b tables.Setting) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
	order = slices.CompactFunc(order, func(a, b tables.Setting) bool { return keyOf(a) == keyOf(b) })
	id := make(map[settingKey]int, len(order))
	for i, s := range order {
		id[keyOf(s)] = i
	}
	ids := column(settings, func(s tables.Setting) int { return id[keyOf(s)] })
	df := dataframe.New(ints("setting", ids), run.Costs.Col("points"), run.Costs.Col("seconds"))
	keys, sums := group(df, "setting", aggregation{"points", dataframe.Aggregation_SUM}, aggregation{"seconds", dataframe.Aggregation_SUM})
	out := make([]costRow, len(keys))
	for i, k := range keys {
		out[i] = costRow{Setting: order[k], points: int(sums[i][0]), seconds: sums[i][1]}
	}
	return out
}
