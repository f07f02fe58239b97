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

// fixture is a small experiment output directory written by a test.
type fixture struct {
	name         string
	nTrain       int
	nTest        int
	maxFlips     int
	heatmapFlips []int // nil: leave the manifest's field out
	points       []tPoint
	baseline     []tBase // nil: no baseline.csv
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

// synthetic builds a plausible experiment: analytic at every (q, λ), sampled at some, ridge-exact
// at every λ, one DPA, and a two-seed baseline. Radii scale with radiusScale (1 gives MNIST-like
// radii in the hundreds); the rows are deterministic given seed.
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
	f := fixture{name: "synthetic-demo", nTrain: nTrain, nTest: nTest, maxFlips: maxFlips, heatmapFlips: []int{0, maxFlips / 8, maxFlips / 4, maxFlips / 2}}
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
			smoothed("analytic", q, l, 0)
			if li%2 == 0 {
				smoothed("sampled", q, l, 0.3)
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
