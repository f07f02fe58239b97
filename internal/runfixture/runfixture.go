// Package runfixture writes small experiment output folders for the tests of
// the analysis and report stages: the rows of points.csv, attack.csv,
// mc_vs_analytic.csv and baseline.csv and a manifest, as a run writes them,
// either given row by row or generated (Synthetic) with plausible curves.
package runfixture

import (
	"encoding/json"

	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"flipcert/tables"
)

// Point is one row of points.csv as a test writes it.
type Point struct {
	Method        string
	Q, Lambda     string // exactly as written; empty when absent
	Index, Label  int
	Pred          int
	LogEps        string
	Radius, RadKL int
}

// Base is one row of baseline.csv.
type Base struct {
	Attack   string
	Flips    int
	Seed     int
	Accuracy float64
}

// MC is one row of mc_vs_analytic.csv.
type MC struct {
	Q, Lambda    string
	N, Index     int
	Wrong        int
	Lo, Hi       float64
	LogEps, Need string // exactly as written; need empty when the analytic certificate abstains
}

// Attack is one row of attack.csv.
type Attack struct {
	Method, Q, Lambda string
	Index, Flips      int
	Proven            bool
}

// Cost is one cost record of the manifest.
type Cost struct {
	Method    string
	Q, Lambda float64 // q 0 for unsmoothed methods, left out of the JSON
	Points    int
	Seconds   float64
}

// Fixture is a small experiment output directory written by a test.
type Fixture struct {
	Name         string
	NTrain       int
	NTest        int
	MaxFlips     int
	HeatmapFlips []int // nil: leave the manifest's field out
	Points       []Point
	Baseline     []Base   // nil: no baseline.csv
	MC           []MC     // nil: no mc_vs_analytic.csv
	Attacks      []Attack // nil: no attack.csv
	Costs        []Cost   // nil: no costs in the manifest
	Alpha        float64  // the config's sampler.alpha; 0: no sampler section
	SampleNs     []int    // the config's sampler.n
}

