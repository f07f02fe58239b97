package tables

import (
	"math"
	"strconv"
)

// MCFile compares, point by point, the sampled predictions with the analytic
// certificate (docs/science.md §12).
const MCFile = "mc_vs_analytic.csv"

// MCHeader is the header of mc_vs_analytic.csv.
var MCHeader = []string{"q", "lambda", "n", "index", "wrong", "wrong_lower", "wrong_upper", "log_eps_analytic", "log10_samples_needed"}

// MCRow is one row of mc_vs_analytic.csv: at one (q, λ, N) and test point,
// how many of the N sampled predictions differ from the analytic
// certificate's class, the exact two-sided Clopper-Pearson interval on that
// probability (at confidence 1 − alpha/m, Bonferroni over the m test points),
// the analytic bound, and log₁₀ of the samples the sampled certificate would
// need to certify the analytic radius (NaN, an empty cell, when the analytic
// certificate abstains).
type MCRow struct {
	Q, Lambda          float64
	N, Index, Wrong    int
	WrongLo, WrongHi   float64
	LogEpsAnalytic     float64
	Log10SamplesNeeded float64
}

// Contradicts reports whether the samples contradict the analytic bound: the
// lower end of the interval on the wrong-class probability exceeds it.
func (r MCRow) Contradicts() bool {
	return r.WrongLo > 0 && math.Log(r.WrongLo) > r.LogEpsAnalytic
}

// AppendMC appends r as one row of mc_vs_analytic.csv (no header).
func AppendMC(dst []byte, r MCRow) []byte {
	need := ""
	if !math.IsNaN(r.Log10SamplesNeeded) {
		need = FormatFloat(r.Log10SamplesNeeded)
	}
	return appendRecord(dst, FormatFloat(r.Q), FormatFloat(r.Lambda), strconv.Itoa(r.N), strconv.Itoa(r.Index),
		strconv.Itoa(r.Wrong), FormatFloat(r.WrongLo), FormatFloat(r.WrongHi), FormatFloat(r.LogEpsAnalytic), need)
}

// ReadMC parses mc_vs_analytic.csv: counts within 0..N, an interval inside
// [0, 1] that holds wrong/N, a log-probability, and a non-negative sample
// count where present.
func ReadMC(path string) ([]MCRow, error) {
	var rows []MCRow
	err := readCSV(path, MCHeader, func(c *cells) error {
		r := MCRow{Log10SamplesNeeded: math.NaN()}
		r.Q = c.float(0, 0, 1)
		r.Lambda = c.float(1, 0, math.MaxFloat64)
		r.N = c.int(2, 1)
		r.Index = c.int(3, 0)
		r.Wrong = c.int(4, 0)
		r.WrongLo = c.float(5, 0, 1)
		r.WrongHi = c.float(6, 0, 1)
		if c.rec[7] == "-Inf" {
			r.LogEpsAnalytic = math.Inf(-1)
		} else {
			r.LogEpsAnalytic = c.float(7, -math.MaxFloat64, 0)
		}
		if !c.empty(8) {
			r.Log10SamplesNeeded = c.float(8, 0, math.MaxFloat64)
		}
		if c.err != nil {
			return c.err
		}
		switch frac := float64(r.Wrong) / float64(r.N); {
		case r.Wrong > r.N:
			c.fail(4, "%d exceeds n = %d", r.Wrong, r.N)
		case !(r.WrongLo <= frac && frac <= r.WrongHi):
			c.fail(5, "interval [%v, %v] does not hold wrong/n = %v", r.WrongLo, r.WrongHi, frac)
		}
		rows = append(rows, r)
		return c.err
	})
	return rows, err
}
