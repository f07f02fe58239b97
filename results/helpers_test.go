package results

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

// tPoint is one row of points.csv as a test writes it.
type tPoint struct {
	method        string
	q, lambda     string // exactly as written; empty when absent
	index, label  int
	pred          int
	logEps        string
	radius, radKL int
}

// tBase is one row of baseline.csv.
type tBase struct {
	attack   string
	flips    int
	seed     int
	accuracy float64
}

// tMC is one row of mc_vs_analytic.csv.
type tMC struct {
	q, lambda    string
	n, index     int
	wrong        int
	lo, hi       float64
	logEps, need string // exactly as written; need empty when the analytic certificate abstains
}

// tAttack is one row of attack.csv.
type tAttack struct {
	method, q, lambda string
	index, flips      int
	proven            bool
}

// tCost is one cost record of the manifest.
type tCost struct {
	method    string
	q, lambda float64 // q 0 for unsmoothed methods, left out of the JSON
	points    int
	seconds   float64
}

// fixture is a small experiment output directory written by a test.
type fixture struct {
	name         string
	nTrain       int
	nTest        int
	maxFlips     int
	heatmapFlips []int // nil: leave the manifest's field out
	points       []tPoint
	baseline     []tBase   // nil: no baseline.csv
	mc           []tMC     // nil: no mc_vs_analytic.csv
	attacks      []tAttack // nil: no attack.csv
	costs        []tCost   // nil: no costs in the manifest
	alpha        float64   // the config's sampler.alpha; 0: no sampler section
	sampleNs     []int     // the config's sampler.n
}

