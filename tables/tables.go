// Package tables is the on-disk contract of a run's output folder: the file
// names, their headers and column order, the method names and radius kinds,
// and how each row is written and read back. The experiment runner writes
// these files through it and the results stage reads them through it, so a
// new column is one change here.
//
// Every float is written in shortest round-trip form (strconv 'g', −1), so the
// tables are exact and the same inputs give the same bytes.
package tables

import (
	"fmt"
	"strconv"
	"strings"
)

// Names of the files of an output folder.
const (
	PointsFile       = "points.csv"             // one row per (method, q, λ, test point)
	CertifiedAccFile = "certified_accuracy.csv" // derived from PointsFile by the results stage
	BaselineFile     = "baseline.csv"           // the undefended network under attack
	ManifestFile     = "manifest.json"          // config, seed, versions, sizes, timings
	SummaryCSVFile   = "summary.csv"
	SummaryMDFile    = "summary.md"
	ReportFile       = "report.html"
	// Derived by the results stage beside the summary: per (q, λ, N) the
	// comparison of samples with the analytic bound, per (method, q, λ) the
	// seconds spent and the attack sizes with their consistency check.
	MCCheckFile       = "mc_check.csv"
	CostsFile         = "costs.csv"
	AttackSummaryFile = "attack_summary.csv"
	UnitsDir          = "units"      // finished work units: rows of the tables without headers
	StateFile         = "state.json" // the config and code whose units a folder holds
)

// Headers of the CSV files, in column order.
var (
	PointsHeader       = []string{"method", "q", "lambda", "index", "label", "prediction", "log_eps", "radius", "radius_kl", "correct"}
	CertifiedAccHeader = []string{"method", "radius_kind", "q", "lambda", "flips", "certified_accuracy"}
	BaselineHeader     = []string{"attack", "flips", "seed", "accuracy"}
)

// Kind is a certification method, in the order tables list them.
type Kind int

const (
	Analytic   Kind = iota // deterministic Chernoff certificate of the smoothed classifier
	Whitebox               // the analytic certificate's white-box radius (docs/science.md §14)
	Sampled                // Monte Carlo certificate of the smoothed classifier
	RidgeExact             // exact certificate of the unsmoothed ridge classifier
	DPA                    // Deep Partition Aggregation
)

// Smoothed reports whether the method certifies the smoothed classifier, so
// that its rows carry q and a log-probability bound.
func (k Kind) Smoothed() bool { return k == Analytic || k == Whitebox || k == Sampled }

// Method is a method as named in the tables: analytic, whitebox, sampled (or
// sampled-n<N> when a run sweeps the number of samples), ridge-exact, or
// dpa-k<k>.
type Method struct {
	Kind Kind
	// Parts is DPA's number of partitions k.
	Parts int
	// Samples is the sampled certificate's N when the name carries it
	// (sampled-n<N>); 0 for plain "sampled".
	Samples int
}

// String returns the method's name in the tables.
func (m Method) String() string {
	switch m.Kind {
	case Analytic:
		return "analytic"
	case Whitebox:
		return "whitebox"
	case Sampled:
		if m.Samples > 0 {
			return "sampled-n" + strconv.Itoa(m.Samples)
		}
		return "sampled"
	case RidgeExact:
		return "ridge-exact"
	case DPA:
		return "dpa-k" + strconv.Itoa(m.Parts)
	}
	panic(fmt.Sprintf("tables: unknown method kind %d", m.Kind))
}

// ParseMethod reads a method name; a number in it must be a canonical
// positive integer.
func ParseMethod(s string) (Method, error) {
	switch s {
	case "analytic":
		return Method{Kind: Analytic}, nil
	case "whitebox":
		return Method{Kind: Whitebox}, nil
	case "sampled":
		return Method{Kind: Sampled}, nil
	case "ridge-exact":
		return Method{Kind: RidgeExact}, nil
	}
	for _, p := range []struct {
		prefix string
		kind   Kind
	}{{"dpa-k", DPA}, {"sampled-n", Sampled}} {
		rest, ok := strings.CutPrefix(s, p.prefix)
		if !ok {
			continue
		}
		if k, err := strconv.Atoi(rest); err == nil && k > 0 && strconv.Itoa(k) == rest {
			if p.kind == DPA {
				return Method{Kind: DPA, Parts: k}, nil
			}
			return Method{Kind: Sampled, Samples: k}, nil
		}
	}
	return Method{}, fmt.Errorf("unknown method %q (want analytic, whitebox, sampled, sampled-n<N>, ridge-exact or dpa-k<k>)", s)
}

// Less orders methods as the tables list them: by kind, then DPA's k or the
// sampled N.
func (m Method) Less(o Method) bool {
	if m.Kind != o.Kind {
		return m.Kind < o.Kind
	}
	if m.Parts != o.Parts {
		return m.Parts < o.Parts
	}
	return m.Samples < o.Samples
}

// Radius kinds of certified_accuracy.csv: the tight Neyman-Pearson and the KL
// radius of a smoothed certificate, or an unsmoothed method's exact radius.
const (
	RadiusNP    = "np"
	RadiusKL    = "kl"
	RadiusExact = "exact"
)

// RadiusKinds lists the radius kinds a method's rows carry: np and kl for
// smoothed methods (columns radius and radius_kl), exact otherwise (column
// radius; radius_kl repeats it).
func (k Kind) RadiusKinds() []string {
	if k.Smoothed() {
		return []string{RadiusNP, RadiusKL}
	}
	return []string{RadiusExact}
}

// FormatFloat is the shortest text that parses back to x: every float in a
// table is written this way.
func FormatFloat(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