func FF(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// settingKey names a (method, q, λ) as the test sees it.
func (p Point) SettingKey() string { return p.Method + "|" + p.Q + "|" + p.Lambda }

// certAccRows computes certified_accuracy.csv plainly from the rows: for each setting and radius
// kind, for each r, the count of correct rows with radius ≥ r over the setting's row count.
func (f Fixture) CertAccRows() []string {
	var order []string
	bySetting := map[string][]Point{}
	for _, p := range f.Points {
		k := p.SettingKey()
		if _, ok := bySetting[k]; !ok {
			order = append(order, k)
		}
		bySetting[k] = append(bySetting[k], p)
	}
	var out []string
	for _, k := range order {
		ps := bySetting[k]
		kinds := []string{"np", "kl"}
		if ps[0].Q == "" {
			kinds = []string{"exact"}
		}
		for _, kind := range kinds {
			for r := 0; r <= f.MaxFlips; r++ {
				n := 0
				for _, p := range ps {
					rad := p.Radius
					if kind == "kl" {
						rad = p.RadKL
					}
					if p.Pred == p.Label && rad >= r {
						n++
					}
				}
				out = append(out, fmt.Sprintf("%s,%s,%s,%s,%d,%s", ps[0].Method, kind, ps[0].Q, ps[0].Lambda, r,
					FF(float64(n)/float64(len(ps)))))
			}
		}
	}
	return out
}

// write writes the fixture's files into dir.
func (f Fixture) Write(t testing.TB, dir string) {
	t.Helper()
	var pts []string
	for _, p := range f.Points {
		pts = append(pts, fmt.Sprintf("%s,%s,%s,%d,%d,%d,%s,%d,%d,%d", p.Method, p.Q, p.Lambda, p.Index, p.Label,
			p.Pred, p.LogEps, p.Radius, p.RadKL, b2i(p.Pred == p.Label)))
	}
	WriteLines(t, filepath.Join(dir, "points.csv"), strings.Join(tables.PointsHeader, ","), pts)
	if f.Baseline != nil {
		var bs []string
		for _, b := range f.Baseline {
			bs = append(bs, fmt.Sprintf("%s,%d,%d,%s", b.Attack, b.Flips, b.Seed, FF(b.Accuracy)))
		}
		WriteLines(t, filepath.Join(dir, "baseline.csv"), strings.Join(tables.BaselineHeader, ","), bs)
	}
	if f.MC != nil {
		var ms []string
		for _, r := range f.MC {
			ms = append(ms, fmt.Sprintf("%s,%s,%d,%d,%d,%s,%s,%s,%s", r.Q, r.Lambda, r.N, r.Index, r.Wrong, FF(r.Lo), FF(r.Hi), r.LogEps, r.Need))
		}
		WriteLines(t, filepath.Join(dir, "mc_vs_analytic.csv"), strings.Join(tables.MCHeader, ","), ms)
	}
	if f.Attacks != nil {
		var as []string
		for _, a := range f.Attacks {
			as = append(as, fmt.Sprintf("%s,%s,%s,%d,%d,%d", a.Method, a.Q, a.Lambda, a.Index, a.Flips, b2i(a.Proven)))
		}
		WriteLines(t, filepath.Join(dir, "attack.csv"), strings.Join(tables.AttackHeader, ","), as)
	}
	report := map[string]any{"max_flips": f.MaxFlips}
	if f.HeatmapFlips != nil {
		report["heatmap_flips"] = f.HeatmapFlips
	}
	man := map[string]any{
		"name":   f.Name,
		"data":   map[string]any{"n_train": f.NTrain, "n_test": f.NTest, "classes": 2, "source": "synthetic"},
		"report": report,
		"config": map[string]any{"seed": 7},
	}
	if f.Alpha > 0 {
		man["config"] = map[string]any{"seed": 7, "sampler": map[string]any{"enabled": true, "alpha": f.Alpha, "n": f.SampleNs}}
	}
	if f.Costs != nil {
		var cs []map[string]any
		for _, c := range f.Costs {
			m := map[string]any{"method": c.Method, "lambda": c.Lambda, "points": c.Points, "seconds": c.Seconds}
			if c.Q != 0 {
				m["q"] = c.Q
			}
			cs = append(cs, m)
		}
		man["costs"] = cs
	}
	raw, err := json.Marshal(man)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func WriteLines(t testing.TB, path, header string, lines []string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Synthetic builds a plausible experiment: analytic and whitebox at every (q, λ), sampled at N = 200 and 2000 at
// some, ridge-exact at every λ, one DPA, a two-seed baseline, the comparison of the sampled
// predictions with the analytic bound (none contradicting it), an attack on every row (none within
// the radius) and a cost per setting. Radii scale with radiusScale (1 gives MNIST-like radii in the
// hundreds); the rows are deterministic given seed.
func Synthetic(seed uint64, nTest, nTrain, maxFlips int, qs, lambdas []float64, radiusScale float64) Fixture {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	labels := make([]int, nTest)
	hardness := make([]float64, nTest)
	for i := range nTest {
		labels[i] = rng.IntN(2)
		hardness[i] = rng.Float64()
	}
	// λ's effect: radius scale and clean error, best in the middle of the sweep (docs/science.md §7).
	lamScale := func(l float64) (float64, float64) {
		d := math.Log10(l) - 4.5
		return math.Exp(-d * d / 2), 0.02 + 0.03*d*d
	}
	qScale := func(q float64) float64 { return 1100 * math.Sqrt(q) * (1 - 1.6*q) }
	f := Fixture{Name: "synthetic-demo", NTrain: nTrain, NTest: nTest, MaxFlips: maxFlips, HeatmapFlips: []int{0, maxFlips / 8, maxFlips / 4, maxFlips / 2},
		Alpha: 0.001, SampleNs: []int{200, 2000}, MC: []MC{}, Attacks: []Attack{}}
	smoothed := func(method string, q, l float64, jitter float64) {
		s, e := lamScale(l)
		e += 0.3 * q
		for i := range nTest {
			p := Point{Method: method, Q: FF(q), Lambda: FF(l), Index: i, Label: labels[i]}
			u := hardness[i]
			switch {
			case u < e:
				p.Pred = 1 - labels[i]
				p.Radius = int(radiusScale * 40 * rng.Float64())
			case u < e+0.01+0.05*q+jitter/20:
				p.Pred, p.Radius = -1, -1
			default:
				p.Pred = labels[i]
				v := (u - e) / (1 - e)
				r := radiusScale * s * qScale(q) * -math.Log1p(-v*0.999) * (1 + jitter*(rng.Float64()-0.6))
				p.Radius = min(int(r), nTrain)
			}
			if p.Pred == -1 {
				p.RadKL, p.LogEps = -1, FF(math.Log(0.6))
			} else {
				p.RadKL = p.Radius / 2
				p.LogEps = FF(-1 - float64(p.Radius)/40)
			}
			f.Points = append(f.Points, p)
		}
	}
	for _, q := range qs {
		for li, l := range lambdas {
			first := len(f.Points)
			smoothed("analytic", q, l, 0)
			// The white-box rows: the analytic bound, with a radius at least its own.
			for _, p := range f.Points[first : first+nTest] {
				p.Method = "whitebox"
				if p.Pred != -1 {
					p.Radius = min(nTrain, p.Radius+p.Radius/3)
				}
				f.Points = append(f.Points, p)
			}
			if li%2 != 0 {
				continue
			}
			for _, n := range f.SampleNs {
				smoothed("sampled-n"+strconv.Itoa(n), q, l, 0.3)
				f.MC = append(f.MC, MCRows(rng, f.Points[first:first+nTest], n)...)
			}
		}
	}
	for _, l := range lambdas {
		s, e := lamScale(l)
		for i := range nTest {
			p := Point{Method: "ridge-exact", Lambda: FF(l), Index: i, Label: labels[i], Pred: labels[i]}
			if hardness[i] < e {
				p.Pred = 1 - labels[i]
			}
			p.Radius = int(radiusScale * s * 1300 * -math.Log1p(-hardness[i]*0.999))
			p.RadKL = p.Radius
			f.Points = append(f.Points, p)
		}
	}
	for i := range nTest {
		p := Point{Method: "dpa-k1200", Lambda: FF(lambdas[0]), Index: i, Label: labels[i], Pred: labels[i]}
		if hardness[i] < 0.044 {
			p.Pred = 1 - labels[i]
		}
		p.Radius = int(radiusScale * 600 * math.Sqrt(hardness[i]))
		p.RadKL = p.Radius
		f.Points = append(f.Points, p)
	}
	for _, p := range f.Points {
		a := Attack{Method: p.Method, Q: p.Q, Lambda: p.Lambda, Index: p.Index}
		switch u := rng.Float64(); {
		case p.Pred == -1:
		case u < 0.05:
			a.Flips = -1
		case p.Method == "ridge-exact":
			a.Flips, a.Proven = p.Radius+1, true
		default:
			a.Flips, a.Proven = p.Radius+1+int(float64(p.Radius+1)*2*rng.Float64()), u < 0.9
		}
		f.Attacks = append(f.Attacks, a)
		if p.Index == 0 {
			c := Cost{Method: p.Method, Lambda: ParseOr(p.Lambda, 0), Points: nTest, Seconds: 0.01 + rng.Float64()}
			c.Q = ParseOr(p.Q, 0)
			f.Costs = append(f.Costs, c)
		}
	}
	for seed := 1; seed <= 2; seed++ {
		for k := 0; k <= 8; k++ {
			flips := k * maxFlips / 8
			frac := float64(flips) / float64(maxFlips)
			f.Baseline = append(f.Baseline,
				Base{"random", flips, seed, 0.98 - 0.08*frac + 0.01*rng.Float64()},
				Base{"pointwise", flips, seed, 0.97*math.Exp(-2.6*frac) + 0.02*rng.Float64()})
		}
	}
	return f
}

// MCRows compares n sampled predictions with the analytic certificate at the given analytic rows:
// each wrong prediction has probability below the bound, and the interval holds wrong/N with its
// lower end below the bound, so that no row contradicts it.
func MCRows(rng *rand.Rand, analytic []Point, n int) []MC {
	var out []MC
	for _, p := range analytic {
		logEps, _ := strconv.ParseFloat(p.LogEps, 64)
		eps := math.Exp(logEps)
		pw := eps * 0.8 * rng.Float64() * rng.Float64()
		r := MC{Q: p.Q, Lambda: p.Lambda, N: n, Index: p.Index, LogEps: p.LogEps}
		for range n {
			if rng.Float64() < pw {
				r.Wrong++
			}
		}
		frac := float64(r.Wrong) / float64(n)
		if r.Wrong > 0 {
			r.Lo = min(0.3*frac, 0.5*eps)
		}
		r.Hi = min(1, frac+4/float64(n))
		if p.Pred != -1 {
			r.Need = FF(-logEps/math.Ln10 + 0.5*rng.Float64())
		}
		out = append(out, r)
	}
	return out
}

// ParseOr reads a number as the fixture writes it; an empty cell gives absent.
func ParseOr(s string, absent float64) float64 {
	if s == "" {
		return absent
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Small is the fixture most tests render: two q × two λ analytic, sampled at the first λ, ridge-exact
// at both λ, DPA without λ, abstentions, and a baseline with two seeds. Radii are scaled so that the
// curves move within maxFlips = 60 and the summary budgets 100…2000 go past them.
func Small() Fixture {
	return Synthetic(3, 40, 500, 60, []float64{0.05, 0.2}, []float64{300, 3000}, 0.06)
}
