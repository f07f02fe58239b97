package results

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"

	"flipcert/tables"
)

// curveSet holds what the figures and tables need from the test points of one setting.
type curveSet struct {
	tables.Setting
	n        int   // test points
	abstain  int   // predictions of -1
	radii    []int // radius of every point, ascending; -1 for abstentions and uncertified points
	okNP     []int // radius of every correctly predicted point, ascending
	okKL     []int // radius_kl of every correctly predicted point, ascending
	points   map[int]tables.Point
	nLambdas int // distinct λ of this method and q: legends name λ when it is more than 1
	// okAttack holds, when attack.csv has this setting, flips − 1 for every correctly predicted
	// point, ascending: the largest budget at which the attack found does not yet break it (the
	// training-set size when no attack was found within it); nil without attacks.
	okAttack []int
	attacks  map[int]tables.AttackRow // by test point; nil without attacks
}

// settingKey is a comparable key of a method, q and λ (exact, and comparable where q is NaN).
type settingKey struct {
	method    tables.Method
	q, lambda string
}

func keyOf(s tables.Setting) settingKey {
	return settingKey{s.Method, tables.FormatFloat(s.Q), tables.FormatFloat(s.Lambda)}
}

// groupPoints splits the rows by setting, in setting order.
func groupPoints(rows []tables.Point) []*curveSet {
	bySetting := map[settingKey]*curveSet{}
	var sets []*curveSet
	for _, p := range rows {
		k := keyOf(p.Setting())
		s := bySetting[k]
		if s == nil {
			s = &curveSet{Setting: p.Setting(), points: map[int]tables.Point{}}
			bySetting[k] = s
			sets = append(sets, s)
		}
		s.n++
		if p.Prediction == -1 {
			s.abstain++
		}
		s.radii = append(s.radii, p.Radius)
		s.points[p.Index] = p
		if p.Correct() {
			s.okNP = append(s.okNP, p.Radius)
			s.okKL = append(s.okKL, p.RadiusKL)
		}
	}
	slices.SortFunc(sets, func(a, b *curveSet) int {
		if a.Less(b.Setting) {
			return -1
		}
		return 1
	})
	type family struct {
		method tables.Method
		q      string
	}
	nLambdas := map[family]int{}
	for _, s := range sets {
		slices.Sort(s.radii)
		slices.Sort(s.okNP)
		slices.Sort(s.okKL)
		nLambdas[family{s.Method, tables.FormatFloat(s.Q)}]++
	}
	for _, s := range sets {
		s.nLambdas = nLambdas[family{s.Method, tables.FormatFloat(s.Q)}]
	}
	return sets
}

// certAcc is the certified accuracy at r flips: #{correct, radius ≥ r} / n (docs/science.md §5), with
// radius_kl in place of radius when kl is set.
func (s *curveSet) certAcc(r int, kl bool) float64 {
	ok := s.okNP
	if kl {
		ok = s.okKL
	}
	return atLeast(ok, r, s.n)
}

// atLeast is the share #{v ∈ ok : v ≥ r} / n of a curve over n points whose points count while
// r ≤ v; ok is ascending.
func atLeast(ok []int, r, n int) float64 {
	return float64(len(ok)-sort.SearchInts(ok, r)) / float64(n)
}

// area is the sum of the np curve over r = 0..maxFlips, the criterion for choosing λ.
func (s *curveSet) area(maxFlips int) float64 {
	var a float64
	for r := 0; r <= maxFlips; r++ {
		a += s.certAcc(r, false)
	}
	return a
}

// steps returns the breakpoints of the certified-accuracy step function on [0, maxFlips], to be
// drawn post-step: the value at x holds until the next breakpoint. The curve drops at v+1 for
// every radius v of a correct point.
func (s *curveSet) steps(maxFlips int, kl bool) (xs []int, ys []float64) {
	ok := s.okNP
	if kl {
		ok = s.okKL
	}
	return stepsOf(ok, s.n, maxFlips)
}

// stepsOf returns the breakpoints on [0, maxFlips] of r ↦ atLeast(ok, r, n), to be drawn
// post-step: the curve drops at v+1 for every v of ok.
func stepsOf(ok []int, n, maxFlips int) (xs []int, ys []float64) {
	xs = []int{0}
	for _, v := range ok {
		if x := v + 1; x > 0 && x < maxFlips && x != xs[len(xs)-1] {
			xs = append(xs, x)
		}
	}
	if xs[len(xs)-1] != maxFlips {
		xs = append(xs, maxFlips)
	}
	ys = make([]float64, len(xs))
	for i, x := range xs {
		ys[i] = atLeast(ok, x, n)
	}
	return xs, ys
}

// medianRadius is the median of all radii (abstentions and uncertified points count as -1); for
// an even count it is the mean of the two middle values.
func (s *curveSet) medianRadius() float64 { return median(intsToFloats(s.radii)) }

