package results

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"

	"flipcert/atomicfile"
	"flipcert/tables"
)

// Analysis is everything the results stage derives from one output folder:
// the curves of every setting, the baseline aggregated over seeds, and the
// grouped tables (summary, Monte Carlo check, costs, attack summary). It
// holds no drawing; package report draws from it.
type Analysis struct {
	Manifest Manifest
	Curves   []*Curve       // one per (method, q, λ), in table order, with their attacks
	Baseline []BaselineStat // nil without baseline.csv
	MC       []tables.MCRow // the rows of mc_vs_analytic.csv; nil without it

	summary []summaryRow
	mc      []mcStat     // nil without mc_vs_analytic.csv
	costs   []costRow    // nil without manifest costs
	attacks []attackStat // nil without attack.csv
}

// Analyze reads the experiment outputs in dir (points.csv, manifest.json
// and, if present, baseline.csv, mc_vs_analytic.csv and attack.csv), checks
// them against each other and derives the analysis. Malformed or
// inconsistent input yields a *tables.ParseError naming the file and line.
func Analyze(dir string) (*Analysis, error) {
	run, err := Load(dir)
	if err != nil {
		return nil, err
	}
	a := &Analysis{Manifest: run.Manifest, Curves: groupPoints(run.points), Baseline: aggregateBaseline(run.baseline), MC: run.mc}
	if err := attachAttacks(a.Curves, run.attack, filepath.Join(dir, tables.AttackFile), a.Manifest.NTrain); err != nil {
		return nil, err
	}
	a.summary = summarize(run, a.Curves)
	a.mc = mcStats(run)
	a.costs = costRows(run)
	a.attacks = attackStats(a.Curves)
	return a, nil
}

// WriteTables derives the tables of the folder dir (see Analyze) and writes
// them beside its inputs: certified_accuracy.csv, summary.csv and
// summary.md, and mc_check.csv, costs.csv and attack_summary.csv when the run
// has what they summarize (a stale copy is removed otherwise).
func WriteTables(dir string) error {
	a, err := Analyze(dir)
	if err != nil {
		return err
	}
	return a.WriteTables(dir)
}

// WriteTables writes the derived tables of a (see the function WriteTables)
// into dir, each atomically.
func (a *Analysis) WriteTables(dir string) error {
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.CertifiedAccFile), certifiedAccuracyCSV(a.Curves, a.Manifest.MaxFlips)); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.SummaryCSVFile), recordsCSV(summaryRecords(a.summary, tables.FormatFloat))); err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(filepath.Join(dir, tables.SummaryMDFile), a.summaryMarkdown()); err != nil {
		return err
	}
	for _, t := range []struct {
		name string
		recs [][]string
		ok   bool
	}{
		{tables.MCCheckFile, mcRecords(a.mc, fmtExact), a.mc != nil},
		{tables.CostsFile, costRecords(a.costs, fmtExact), a.costs != nil},
		{tables.AttackSummaryFile, attackRecords(a.attacks, fmtExact), a.attacks != nil},
	} {
		var err error
		if t.ok {
			err = atomicfile.WriteBytes(filepath.Join(dir, t.name), recordsCSV(t.recs))
		} else {
			err = RemoveStale(filepath.Join(dir, t.name))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// RemoveStale removes a file an earlier render wrote and this one does not; a missing file is
// fine.
func RemoveStale(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// Table is a derived table as text for reading: a caption and its records, header first.
type Table struct {
	Caption string
	Records [][]string
}

// Note is a statement above a table; an Alert is a check that failed, to be shown loudly.
type Note struct {
	Text  string
	Alert bool
}

// Check is the outcome of one of the run's consistency checks: the statement, the table it
// rests on, and the offending rows (at most ListLimit) when it failed.
type Check struct {
	Note
	Table     Table
	Offending *Table
}

// ListLimit is how many offending rows a failed check lists.
const ListLimit = listLimit

// Summary is summary.csv rounded for reading.
func (a *Analysis) Summary() Table {
	return Table{Caption: summaryCaption, Records: summaryRecords(a.summary, FormatShort)}
}

// MCCheck is the check of the sampled predictions against the analytic bounds (docs/science.md
// §12); nil without mc_vs_analytic.csv.
func (a *Analysis) MCCheck() *Check {
	if a.mc == nil {
		return nil
	}
	return newCheck(mcNote(a.mc), Table{Caption: mcCaption, Records: mcRecords(a.mc, fmtCell)},
		"Contradicting rows", func() [][]string { return contradictionRecords(a.mc, listLimit) })
}

// AttackCheck is the check of every attack against its row's certified radius (docs/science.md
// §11) with the attack summary; nil without attack.csv.
func (a *Analysis) AttackCheck() *Check {
	if a.attacks == nil {
		return nil
	}
	return newCheck(attackNote(a.attacks), Table{Caption: attackCaption, Records: attackRecords(a.attacks, fmtCell)},
		"Violating rows", func() [][]string { return violationRecords(a.attacks, listLimit) })
}

// newCheck is a check's outcome with its table, and when it failed the offending rows (at most
// ListLimit) under the caption what.
func newCheck(n Note, t Table, what string, offending func() [][]string) *Check {
	c := &Check{Note: n, Table: t}
	if n.Alert {
		c.Offending = &Table{Caption: what + " (at most " + strconv.Itoa(listLimit) + ").", Records: offending()}
	}
	return c
}

// Time is the wall time of the run by stage (summary.md's Time section); nil without stages in
// the manifest.
func (a *Analysis) Time() *Table {
	if len(a.Manifest.Stages) == 0 {
		return nil
	}
	return &Table{Caption: timeCaption, Records: timeRecords(a.Manifest, fmtCell)}
}

// Costs is costs.csv rounded for reading; nil without cost records in the manifest.
func (a *Analysis) Costs() *Table {
	if a.costs == nil {
		return nil
	}
	return &Table{Caption: costCaption, Records: costRecords(a.costs, fmtCell)}
}
