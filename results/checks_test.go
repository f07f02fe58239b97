package results

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats/scalar"
)

// checkRecords compares CSV records with wanted ones: the first textCols columns exactly, the
// others as numbers within a relative 1e-13 (an empty cell only with an empty cell).
func checkRecords(t *testing.T, file string, got, want [][]string, textCols int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d records, want %d", file, len(got), len(want))
	}
	if !slices.Equal(got[0], want[0]) {
		t.Fatalf("%s: header %q, want %q", file, got[0], want[0])
	}
	for i := 1; i < len(want); i++ {
		for j := range want[i] {
			g, w := got[i][j], want[i][j]
			if j < textCols || g == "" || w == "" {
				if g != w {
					t.Errorf("%s row %d %s: %q, want %q", file, i, want[0][j], g, w)
				}
				continue
			}
			gv, err1 := strconv.ParseFloat(g, 64)
			wv, err2 := strconv.ParseFloat(w, 64)
			if err1 != nil || err2 != nil || !scalar.EqualWithinAbsOrRel(gv, wv, 1e-13, 1e-13) {
				t.Errorf("%s row %d %s: %q, want %q", file, i, want[0][j], g, w)
			}
		}
	}
}

// plainMedian is the middle value of a copy of v, the mean of the two middle ones for an even count.
func plainMedian(v []float64) string {
	if len(v) == 0 {
		return ""
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return ff(s[len(s)/2])
	}
	return ff((s[len(s)/2-1] + s[len(s)/2]) / 2)
}

// TestMCCheckMatchesRecomputation recounts mc_check.csv from the fixture's comparison rows.
func TestMCCheckMatchesRecomputation(t *testing.T) {
	f := small()
	// One contradiction: a certified point whose samples are mostly wrong.
	for i, r := range f.mc {
		if r.need != "" && r.n == 200 {
			f.mc[i].wrong, f.mc[i].lo, f.mc[i].hi = 100, 0.4, 0.6
			break
		}
	}
	dir := tablesOnly(t, f)

	type key struct {
		q, lambda float64
		n         int
	}
	groups := map[key][]tMC{}
	for _, r := range f.mc {
		k := key{parseOr(r.q, 0), parseOr(r.lambda, 0), r.n}
		groups[k] = append(groups[k], r)
	}
	var keys []key
	for k := range groups {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.q, b.q), cmp.Compare(a.lambda, b.lambda), cmp.Compare(a.n, b.n))
	})
	want := [][]string{{"q", "lambda", "n", "points", "observed", "contradictions", "certified", "within_n", "median_log10_samples_needed"}}
	total := 0
	for _, k := range keys {
		observed, contra, certified, within := 0, 0, 0, 0
		var needs []float64
		for _, r := range groups[k] {
			logEps, _ := strconv.ParseFloat(r.logEps, 64)
			if r.wrong > 0 {
				observed++
			}
			if r.lo > math.Exp(logEps) {
				contra++
			}
			if r.need != "" {
				v, _ := strconv.ParseFloat(r.need, 64)
				certified++
				needs = append(needs, v)
				if math.Pow(10, v) <= float64(k.n) {
					within++
				}
			}
		}
		total += contra
		want = append(want, []string{ff(k.q), ff(k.lambda), strconv.Itoa(k.n), strconv.Itoa(len(groups[k])),
			strconv.Itoa(observed), strconv.Itoa(contra), strconv.Itoa(certified), strconv.Itoa(within), plainMedian(needs)})
	}
	if total != 1 {
		t.Fatalf("fixture has %d contradictions, want 1", total)
	}
	checkRecords(t, "mc_check.csv", readCSVFile(t, filepath.Join(dir, "mc_check.csv")), want, 3)
	sawWithin := false
	for _, w := range want[1:] {
		sawWithin = sawWithin || w[7] != "0"
	}
	if !sawWithin {
		t.Error("no point of the fixture is within reach of its N: the within_n check is vacuous")
	}
}

