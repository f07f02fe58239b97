package results

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/go-gota/gota/dataframe"
	"github.com/go-gota/gota/series"
)

// summaryColumns is the header of summary.csv.
var summaryColumns = func() []string {
	cols := []string{"method", "q", "lambda", "clean_accuracy"}
	for _, f := range summaryFlips {
		cols = append(cols, "cert_acc_"+strconv.Itoa(f))
	}
	return append(cols, "median_radius", "abstain_rate")
}()

// summaryCaption says exactly what the summary columns hold; summary.md and report.html show it.
const summaryCaption = "One row per method, q and λ over all test points. clean_accuracy is the " +
	"certified accuracy at 0 flips (correct prediction with radius ≥ 0: tight Neyman-Pearson radius " +
	"for smoothed methods, the exact radius for ridge-exact and DPA); cert_acc_r is the share of test " +
	"points predicted correctly with radius ≥ r. median_radius is the median of the radius over all " +
	"test points, abstentions and uncertified points counting as -1 (mean of the two middle values " +
	"for an even count). abstain_rate is the share of test points with prediction -1."

// fmtFloat is the shortest text that parses back to x: every float in a CSV is written this way.
func fmtFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// fmtShort shows a measurement with about 4 significant digits for reading, not parsing:
// integers as integers, |x| ≥ 1000 rounded to an integer, anything else to 4 significant digits.
func fmtShort(x float64) string {
	switch {
	case x == math.Trunc(x) && math.Abs(x) < 1e15:
		return strconv.FormatFloat(x, 'f', 0, 64)
	case math.Abs(x) >= 1000:
		return strconv.FormatFloat(math.Round(x), 'f', 0, 64)
	default:
		return strconv.FormatFloat(x, 'g', 4, 64)
	}
}

// summaryFrame lays out the summary rows as a table of text, measurements formatted by format;
// q and λ are parameters and always written exactly, q empty for unsmoothed methods.
func summaryFrame(rows []summaryRow, format func(float64) string) dataframe.DataFrame {
	cols := make([][]string, len(summaryColumns))
	for _, r := range rows {
		var q, lambda string
		if r.kind.smoothed() {
			q = fmtFloat(r.q)
		}
		if r.hasLambda {
			lambda = fmtFloat(r.lambda)
		}
		vals := []string{r.method, q, lambda, format(r.clean)}
		for _, a := range r.certAcc {
			vals = append(vals, format(a))
		}
		vals = append(vals, format(r.medRadius), format(r.abstainRate))
		for i, v := range vals {
			cols[i] = append(cols[i], v)
		}
	}
	ss := make([]series.Series, len(summaryColumns))
	for i, name := range summaryColumns {
		ss[i] = series.New(cols[i], series.String, name)
	}
	return dataframe.New(ss...)
}

// summaryCSV renders summary.csv with every float at full precision.
func summaryCSV(rows []summaryRow) ([]byte, error) {
	var buf bytes.Buffer
	if err := summaryFrame(rows, fmtFloat).WriteCSV(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// summaryMarkdown renders summary.md: a caption and a Markdown table, text columns left-aligned
// and numbers right-aligned.
func summaryMarkdown(rows []summaryRow) []byte {
	recs := summaryFrame(rows, fmtShort).Records()
	var b strings.Builder
	b.WriteString("**Summary.** " + summaryCaption + "\n\n")
	writeRow := func(cells []string) {
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	writeRow(recs[0])
	align := make([]string, len(recs[0]))
	for i := range align {
		align[i] = "---:"
	}
	align[0] = ":---"
	writeRow(align)
	for _, r := range recs[1:] {
		writeRow(r)
	}
	return []byte(b.String())
}
