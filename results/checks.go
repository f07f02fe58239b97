package results

import (
	"math"

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

// withinReach reports whether N* ≤ n given log₁₀ N*: the writer's log₁₀ of an integer N* is within
// rounding of the true value, so a tolerance of 10⁻¹² decides equal counts and is far below the
// step log₁₀(n+1) − log₁₀ n for any n under 10¹¹.
func withinReach(log10Needed float64, n int) bool {
	return log10Needed <= math.Log10(float64(n))+reachTolerance
}

// reachTolerance absorbs the rounding of log₁₀ N* in comparisons with a number of samples.
const reachTolerance = 1e-12

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