// TestCostsMatchRecomputation sums the manifest's cost records per method, q and λ, one of them
// split in two records.
func TestCostsMatchRecomputation(t *testing.T) {
	f := small()
	half := f.costs[0]
	half.points, half.seconds = 15, 0.25
	f.costs[0].points -= 15
	f.costs = append(f.costs, half)
	dir := tablesOnly(t, f)

	type key struct {
		method    string
		q, lambda float64
	}
	points, seconds := map[key]int{}, map[key]float64{}
	var keys []key
	for _, c := range f.costs {
		k := key{c.method, c.q, c.lambda}
		if _, ok := points[k]; !ok {
			keys = append(keys, k)
		}
		points[k] += c.points
		seconds[k] += c.seconds
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(methodOrder(a.method), methodOrder(b.method)), cmp.Compare(a.q, b.q), cmp.Compare(a.lambda, b.lambda))
	})
	want := [][]string{{"method", "q", "lambda", "points", "seconds", "seconds_per_point"}}
	for _, k := range keys {
		q := ""
		if k.q != 0 {
			q = ff(k.q)
		}
		want = append(want, []string{k.method, q, ff(k.lambda), strconv.Itoa(points[k]), ff(seconds[k]), ff(seconds[k] / float64(points[k]))})
	}
	checkRecords(t, "costs.csv", readCSVFile(t, filepath.Join(dir, "costs.csv")), want, 4)
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	if !bytes.Contains(md, []byte("\n## Cost\n")) || !bytes.Contains(md, []byte("| sampled-n2000 | 0.05 | 300 | 40 |")) {
		t.Error("summary.md lacks the cost table or its sampled-n2000 row")
	}
}

// TestAttackSummaryMatchesRecomputation computes the attack summary directly from the fixture's
// points and attacks, with one attack shrunk to its point's radius.
func TestAttackSummaryMatchesRecomputation(t *testing.T) {
	f := small()
	radius := map[string]tPoint{}
	for _, p := range f.points {
		radius[p.settingKey()+"|"+strconv.Itoa(p.index)] = p
	}
	for i, a := range f.attacks {
		if p := radius[a.method+"|"+a.q+"|"+a.lambda+"|"+strconv.Itoa(a.index)]; a.method == "dpa-k1200" && p.radius > 0 && p.pred == p.label {
			f.attacks[i].flips = p.radius
			break
		}
	}
	dir := tablesOnly(t, f)

	type stat struct {
		first                                                 tAttack
		points, correct, attacked, unattacked, proven, broken int
		sizes, ratios                                         []float64
	}
	stats := map[string]*stat{}
	var keys []string
	for _, a := range f.attacks {
		k := a.method + "|" + a.q + "|" + a.lambda
		s := stats[k]
		if s == nil {
			s = &stat{first: a}
			stats[k] = s
			keys = append(keys, k)
		}
		p := radius[k+"|"+strconv.Itoa(a.index)]
		s.points++
		if p.radius >= 0 && a.flips >= 0 && a.flips <= p.radius {
			s.broken++
		}
		if p.pred != p.label {
			continue
		}
		s.correct++
		if a.flips == -1 {
			s.unattacked++
			continue
		}
		s.attacked++
		if a.proven {
			s.proven++
		}
		s.sizes = append(s.sizes, float64(a.flips))
		s.ratios = append(s.ratios, float64(a.flips)/float64(p.radius+1))
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, y := stats[a].first, stats[b].first
		return cmp.Or(cmp.Compare(methodOrder(x.method), methodOrder(y.method)), cmp.Compare(parseOr(x.q, -1), parseOr(y.q, -1)),
			cmp.Compare(parseOr(x.lambda, 0), parseOr(y.lambda, 0)))
	})
	want := [][]string{{"method", "q", "lambda", "points", "correct", "attacked", "unattacked", "proven", "median_attack", "median_ratio", "violations"}}
	broken := 0
	for _, k := range keys {
		s := stats[k]
		broken += s.broken
		want = append(want, []string{s.first.method, s.first.q, s.first.lambda, strconv.Itoa(s.points), strconv.Itoa(s.correct),
			strconv.Itoa(s.attacked), strconv.Itoa(s.unattacked), strconv.Itoa(s.proven), plainMedian(s.sizes), plainMedian(s.ratios),
			strconv.Itoa(s.broken)})
	}
	if broken != 1 {
		t.Fatalf("fixture has %d violations, want 1", broken)
	}
	checkRecords(t, "attack_summary.csv", readCSVFile(t, filepath.Join(dir, "attack_summary.csv")), want, 3)
	for _, w := range want[1:] {
		if w[0] == "ridge-exact" && w[9] != "1" {
			t.Errorf("ridge-exact at λ=%s: median ratio %s, want 1 (attack = radius + 1)", w[2], w[9])
		}
	}
}

