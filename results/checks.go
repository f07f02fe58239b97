package results

import (
	"cmp"
	"math"
	"slices"

	"flipcert/tables"
)

// mcStat summarizes the rows of mc_vs_analytic.csv at one q, λ and N (docs/science.md §12).
type mcStat struct {
	q, lambda float64
	n         int
	points    int // rows
	observed  int // rows with wrong > 0
	// contradicting are the rows whose interval lies wholly above the analytic bound
	// (tables.MCRow.Contradicts), in file order.
	contradicting []tables.MCRow
	certified     int     // rows where the analytic certificate certifies (log₁₀ N* present)
	withinN       int     // of those, the rows with N* ≤ N
	medNeeded     float64 // median log₁₀ N* over the certified rows; NaN when none
}

// mcStats groups the comparison rows by q, λ and N, in that order, ascending.
func mcStats(rows []tables.MCRow) []mcStat {
	type key struct {
		q, lambda float64
		n         int
	}
	idx := map[key]int{}
	var out []mcStat
	needed := map[key][]float64{}
	for _, r := range rows {
		k := key{r.Q, r.Lambda, r.N}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, mcStat{q: r.Q, lambda: r.Lambda, n: r.N})
		}
		st := &out[i]
		st.points++
		if r.Wrong > 0 {
			st.observed++
		}
		if r.Contradicts() {
			st.contradicting = append(st.contradicting, r)
		}
		if !math.IsNaN(r.Log10SamplesNeeded) {
			st.certified++
			if withinReach(r.Log10SamplesNeeded, r.N) {
				st.withinN++
			}
			needed[k] = append(needed[k], r.Log10SamplesNeeded)
		}
	}
	for i := range out {
		st := &out[i]
		st.medNeeded = median(needed[key{st.q, st.lambda, st.n}])
	}
	slices.SortFunc(out, func(a, b mcStat) int {
		return cmp.Or(cmp.Compare(a.q, b.q), cmp.Compare(a.lambda, b.lambda), cmp.Compare(a.n, b.n))
	})
	return out
}

// withinReach reports whether N* ≤ n given log₁₀ N*: the writer's log₁₀ of an integer N* is within
// rounding of the true value, so a tolerance of 10⁻¹² decides equal counts and is far below the
// step log₁₀(n+1) − log₁₀ n for any n under 10¹¹.
func withinReach(log10Needed float64, n int) bool {
	return log10Needed <= math.Log10(float64(n))+1e-12
}

// contradictions is the total count of contradicting rows.
func contradictions(stats []mcStat) int {
	total := 0
	for _, st := range stats {
		total += len(st.contradicting)
	}
	return total
}

// costRow is the time one method spent at one q and λ, summed over the manifest's records of it.
type costRow struct {
	tables.Setting
	points  int
	seconds float64
}

func (c costRow) perPoint() float64 { return c.seconds / float64(c.points) }

// costRows sums the manifest's cost records per method, q and λ, in setting order; q is NaN for
// unsmoothed methods. The methods were checked when the manifest was read.
func costRows(costs []tables.Cost) []costRow {
	idx := map[settingKey]int{}
	var out []costRow
	for _, c := range costs {
		m, _ := tables.ParseMethod(c.Method)
		s := tables.Setting{Method: m, Q: c.Q, Lambda: c.Lambda}
		if !m.Kind.Smoothed() {
			s.Q = math.NaN()
		}
		k := keyOf(s)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, costRow{Setting: s})
		}
		out[i].points += c.Points
		out[i].seconds += c.Seconds
	}
	slices.SortStableFunc(out, func(a, b costRow) int {
		switch {
		case a.Less(b.Setting):
			return -1
		case b.Less(a.Setting):
			return 1
		}
		return 0
	})
	return out
}