// best returns, for every (method, q) family among sets for which keep is true, the setting whose
// np curve has the largest area over 0..maxFlips; ties go to the smaller λ. The result is in
// setting order.
func best(sets []*curveSet, maxFlips int, keep func(*curveSet) bool) []*curveSet {
	var out []*curveSet
	var bestArea float64
	for _, s := range sets { // sets are sorted, so a family's settings are adjacent, λ ascending
		if !keep(s) {
			continue
		}
		a := s.area(maxFlips)
		if n := len(out); n > 0 && sameFamily(out[n-1], s) {
			if a > bestArea {
				out[n-1], bestArea = s, a
			}
			continue
		}
		out, bestArea = append(out, s), a
	}
	return out
}

func sameFamily(a, b *curveSet) bool {
	return a.Method == b.Method && (a.Q == b.Q || math.IsNaN(a.Q) && math.IsNaN(b.Q))
}

// smoothedMethod returns the smoothed method to headline: analytic if present, else the sampled
// certificate with the most samples.
func smoothedMethod(sets []*curveSet) (tables.Method, bool) {
	var out tables.Method
	found := false
	for _, s := range sets { // sets are in method order: analytic first, sampled by ascending N
		switch {
		case s.Method.Kind == tables.Analytic:
			return s.Method, true
		case s.Method.Kind == tables.Sampled:
			out, found = s.Method, true
		}
	}
	return out, found
}

// find returns the set with the given method, q and λ, or nil.
func find(sets []*curveSet, m tables.Method, q, lambda float64) *curveSet {
	for _, s := range sets {
		if s.Method == m && s.Q == q && s.Lambda == lambda {
			return s
		}
	}
	return nil
}

// findKind returns the sets of a kind at q and λ, in method order (the sampled ones by N).
func findKind(sets []*curveSet, kind tables.Kind, q, lambda float64) []*curveSet {
	var out []*curveSet
	for _, s := range sets {
		if s.Method.Kind == kind && s.Q == q && s.Lambda == lambda {
			out = append(out, s)
		}
	}
	return out
}

// summaryFlips are the budgets of the summary table's certified-accuracy columns.
var summaryFlips = []int{100, 250, 500, 1000, 2000}

// summaryRow is one row of summary.csv.
type summaryRow struct {
	tables.Setting
	clean       float64
	certAcc     []float64 // at summaryFlips
	medRadius   float64
	abstainRate float64
}

func summarize(sets []*curveSet) []summaryRow {
	rows := make([]summaryRow, len(sets))
	for i, s := range sets {
		r := summaryRow{
			Setting:     s.Setting,
			clean:       s.certAcc(0, false),
			medRadius:   s.medianRadius(),
			abstainRate: float64(s.abstain) / float64(s.n),
		}
		for _, f := range summaryFlips {
			r.certAcc = append(r.certAcc, s.certAcc(f, false))
		}
		rows[i] = r
	}
	return rows
}

// baselineStat aggregates the seeds of one (attack, flips).
type baselineStat struct {
	attack         string
	flips          int
	seeds          int
	mean, min, max float64
}

// aggregateBaseline returns one stat per (attack, flips), attacks in baselineAttacks order and
// flips ascending. The mean sums accuracies in ascending order, so row order cannot change it.
func aggregateBaseline(rows []tables.BaselineRow) []baselineStat {
	type key struct {
		attack string
		flips  int
	}
	acc := map[key][]float64{}
	for _, b := range rows {
		k := key{b.Attack, b.Flips}
		acc[k] = append(acc[k], b.Accuracy)
	}
	var out []baselineStat
	for k, v := range acc {
		slices.Sort(v)
		var sum float64
		for _, a := range v {
			sum += a
		}
		out = append(out, baselineStat{attack: k.attack, flips: k.flips, seeds: len(v),
			mean: sum / float64(len(v)), min: v[0], max: v[len(v)-1]})
	}
	slices.SortFunc(out, func(a, b baselineStat) int {
		return cmp.Or(cmp.Compare(slices.Index(tables.BaselineAttacks, a.attack), slices.Index(tables.BaselineAttacks, b.attack)),
			cmp.Compare(a.flips, b.flips))
	})
	return out
}

// certifiedAccuracyCSV renders certified_accuracy.csv: every curve of every setting, in setting
// order, at every flips value 0..maxFlips (docs/science.md §5).
func certifiedAccuracyCSV(sets []*curveSet, maxFlips int) []byte {
	out := tables.AppendHeader(nil, tables.CertifiedAccHeader)
	for _, s := range sets {
		q := ""
		if s.Method.Kind.Smoothed() {
			q = tables.FormatFloat(s.Q)
		}
		prefix := s.Method.String() + ","
		for _, kind := range s.Method.Kind.RadiusKinds() {
			head := prefix + kind + "," + q + "," + tables.FormatFloat(s.Lambda) + ","
			for r := 0; r <= maxFlips; r++ {
				out = append(out, head...)
				out = strconv.AppendInt(out, int64(r), 10)
				out = append(out, ',')
				out = append(out, tables.FormatFloat(s.certAcc(r, kind == tables.RadiusKL))...)
				out = append(out, '\n')
			}
		}
	}
	return out
}
