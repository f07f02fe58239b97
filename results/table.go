package results

import (
	"bytes"
	"encoding/csv"
	"math"
	"strconv"
	"strings"

	"flipcert/tables"
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

// summaryRecords lays out the summary as text records, header first, measurements formatted by
// format; q and λ are parameters and always written exactly, q empty for unsmoothed methods.
func summaryRecords(rows []summaryRow, format func(float64) string) [][]string {
	recs := [][]string{summaryColumns}
	for _, r := range rows {
		q := ""
		if r.Method.Kind.Smoothed() {
			q = tables.FormatFloat(r.Q)
		}
		rec := []string{r.Method.String(), q, tables.FormatFloat(r.Lambda), format(r.clean)}
		for _, a := range r.certAcc {
			rec = append(rec, format(a))
		}
		recs = append(recs, append(rec, format(r.medRadius), format(r.abstainRate)))
	}
	return recs
}

// summaryCSV renders summary.csv with every float at full precision.
func summaryCSV(rows []summaryRow) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(summaryRecords(rows, tables.FormatFloat)) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// summaryMarkdown renders summary.md: a caption and a Markdown table, text columns left-aligned
// and numbers right-aligned.
func summaryMarkdown(rows []summaryRow) []byte {
	recs := summaryRecords(rows, fmtShort)
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