// TestTightnessCurves checks the accuracy under attack, and the step curve drawn for it, against
// a brute-force count at every budget up to the training-set size.
func TestTightnessCurves(t *testing.T) {
	f := small()
	dir := t.TempDir()
	f.write(t, dir)
	in, err := readInputs(dir)
	if err != nil {
		t.Fatal(err)
	}
	flips := map[string]int{}
	for _, a := range f.attacks {
		flips[a.method+"|"+a.q+"|"+a.lambda+"|"+strconv.Itoa(a.index)] = a.flips
	}
	sawNone := false
	for _, s := range in.sets {
		if s.okAttack == nil {
			t.Fatalf("%s has no attacks", settingName(s.Setting))
		}
		xs, ys := stepsOf(s.okAttack, s.n, f.nTrain)
		for r := 0; r <= f.nTrain; r++ {
			c := 0
			for _, p := range f.points {
				if p.method != s.Method.String() || p.lambda != ff(s.Lambda) || (p.q != "" && p.q != ff(s.Q)) || p.pred != p.label {
					continue
				}
				a := flips[p.settingKey()+"|"+strconv.Itoa(p.index)]
				sawNone = sawNone || a == -1
				if a == -1 || a > r {
					c++
				}
			}
			want := float64(c) / float64(s.n)
			if got := s.attackAcc(r); got != want {
				t.Fatalf("%s: accuracy under attack at %d is %v, want %v", settingName(s.Setting), r, got, want)
			}
			i := len(xs) - 1
			for xs[i] > r {
				i--
			}
			if ys[i] != want {
				t.Fatalf("%s: drawn curve at %d is %v, want %v", settingName(s.Setting), r, ys[i], want)
			}
		}
	}
	if !sawNone {
		t.Error("fixture has no point without an attack: the flips = -1 case is untested")
	}
}

// TestFailedChecksAreReported renders a fixture with one contradiction and one attack within the
// radius, and expects both stated loudly in summary.md and the report, with the offending rows.
func TestFailedChecksAreReported(t *testing.T) {
	f := small()
	var bad tMC
	for i, r := range f.mc {
		if r.need != "" && r.n == 2000 {
			f.mc[i].wrong, f.mc[i].lo, f.mc[i].hi = 1000, 0.45, 0.55
			bad = f.mc[i]
			break
		}
	}
	var broken tAttack
	for i, a := range f.attacks {
		p := f.points[i] // attacks follow the points row by row
		if a.method == "analytic" && p.pred == p.label && p.radius > 3 {
			f.attacks[i].flips = 3
			broken = f.attacks[i]
			break
		}
	}
	dir := render(t, f)
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, want := range []string{
		"**⚠ CONTRADICTIONS: 1 of the ",
		fmt.Sprintf("| %s | %s | 2000 | %d | 1000 | 0.45 | %s |", bad.q, bad.lambda, bad.index, bad.logEps),
		"**⚠ VIOLATIONS: 1 of the ",
		fmt.Sprintf("| analytic | %s | %s | %d |", broken.q, broken.lambda, broken.index),
	} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	if n := bytes.Count(page, []byte(`<p class="alert">`)); n != 2 {
		t.Errorf("report has %d alerts, want 2", n)
	}
	svg, _ := os.ReadFile(filepath.Join(dir, "sampled_vs_analytic.svg"))
	if !bytes.Contains(svg, []byte(">(b) contradiction</text>")) {
		t.Error("panel (b) does not mark the contradiction")
	}

	// A clean run says so plainly.
	dir = render(t, small())
	md, _ = os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, want := range []string{"\nNo contradictions: in none of the ", "\nNo violations: in all "} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("clean summary.md lacks %q", want)
		}
	}
}

