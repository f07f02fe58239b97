package results

import (
	"math"
	"slices"

	"flipcert/tables"
)

// Which settings each figure draws: the choices are the analysis's, so that
// the drawing code only draws what it is given.

// FigureOne are the curves of Figure 1: the headline smoothed method per q, the white-box
// radius per q, and the peers (ridge-exact, each DPA), each at its best λ.
func FigureOne(sets []*Curve, maxFlips int) (smoothed, white, peers []*Curve) {
	if m, ok := SmoothedMethod(sets); ok {
		smoothed = Best(sets, maxFlips, func(s *Curve) bool { return s.Method == m })
	}
	white = Best(sets, maxFlips, func(s *Curve) bool { return s.Method.Kind == tables.Whitebox })
	peers = Best(sets, maxFlips, func(s *Curve) bool { return !s.Method.Kind.Smoothed() })
	return smoothed, white, peers
}

// BillionPerSecondYear is a billion samples a second for a year (365.25 days): the scale against
// which the samples the sampled certificate would need are judged (docs/science.md §12).
const BillionPerSecondYear = 1e9 * 365.25 * 24 * 3600

// SamplingGroup is one q of the sampled-against-analytic figure: the analytic certificate at the
// λ chosen for it, the sampled certificate there for every N, and the rows of
// mc_vs_analytic.csv there, grouped by N.
type SamplingGroup struct {
	Analytic *Curve
	Sampled  []*Curve         // ascending N
	Ns       []int            // the N of the comparison rows, ascending
	MC       [][]tables.MCRow // parallel to mcNs, in file order
}

// SamplingGroups pairs, per q, analytic with the sampled certificates at the same λ: among the λ
// run with both, the one with the largest area under analytic's curve (the λ of Figure 1 when
// sampled ran there too).
func SamplingGroups(sets []*Curve, mc []tables.MCRow, maxFlips int) []SamplingGroup {
	both := func(s *Curve) bool {
		return s.Method.Kind == tables.Analytic && len(FindKind(sets, tables.Sampled, s.Q, s.Lambda)) > 0
	}
	var out []SamplingGroup
	for _, a := range Best(sets, maxFlips, both) {
		g := SamplingGroup{Analytic: a, Sampled: FindKind(sets, tables.Sampled, a.Q, a.Lambda)}
		for _, r := range mc {
			if r.Q != a.Q || r.Lambda != a.Lambda {
				continue
			}
			i, found := slices.BinarySearch(g.Ns, r.N)
			if !found {
				g.Ns = slices.Insert(g.Ns, i, r.N)
				g.MC = slices.Insert(g.MC, i, nil)
			}
			g.MC[i] = append(g.MC[i], r)
		}
		out = append(out, g)
	}
	return out
}

// SampleCount is the N of a sampled method: from its name, else the config's (largest) N; 0
// when neither says.
func SampleCount(m tables.Method, man Manifest) int {
	if m.Samples > 0 {
		return m.Samples
	}
	return man.LargestN()
}

// LargestComparedN is the largest N of the comparison rows, else the config's; 0 when neither
// names one.
func LargestComparedN(groups []SamplingGroup, man Manifest) int {
	n := man.LargestN()
	for _, g := range groups {
		if len(g.Ns) > 0 {
			n = max(n, g.Ns[len(g.Ns)-1])
		}
	}
	return n
}