func ff(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// settingKey names a (method, q, λ) as the test sees it.
func (p tPoint) settingKey() string { return p.method + "|" + p.q + "|" + p.lambda }

// certAccRows computes certified_accuracy.csv plainly from the rows: for each setting and radius
// kind, for each r, the count of correct rows with radius ≥ r over the setting's row count.
func (f fixture) certAccRows() []string {
	var order []string
	bySetting := map[string][]tPoint{}
	for _, p := range f.points {
		k := p.settingKey()
		if _, ok := bySetting[k]; !ok {
			order = append(order, k)
		}
		bySetting[k] = append(bySetting[k], p)
	}
	var out []string
	for _, k := range order {
		ps := bySetting[k]
		kinds := []string{"np", "kl"}
		if ps[0].q == "" {
			kinds = []string{"exact"}
		}
		for _, kind := range kinds {
			for r := 0; r <= f.maxFlips; r++ {
				n := 0
				for _, p := range ps {
					rad := p.radius
					if kind == "kl" {
						rad = p.radKL
					}
					if p.pred == p.label && rad >= r {
						n++
					}
				}
				out = append(out, fmt.Sprintf("%s,%s,%s,%s,%d,%s", ps[0].method, kind, ps[0].q, ps[0].lambda, r,
					ff(float64(n)/float64(len(ps)))))
			}
		}
	}
	return out
}

// write writes the fixture's files into dir.
func (f fixture) write(t testing.TB, dir string) {
	t.Helper()
	var pts []string
	for _, p := range f.points {
		pts = append(pts, fmt.Sprintf("%s,%s,%s,%d,%d,%d,%s,%d,%d,%d", p.method, p.q, p.lambda, p.index, p.label,
			p.pred, p.logEps, p.radius, p.radKL, b2i(p.pred == p.label)))
	}
	writeLines(t, filepath.Join(dir, "points.csv"), strings.Join(tables.PointsHeader, ","), pts)
	if f.baseline != nil {
		var bs []string
		for _, b := range f.baseline {
			bs = append(bs, fmt.Sprintf("%s,%d,%d,%s", b.attack, b.flips, b.seed, ff(b.accuracy)))
		}
		writeLines(t, filepath.Join(dir, "baseline.csv"), strings.Join(tables.BaselineHeader, ","), bs)
	}
	if f.mc != nil {
		var ms []string
		for _, r := range f.mc {
			ms = append(ms, fmt.Sprintf("%s,%s,%d,%d,%d,%s,%s,%s,%s", r.q, r.lambda, r.n, r.index, r.wrong, ff(r.lo), ff(r.hi), r.logEps, r.need))
		}
		writeLines(t, filepath.Join(dir, "mc_vs_analytic.csv"), strings.Join(tables.MCHeader, ","), ms)
	}
	if f.attacks != nil {
		var as []string
		for _, a := range f.attacks {
			as = append(as, fmt.Sprintf("%s,%s,%s,%d,%d,%d", a.method, a.q, a.lambda, a.index, a.flips, b2i(a.proven)))
		}
		writeLines(t, filepath.Join(dir, "attack.csv"), strings.Join(tables.AttackHeader, ","), as)
	}
	report := map[string]any{"max_flips": f.maxFlips}
	if f.heatmapFlips != nil {
		report["heatmap_flips"] = f.heatmapFlips
	}
	man := map[string]any{
		"name":   f.name,
		"data":   map[string]any{"n_train": f.nTrain, "n_test": f.nTest, "classes": 2, "source": "synthetic"},
		"report": report,
		"config": map[string]any{"seed": 7},
	}
	if f.alpha > 0 {
		man["config"] = map[string]any{"seed": 7, "sampler": map[string]any{"enabled": true, "alpha": f.alpha, "n": f.sampleNs}}
	}
	if f.costs != nil {
		var cs []map[string]any
		for _, c := range f.costs {
			m := map[string]any{"method": c.method, "lambda": c.lambda, "points": c.points, "seconds": c.seconds}
			if c.q != 0 {
				m["q"] = c.q
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

func writeLines(t testing.TB, path, header string, lines []string) {
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

// synthetic builds a plausible experiment: analytic at every (q, λ), sampled at N = 200 and 2000 at
// some, ridge-exact at every λ, one DPA, a two-seed baseline, the comparison of the sampled
// predictions with the analytic bound (none contradicting it), an attack on every row (none within
// the radius) and a cost per setting. Radii scale with radiusScale (1 gives MNIST-like radii in the
// hundreds); the rows are deterministic given seed.
func synthetic(seed uint64, nTest, nTrain, maxFlips int, qs, lambdas []float64, radiusScale float64) fixture {
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
	f := fixture{name: "synthetic-demo", nTrain: nTrain, nTest: nTest, maxFlips: maxFlips, heatmapFlips: []int{0, maxFlips / 8, maxFlips / 4, maxFlips / 2},
		alpha: 0.001, sampleNs: []int{200, 2000}, mc: []tMC{}, attacks: []tAttack{}}
	smoothed := func(method string, q, l float64, jitter float64) {
		s, e := lamScale(l)
		e += 0.3 * q
		for i := range nTest {
			p := tPoint{method: method, q: ff(q), lambda: ff(l), index: i, label: labels[i]}
			u := hardness[i]
			switch {
			case u < e:
				p.pred = 1 - labels[i]
				p.radius = int(radiusScale * 40 * rng.Float64())
			case u < e+0.01+0.05*q+jitter/20:
				p.pred, p.radius = -1, -1
			default:
				p.pred = labels[i]
				v := (u - e) / (1 - e)
				r := radiusScale * s * qScale(q) * -math.Log1p(-v*0.999) * (1 + jitter*(rng.Float64()-0.6))
				p.radius = min(int(r), nTrain)
			}
			if p.pred == -1 {
				p.radKL, p.logEps = -1, ff(math.Log(0.6))
			} else {
				p.radKL = p.radius / 2
				p.logEps = ff(-1 - float64(p.radius)/40)
			}
			f.points = append(f.points, p)
		}
	}
	for _, q := range qs {
		for li, l := range lambdas {
			first := len(f.points)
			smoothed("analytic", q, l, 0)
			if li%2 != 0 {
				continue
			}
			for _, n := range f.sampleNs {
				smoothed("sampled-n"+strconv.Itoa(n), q, l, 0.3)
				f.mc = append(f.mc, mcRows(rng, f.points[first:first+nTest], n)...)
			}
		}
	}
	for _, l := range lambdas {
		s, e := lamScale(l)
		for i := range nTest {
			p := tPoint{method: "ridge-exact", lambda: ff(l), index: i, label: labels[i], pred: labels[i]}
			if hardness[i] < e {
				p.pred = 1 - labels[i]
			}
			p.radius = int(radiusScale * s * 1300 * -math.Log1p(-hardness[i]*0.999))
			p.radKL = p.radius
			f.points = append(f.points, p)
		}
	}
	for i := range nTest {
		p := tPoint{method: "dpa-k1200", lambda: ff(lambdas[0]), index: i, label: labels[i], pred: labels[i]}
		if hardness[i] < 0.044 {
			p.pred = 1 - labels[i]
		}
		p.radius = int(radiusScale * 600 * math.Sqrt(hardness[i]))
		p.radKL = p.radius
		f.points = append(f.points, p)
	}
	for _, p := range f.points {
		a := tAttack{method: p.method, q: p.q, lambda: p.lambda, index: p.index}
		switch u := rng.Float64(); {
		case p.pred == -1:
		case u < 0.05:
			a.flips = -1
		case p.method == "ridge-exact":
			a.flips, a.proven = p.radius+1, true
		default:
			a.flips, a.proven = p.radius+1+int(float64(p.radius+1)*2*rng.Float64()), u < 0.9
		}
		f.attacks = append(f.attacks, a)
		if p.index == 0 {
			c := tCost{method: p.method, lambda: parseOr(p.lambda, 0), points: nTest, seconds: 0.01 + rng.Float64()}
			c.q = parseOr(p.q, 0)
			f.costs = append(f.costs, c)
		}
	}
	for seed := 1; seed <= 2; seed++ {
		for k := 0; k <= 8; k++ {
			flips := k * maxFlips / 8
			frac := float64(flips) / float64(maxFlips)
			f.baseline = append(f.baseline,
				tBase{"random", flips, seed, 0.98 - 0.08*frac + 0.01*rng.Float64()},
				tBase{"pointwise", flips, seed, 0.97*math.Exp(-2.6*frac) + 0.02*rng.Float64()})
		}
	}
	return f
}

// mcRows compares n sampled predictions with the analytic certificate at the given analytic rows:
// each wrong prediction has probability below the bound, and the interval holds wrong/N with its
// lower end below the bound, so that no row contradicts it.
func mcRows(rng *rand.Rand, analytic []tPoint, n int) []tMC {
	var out []tMC
	for _, p := range analytic {
		logEps, _ := strconv.ParseFloat(p.logEps, 64)
		eps := math.Exp(logEps)
		pw := eps * 0.8 * rng.Float64() * rng.Float64()
		r := tMC{q: p.q, lambda: p.lambda, n: n, index: p.index, logEps: p.logEps}
		for range n {
			if rng.Float64() < pw {
				r.wrong++
			}
		}
		frac := float64(r.wrong) / float64(n)
		if r.wrong > 0 {
			r.lo = min(0.3*frac, 0.5*eps)
		}
		r.hi = min(1, frac+4/float64(n))
		if p.pred != -1 {
			r.need = ff(-logEps/math.Ln10 + 0.5*rng.Float64())
		}
		out = append(out, r)
	}
	return out
}
