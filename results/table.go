package results

import (
	"bytes"
	"encoding/csv"
	"fmt"
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

// FormatShort shows a measurement with about 4 significant digits for reading, not parsing:
// integers as integers, |x| ≥ 1000 rounded to an integer, anything else to 4 significant digits.
func FormatShort(x float64) string {
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

// recordsCSV renders records as CSV.
func recordsCSV(recs [][]string) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.WriteAll(recs) // a bytes.Buffer does not fail
	return buf.Bytes()
}

// markdownTable renders records as a Markdown table, the first column left-aligned and the others
// right-aligned.
func markdownTable(recs [][]string) string {
	var b strings.Builder
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
	return b.String()
}

// fmtCell formats a measurement for reading; NaN (nothing to measure) is a dash.
func fmtCell(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return FormatShort(x)
}

// fmtExact formats a measurement at full precision; NaN is an empty cell.
func fmtExact(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return tables.FormatFloat(x)
}

// qCell is q as a table writes it: exact, empty for unsmoothed methods.
func qCell(s tables.Setting) string {
	if s.Method.Kind.Smoothed() {
		return tables.FormatFloat(s.Q)
	}
	return ""
}

// markdown renders n as a paragraph, an alert in bold behind a warning sign.
func (n Note) markdown() string {
	if n.Alert {
		return "**⚠ " + n.Text + "**\n\n"
	}
	return n.Text + "\n\n"
}

// Captions of the tables added to the summary.
const (
	mcCaption = "One row per q, λ and number of samples N of mc_vs_analytic.csv. points: test points " +
		"compared; observed: points with at least one sampled prediction other than the analytic " +
		"certificate's class (wrong > 0); contradictions: points whose Clopper-Pearson interval on the " +
		"wrong-class probability lies wholly above the analytic bound (wrong_lower > exp(log_eps_analytic)), " +
		"which must be 0; certified: points the analytic certificate certifies; within_n: those whose " +
		"analytic radius the sampled certificate could certify with N samples (N* ≤ N); " +
		"median_log10_samples_needed: the median of log₁₀ N* over the certified points."
	costCaption = "Wall time per method, q and λ from the manifest: seconds over all test points and per " +
		"test point. For the sampled certificate at N, the time until the N-th sample of one nested pass; " +
		"for certificates computed from the kernel vectors (analytic, ridge-exact), their share of that " +
		"pass, kernel included."
	attackCaption = "One row per method, q and λ of attack.csv. correct: correctly predicted test points; " +
		"attacked: those for which an attack changing the prediction was found, unattacked: those where " +
		"none was found within the training set, proven: attacked points whose change is proven " +
		"(deterministically, or with probability 1 − alpha for the sampled certificate). median_attack " +
		"is the median attack size (flips) over the attacked points; median_ratio the median of " +
		"flips / (radius + 1) over the same points (1 means the certificate is tight). violations counts " +
		"rows of any prediction with a certified radius (radius ≥ 0) whose attack is no larger (flips ≤ " +
		"radius), which must be 0."
)

// timeCaption says what the time table holds.
const timeCaption = "Wall time of the run's last invocation by stage, from the manifest: loading, features, " +
	"each pass over the kernel vectors split into the kernel vectors themselves, each certificate and the " +
	"attacks (each family's summed time over the workers divided by their number), each sampled, DPA and " +
	"baseline unit, assembling and explaining. other is the rest of the wall time (the setup of the fits, " +
	"radius tables, writing files); the stages and other add up to the total. Units resumed from an earlier " +
	"invocation take no time here."

// timeRecords lays out the stages of the manifest with their share of the wall time, then the
// rest and the total, header first.
func timeRecords(m Manifest, format func(float64) string) [][]string {
	recs := [][]string{{"stage", "seconds", "share"}}
	share := func(s float64) string {
		if m.Wall <= 0 {
			return format(math.NaN())
		}
		return format(s / m.Wall)
	}
	var sum float64
	for _, st := range m.Stages {
		recs = append(recs, []string{st.Name, format(st.Seconds), share(st.Seconds)})
		sum += st.Seconds
	}
	other := max(m.Wall-sum, 0)
	return append(recs, []string{"other", format(other), share(other)}, []string{"total", format(sum + other), share(sum + other)})
}

// mcRecords lays out the Monte Carlo check, header first.
func mcRecords(stats []mcStat, format func(float64) string) [][]string {
	recs := [][]string{{"q", "lambda", "n", "points", "observed", "contradictions", "certified", "within_n", "median_log10_samples_needed"}}
	for _, st := range stats {
		recs = append(recs, []string{tables.FormatFloat(st.q), tables.FormatFloat(st.lambda), strconv.Itoa(st.n),
			strconv.Itoa(st.points), strconv.Itoa(st.observed), strconv.Itoa(len(st.contradicting)),
			strconv.Itoa(st.certified), strconv.Itoa(st.withinN), format(st.medNeeded)})
	}
	return recs
}

// contradictionRecords lists up to limit contradicting rows, header first.
func contradictionRecords(stats []mcStat, limit int) [][]string {
	recs := [][]string{{"q", "lambda", "n", "index", "wrong", "wrong_lower", "log_eps_analytic"}}
	for _, st := range stats {
		for _, r := range st.contradicting {
			if len(recs) > limit {
				return recs
			}
			recs = append(recs, []string{tables.FormatFloat(r.Q), tables.FormatFloat(r.Lambda), strconv.Itoa(r.N),
				strconv.Itoa(r.Index), strconv.Itoa(r.Wrong), tables.FormatFloat(r.WrongLo), tables.FormatFloat(r.LogEpsAnalytic)})
		}
	}
	return recs
}

// mcNote states the outcome of the check plainly.
func mcNote(stats []mcStat) Note {
	rows := 0
	for _, st := range stats {
		rows += st.points
	}
	if k := contradictions(stats); k > 0 {
		return Note{fmt.Sprintf("CONTRADICTIONS: %d of the %d rows of %s have an interval wholly above the "+
			"analytic bound (wrong_lower > exp(log_eps_analytic)): the samples show more wrong predictions "+
			"than the bound allows. A sound bound gives this in one (q, λ, N) with probability at most "+
			"alpha; more than that points to a bug.", k, rows, tables.MCFile), true}
	}
	return Note{fmt.Sprintf("No contradictions: in none of the %d rows of %s does the interval on the sampled "+
		"wrong-class probability lie wholly above the analytic bound.", rows, tables.MCFile), false}
}

// costRecords lays out the costs, header first.
func costRecords(rows []costRow, format func(float64) string) [][]string {
	recs := [][]string{{"method", "q", "lambda", "points", "seconds", "seconds_per_point"}}
	for _, c := range rows {
		recs = append(recs, []string{c.Method.String(), qCell(c.Setting), tables.FormatFloat(c.Lambda),
			strconv.Itoa(c.points), format(c.seconds), format(c.perPoint())})
	}
	return recs
}

// attackRecords lays out the attack summary, header first.
func attackRecords(stats []attackStat, format func(float64) string) [][]string {
	recs := [][]string{{"method", "q", "lambda", "points", "correct", "attacked", "unattacked", "proven",
		"median_attack", "median_ratio", "violations"}}
	for _, st := range stats {
		recs = append(recs, []string{st.Method.String(), qCell(st.Setting), tables.FormatFloat(st.Lambda),
			strconv.Itoa(st.points), strconv.Itoa(st.correct), strconv.Itoa(st.attacked), strconv.Itoa(st.unattacked),
			strconv.Itoa(st.proven), format(st.medAttack), format(st.medRatio), strconv.Itoa(len(st.violations))})
	}
	return recs
}

// violationRecords lists up to limit rows with flips ≤ radius, header first.
func violationRecords(stats []attackStat, limit int) [][]string {
	recs := [][]string{{"method", "q", "lambda", "index", "radius", "flips"}}
	for _, st := range stats {
		for _, v := range st.violations {
			if len(recs) > limit {
				return recs
			}
			recs = append(recs, []string{v.Method.String(), qCell(v.Setting), tables.FormatFloat(v.Lambda),
				strconv.Itoa(v.index), strconv.Itoa(v.radius), strconv.Itoa(v.flips)})
		}
	}
	return recs
}

// attackNote states the outcome of the flips > radius check plainly.
func attackNote(stats []attackStat) Note {
	rows, bad := 0, 0
	for _, st := range stats {
		rows += st.points
		bad += len(st.violations)
	}
	if bad > 0 {
		return Note{fmt.Sprintf("VIOLATIONS: %d of the %d rows of %s have an attack no larger than the certified "+
			"radius of the same row (flips ≤ radius): a bug in a certificate or in an attack.", bad, rows, tables.AttackFile), true}
	}
	return Note{fmt.Sprintf("No violations: in all %d rows of %s, every attack on a point with a certified radius "+
		"is larger than that radius (flips > radius).", rows, tables.AttackFile), false}
}

// listLimit is how many offending rows the summary lists.
const listLimit = 20

// summaryMarkdown renders summary.md: the summary table with its caption, then, when the run has
// them, the Monte Carlo check, the costs and the attacks, each with its caption and the outcome of
// its check stated first.
func (d *Analysis) summaryMarkdown() []byte {
	var b strings.Builder
	b.WriteString("**Summary.** " + summaryCaption + "\n\n")
	b.WriteString(markdownTable(summaryRecords(d.summary, FormatShort)))
	if d.mc != nil {
		b.WriteString("\n## Monte Carlo against analytic\n\n")
		b.WriteString(mcNote(d.mc).markdown())
		b.WriteString(mcCaption + "\n\n")
		b.WriteString(markdownTable(mcRecords(d.mc, fmtCell)))
		if contradictions(d.mc) > 0 {
			b.WriteString("\nContradicting rows (at most " + strconv.Itoa(listLimit) + "):\n\n")
			b.WriteString(markdownTable(contradictionRecords(d.mc, listLimit)))
		}
	}
	if d.costs != nil {
		b.WriteString("\n## Cost\n\n" + costCaption + "\n\n")
		b.WriteString(markdownTable(costRecords(d.costs, fmtCell)))
	}
	if len(d.Manifest.Stages) > 0 {
		b.WriteString("\n## Time\n\n" + timeCaption + "\n\n")
		b.WriteString(markdownTable(timeRecords(d.Manifest, fmtCell)))
	}
	if d.attacks != nil {
		b.WriteString("\n## Attacks\n\n")
		b.WriteString(attackNote(d.attacks).markdown())
		b.WriteString(attackCaption + "\n\n")
		b.WriteString(markdownTable(attackRecords(d.attacks, fmtCell)))
		if v := violationRecords(d.attacks, listLimit); len(v) > 1 {
			b.WriteString("\nViolating rows (at most " + strconv.Itoa(listLimit) + "):\n\n")
			b.WriteString(markdownTable(v))
		}
	}
	return []byte(b.String())
}
