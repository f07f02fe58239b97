package results

import (
	"cmp"
	"math"
	"slices"
	"sort"
	"strconv"

	"flipcert/tables"
)

// Curve holds what the figures and tables need from the test points of one setting.
type Curve struct {
	tables.Setting
	n        int   // test points
	abstain  int   // predictions of -1
	radii    []int // radius of every point, ascending; -1 for abstentions and uncertified points
	okNP     []int // radius of every correctly predicted point, ascending
	okKL     []int // radius_kl of every correctly predicted point, ascending
	points   map[int]tables.Point
	NLambdas int // distinct λ of this method and q: legends name λ when it is more than 1
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
func groupPoints(rows []tables.Point) []*Curve {
	bySetting := map[settingKey]*Curve{}
	var sets []*Curve
	for _, p := range rows {
		k := keyOf(p.Setting())
		s := bySetting[k]
		if s == nil {
			s = &Curve{Setting: p.Setting(), points: map[int]tables.Point{}}
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
	slices.SortFunc(sets, func(a, b *Curve) int {
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
		s.NLambdas = nLambdas[family{s.Method, tables.FormatFloat(s.Q)}]
	}
	return sets
}

// CertAcc is the certified accuracy at r flips: #{correct, radius ≥ r} / n (docs/science.md §5), with
// radius_kl in place of radius when kl is set.
func (s *Curve) CertAcc(r int, kl bool) float64 {
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

// Area is the sum of the np curve over r = 0..maxFlips, the criterion for choosing λ.
func (s *Curve) Area(maxFlips int) float64 {
	var a float64
	for r := 0; r <= maxFlips; r++ {
		a += s.CertAcc(r, false)
	}
	return a
}

// Steps returns the breakpoints of the certified-accuracy step function on [0, maxFlips], to be
// drawn post-step: the value at x holds until the next breakpoint. The curve drops at v+1 for
// every radius v of a correct point.
func (s *Curve) Steps(maxFlips int, kl bool) (xs []int, ys []float64) {
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

// MedianRadius is the median of all radii (abstentions and uncertified points count as -1); for
// an even count it is the mean of the two middle values.
func (s *Curve) MedianRadius() float64 { return median(intsToFloats(s.radii)) }

// Best returns, for every (method, q) family among sets for which keep is true, the setting whose
// np curve has the largest area over 0..maxFlips; ties go to the smaller λ. The result is in
// setting order.
func Best(sets []*Curve, maxFlips int, keep func(*Curve) bool) []*Curve {
	var out []*Curve
	var bestArea float64
	for _, s := range sets { // sets are sorted, so a family's settings are adjacent, λ ascending
		if !keep(s) {
			continue
		}
		a := s.Area(maxFlips)
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

func sameFamily(a, b *Curve) bool {
	return a.Method == b.Method && (a.Q == b.Q || math.IsNaN(a.Q) && math.IsNaN(b.Q))
}

// SmoothedMethod returns the smoothed method to headline: analytic if present, else the sampled
// certificate with the most samples.
func SmoothedMethod(sets []*Curve) (tables.Method, bool) {
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

// Find returns the set with the given method, q and λ, or nil.
func Find(sets []*Curve, m tables.Method, q, lambda float64) *Curve {
	for _, s := range sets {
		if s.Method == m && s.Q == q && s.Lambda == lambda {
			return s
		}
	}
	return nil
}

// FindKind returns the sets of a kind at q and λ, in method order (the sampled ones by N).
func FindKind(sets []*Curve, kind tables.Kind, q, lambda float64) []*Curve {
	var out []*Curve
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

// BaselineStat aggregates the seeds of one (attack, flips).
type BaselineStat struct {
	Attack         string
	Flips          int
	Seeds          int
	Mean, Min, Max float64
}

// aggregateBaseline returns one stat per (attack, flips), attacks in baselineAttacks order and
// flips ascending. The mean sums accuracies in ascending order, so row order cannot change it.
func aggregateBaseline(rows []tables.BaselineRow) []BaselineStat {
	type key struct {
		attack string
		flips  int
	}
	acc := map[key][]float64{}
	for _, b := range rows {
		k := key{b.Attack, b.Flips}
		acc[k] = append(acc[k], b.Accuracy)
	}
	var out []BaselineStat
	for k, v := range acc {
		slices.Sort(v)
		var sum float64
		for _, a := range v {
			sum += a
		}
		out = append(out, BaselineStat{Attack: k.attack, Flips: k.flips, Seeds: len(v),
			Mean: sum / float64(len(v)), Min: v[0], Max: v[len(v)-1]})
	}
	slices.SortFunc(out, func(a, b BaselineStat) int {
		return cmp.Or(cmp.Compare(slices.Index(tables.BaselineAttacks, a.Attack), slices.Index(tables.BaselineAttacks, b.Attack)),
			cmp.Compare(a.Flips, b.Flips))
	})
	return out
}

// certifiedAccuracyCSV renders certified_accuracy.csv: every curve of every setting, in setting
// order, at every flips value 0..maxFlips (docs/science.md §5).
func certifiedAccuracyCSV(sets []*Curve, maxFlips int) []byte {
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
				out = append(out, tables.FormatFloat(s.CertAcc(r, kind == tables.RadiusKL))...)
				out = append(out, '\n')
			}
		}
	}
	return out
}

// FindSetting returns the curve of setting s, or nil.
func FindSetting(curves []*Curve, s tables.Setting) *Curve {
	k := keyOf(s)
	for _, c := range curves {
		if keyOf(c.Setting) == k {
			return c
		}
	}
	return nil
}

// Point returns the row of points.csv of test point index in this setting.
func (s *Curve) Point(index int) (tables.Point, bool) {
	p, ok := s.points[index]
	return p, ok
}

// Attack returns the row of attack.csv of test point index in this setting; false without one.
func (s *Curve) Attack(index int) (tables.AttackRow, bool) {
	a, ok := s.attacks[index]
	return a, ok
}