// SamplingNs lists every N of the groups, ascending: line and glyph styles follow its order.
func SamplingNs(groups []SamplingGroup, man Manifest) []int {
	var ns []int
	for _, g := range groups {
		for _, s := range g.Sampled {
			ns = append(ns, SampleCount(s.Method, man))
		}
		ns = append(ns, g.Ns...)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// Needed returns log₁₀ N* of the points the analytic certificate certifies, ascending, from the
// rows of one N (the value does not depend on N).
func (g SamplingGroup) Needed() []float64 {
	if len(g.MC) == 0 {
		return nil
	}
	var v []float64
	for _, r := range g.MC[len(g.MC)-1] {
		if !math.IsNaN(r.Log10SamplesNeeded) {
			v = append(v, r.Log10SamplesNeeded)
		}
	}
	slices.Sort(v)
	return v
}

// ShareWithin is the share (0–1) of the group's certified points whose N* is below
// 10^log10Limit, up to the rounding tolerance of withinReach; NaN when none is certified.
func (g SamplingGroup) ShareWithin(log10Limit float64) float64 {
	v := g.Needed()
	if len(v) == 0 {
		return math.NaN()
	}
	k, _ := slices.BinarySearch(v, log10Limit+reachTolerance)
	return float64(k) / float64(len(v))
}

// ZeroRows summarises, for one N, the rows of the comparison that have no sampled rate to draw
// (wrong = 0): Zero of Rows, the range [UpperLo, UpperHi] of their intervals' upper ends, and
// how many of them (Below) have an analytic bound below that upper end, where no run of that
// size could tell the bound from zero.
type ZeroRows struct {
	N, Zero, Rows, Below int
	UpperLo, UpperHi     float64
}

// ZeroRowsByN returns ZeroRows for every N of the groups' comparison rows, ascending.
func ZeroRowsByN(groups []SamplingGroup) []ZeroRows {
	var out []ZeroRows
	for _, n := range MCNs(groups) {
		z := ZeroRows{N: n, UpperLo: math.Inf(1), UpperHi: math.Inf(-1)}
		for _, g := range groups {
			for j, rs := range g.MC {
				if g.Ns[j] != n {
					continue
				}
				for _, r := range rs {
					z.Rows++
					if r.Wrong > 0 {
						continue
					}
					z.Zero++
					z.UpperLo, z.UpperHi = min(z.UpperLo, r.WrongHi), max(z.UpperHi, r.WrongHi)
					if r.LogEpsAnalytic < math.Log(r.WrongHi) {
						z.Below++
					}
				}
			}
		}
		out = append(out, z)
	}
	return out
}

// MCNs lists the N of the comparison rows of the groups, ascending.
func MCNs(groups []SamplingGroup) []int {
	var ns []int
	for _, g := range groups {
		ns = append(ns, g.Ns...)
	}
	slices.Sort(ns)
	return slices.Compact(ns)
}

// TightPanel is one method family of the tightness figure with the settings it draws.
type TightPanel struct {
	Kind    tables.Kind
	Samples int // the sampled certificate's N when its name carries one
	Curves  []*Curve
}

// TightnessPanels picks, among the settings with attacks, per family: the analytic certificate
// per q at its best λ; the sampled certificate with the most samples per q at its best λ;
// ridge-exact at its best λ; each DPA k at its best λ (one panel for all k). Best is the largest
// area under the certified-accuracy curve, as in Figure 1.
func TightnessPanels(sets []*Curve, maxFlips int) []TightPanel {
	attacked := (*Curve).Attacked
	var topN tables.Method
	for _, s := range sets { // sampled by ascending N: the last one has the most samples
		if attacked(s) && s.Method.Kind == tables.Sampled {
			topN = s.Method
		}
	}
	var out []TightPanel
	for _, kind := range []tables.Kind{tables.Analytic, tables.Whitebox, tables.Sampled, tables.RidgeExact, tables.DPA} {
		picked := Best(sets, maxFlips, func(s *Curve) bool {
			return attacked(s) && s.Method.Kind == kind && (kind != tables.Sampled || s.Method == topN)
		})
		if len(picked) == 0 {
			continue
		}
		p := TightPanel{Kind: kind, Curves: picked}
		if kind == tables.Sampled {
			p.Samples = topN.Samples
		}
		out = append(out, p)
	}
	return out
}

// TightnessXMax is the right end of the flips axis: the report's budget, or the largest attack on a
// correctly predicted point when that is larger, never past the training set.
func TightnessXMax(panels []TightPanel, maxFlips, nTrain int) int {
	x := maxFlips
	for _, p := range panels {
		for _, s := range p.Curves {
			x = max(x, s.attackReach(nTrain))
		}
	}
	return min(x, nTrain)
}

// AblationGrid is the q × λ grid of one smoothed method: cell (c, r) holds q[c] and λ[r].
type AblationGrid struct {
	Qs, Lambdas []float64
	Curves      [][]*Curve // [c][r]; nil where the pair was not run
}

// Ablation returns the grid of the first smoothed method (analytic, then the sampled certificate
// with the most samples) that sweeps at least two q and two λ, and false when none does.
func Ablation(sets []*Curve) (AblationGrid, string, bool) {
	var methods []tables.Method
	for _, s := range slices.Backward(sets) { // sampled by descending N, analytic last
		if s.Method.Kind.Smoothed() && !slices.Contains(methods, s.Method) {
			methods = append(methods, s.Method)
		}
	}
	slices.SortStableFunc(methods, func(a, b tables.Method) int { return int(a.Kind) - int(b.Kind) })
	for _, m := range methods {
		var g AblationGrid
		for _, s := range sets {
			if s.Method != m {
				continue
			}
			if !slices.Contains(g.Qs, s.Q) {
				g.Qs = append(g.Qs, s.Q)
			}
			if !slices.Contains(g.Lambdas, s.Lambda) {
				g.Lambdas = append(g.Lambdas, s.Lambda)
			}
		}
		if len(g.Qs) < 2 || len(g.Lambdas) < 2 {
			continue
		}
		slices.Sort(g.Qs)
		slices.Sort(g.Lambdas)
		g.Curves = make([][]*Curve, len(g.Qs))
		for c, q := range g.Qs {
			g.Curves[c] = make([]*Curve, len(g.Lambdas))
			for r, l := range g.Lambdas {
				g.Curves[c][r] = Find(sets, m, q, l)
			}
		}
		return g, m.String(), true
	}
	return AblationGrid{}, "", false
}