// TestExplainSection puts pictures in DIR/explain and expects the report to show each with a
// caption from its name and its row.
func TestExplainSection(t *testing.T) {
	f := small()
	dir := t.TempDir()
	f.write(t, dir)
	var p tPoint
	for _, q := range f.points {
		if q.method == "analytic" && q.q == "0.05" && q.lambda == "300" && q.index == 3 {
			p = q
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "explain"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"analytic-q0.05-lambda300-3.png", "scratch.png", "analytic-q0.05-lambda300-3.csv", "ridge-exact-lambda300-999.png"} {
		os.WriteFile(filepath.Join(dir, "explain", name), []byte("\x89PNG\r\n\x1a\n"), 0o644)
	}
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	refs := checkReportRefs(t, dir)
	var pics []string
	for _, r := range refs {
		if strings.HasPrefix(r, "explain/") {
			pics = append(pics, r)
		}
	}
	if want := []string{"explain/analytic-q0.05-lambda300-3.png", "explain/ridge-exact-lambda300-999.png", "explain/scratch.png"}; !slices.Equal(pics, want) {
		t.Errorf("report shows %q, want %q", pics, want)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{
		fmt.Sprintf("<figcaption>analytic, q=0.05, λ=300, test point 3: true class %d, ", p.label),
		"<figcaption>ridge-exact, λ=300, test point 999 (not in points.csv).</figcaption>",
		"<figcaption>scratch.png</figcaption>",
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestPlainSampledName renders a run with one N, named plain "sampled": the legend takes N from
// the config.
func TestPlainSampledName(t *testing.T) {
	f := small()
	f.sampleNs = []int{2000}
	var pts []tPoint
	for _, p := range f.points {
		switch p.method {
		case "sampled-n200":
			continue
		case "sampled-n2000":
			p.method = "sampled"
		}
		pts = append(pts, p)
	}
	f.points = pts
	var mc []tMC
	for _, r := range f.mc {
		if r.n == 2000 {
			mc = append(mc, r)
		}
	}
	f.mc = mc
	f.attacks, f.costs = nil, nil
	dir := render(t, f)
	svg, _ := os.ReadFile(filepath.Join(dir, "sampled_vs_analytic.svg"))
	for _, want := range []string{">sampled, N=2000</text>", ">largest N run: 2000</text>"} {
		if n := bytes.Count(svg, []byte(want)); n != 1 {
			t.Errorf("%q appears %d times, want 1", want, n)
		}
	}
}

// TestInconsistentAttacks expects attack.csv rows that do not match points.csv, and bad cost
// records, to be reported as errors naming the file.
func TestInconsistentAttacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *fixture)
		want string
	}{
		{"unknown point", func(f *fixture) { f.attacks[0].index = 999 }, "attack.csv: analytic q=0.05 lambda=300 index 999: no such test point"},
		{"unknown setting", func(f *fixture) { f.attacks[0].lambda = "7" }, "attack.csv: analytic q=0.05 lambda=7: no such method"},
		{"partial", func(f *fixture) { f.attacks = f.attacks[1:] }, "attack.csv: analytic q=0.05 lambda=300: attacks for 39 of its 40 test points"},
		{"cost method", func(f *fixture) { f.costs[0].method = "magic" }, `manifest.json: costs: unknown method "magic"`},
		{"cost points", func(f *fixture) { f.costs[0].points = 0 }, "manifest.json: costs: analytic: 0 points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := small()
			tc.edit(&f)
			dir := t.TempDir()
			f.write(t, dir)
			if err := Render(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
