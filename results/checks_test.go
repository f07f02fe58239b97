package results

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"flipcert/internal/runfixture"

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
		return runfixture.FF(s[len(s)/2])
	}
	return runfixture.FF((s[len(s)/2-1] + s[len(s)/2]) / 2)
}

// TestMCCheckMatchesRecomputation recounts mc_check.csv from the fixture's comparison rows.
func TestMCCheckMatchesRecomputation(t *testing.T) {
	f := runfixture.Small()
	// One contradiction: a certified point whose samples are mostly wrong.
	for i, r := range f.MC {
		if r.Need != "" && r.N == 200 {
			f.MC[i].Wrong, f.MC[i].Lo, f.MC[i].Hi = 100, 0.4, 0.6
			break
		}
	}
	dir := tablesOnly(t, f)

	type key struct {
		q, lambda float64
		n         int
	}
	groups := map[key][]runfixture.MC{}
	for _, r := range f.MC {
		k := key{runfixture.ParseOr(r.Q, 0), runfixture.ParseOr(r.Lambda, 0), r.N}
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
			logEps, _ := strconv.ParseFloat(r.LogEps, 64)
			if r.Wrong > 0 {
				observed++
			}
			if r.Lo > math.Exp(logEps) {
				contra++
			}
			if r.Need != "" {
				v, _ := strconv.ParseFloat(r.Need, 64)
				certified++
				needs = append(needs, v)
				if math.Pow(10, v) <= float64(k.n) {
					within++
				}
			}
		}
		total += contra
		want = append(want, []string{runfixture.FF(k.q), runfixture.FF(k.lambda), strconv.Itoa(k.n), strconv.Itoa(len(groups[k])),
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
	f := runfixture.Small()
	half := f.Costs[0]
	half.Points, half.Seconds = 15, 0.25
	f.Costs[0].Points -= 15
	f.Costs = append(f.Costs, half)
	dir := tablesOnly(t, f)

	type key struct {
		method    string
		q, lambda float64
	}
	points, seconds := map[key]int{}, map[key]float64{}
	var keys []key
	for _, c := range f.Costs {
		k := key{c.Method, c.Q, c.Lambda}
		if _, ok := points[k]; !ok {
			keys = append(keys, k)
		}
		points[k] += c.Points
		seconds[k] += c.Seconds
	}
	slices.SortFunc(keys, func(a, b key) int {
		return cmp.Or(cmp.Compare(methodOrder(a.method), methodOrder(b.method)), cmp.Compare(a.q, b.q), cmp.Compare(a.lambda, b.lambda))
	})
	want := [][]string{{"method", "q", "lambda", "points", "seconds", "seconds_per_point"}}
	for _, k := range keys {
		q := ""
		if k.q != 0 {
			q = runfixture.FF(k.q)
		}
		want = append(want, []string{k.method, q, runfixture.FF(k.lambda), strconv.Itoa(points[k]), runfixture.FF(seconds[k]), runfixture.FF(seconds[k] / float64(points[k]))})
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
	f := runfixture.Small()
	radius := map[string]runfixture.Point{}
	for _, p := range f.Points {
		radius[p.SettingKey()+"|"+strconv.Itoa(p.Index)] = p
	}
	for i, a := range f.Attacks {
		if p := radius[a.Method+"|"+a.Q+"|"+a.Lambda+"|"+strconv.Itoa(a.Index)]; a.Method == "dpa-k1200" && p.Radius > 0 && p.Pred == p.Label {
			f.Attacks[i].Flips = p.Radius
			break
		}
	}
	dir := tablesOnly(t, f)

	type stat struct {
		first                                                 runfixture.Attack
		points, correct, attacked, unattacked, proven, broken int
		sizes, ratios                                         []float64
	}
	stats := map[string]*stat{}
	var keys []string
	for _, a := range f.Attacks {
		k := a.Method + "|" + a.Q + "|" + a.Lambda
		s := stats[k]
		if s == nil {
			s = &stat{first: a}
			stats[k] = s
			keys = append(keys, k)
		}
		p := radius[k+"|"+strconv.Itoa(a.Index)]
		s.points++
		if p.Radius >= 0 && a.Flips >= 0 && a.Flips <= p.Radius {
			s.broken++
		}
		if p.Pred != p.Label {
			continue
		}
		s.correct++
		if a.Flips == -1 {
			s.unattacked++
			continue
		}
		s.attacked++
		if a.Proven {
			s.proven++
		}
		s.sizes = append(s.sizes, float64(a.Flips))
		s.ratios = append(s.ratios, float64(a.Flips)/float64(p.Radius+1))
	}
	slices.SortFunc(keys, func(a, b string) int {
		x, y := stats[a].first, stats[b].first
		return cmp.Or(cmp.Compare(methodOrder(x.Method), methodOrder(y.Method)), cmp.Compare(runfixture.ParseOr(x.Q, -1), runfixture.ParseOr(y.Q, -1)),
			cmp.Compare(runfixture.ParseOr(x.Lambda, 0), runfixture.ParseOr(y.Lambda, 0)))
	})
	want := [][]string{{"method", "q", "lambda", "points", "correct", "attacked", "unattacked", "proven", "median_attack", "median_ratio", "violations"}}
	broken := 0
	for _, k := range keys {
		s := stats[k]
		broken += s.broken
		want = append(want, []string{s.first.Method, s.first.Q, s.first.Lambda, strconv.Itoa(s.points), strconv.Itoa(s.correct),
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
	f := runfixture.Small()
	dir := t.TempDir()
	f.Write(t, dir)
	a, err := Analyze(dir)
	if err != nil {
		t.Fatal(err)
	}
	flips := map[string]int{}
	for _, a := range f.Attacks {
		flips[a.Method+"|"+a.Q+"|"+a.Lambda+"|"+strconv.Itoa(a.Index)] = a.Flips
	}
	sawNone := false
	for _, s := range a.Curves {
		if s.okAttack == nil {
			t.Fatalf("%s has no attacks", settingName(s.Setting))
		}
		xs, ys := stepsOf(s.okAttack, s.n, f.NTrain)
		for r := 0; r <= f.NTrain; r++ {
			c := 0
			for _, p := range f.Points {
				if p.Method != s.Method.String() || p.Lambda != runfixture.FF(s.Lambda) || (p.Q != "" && p.Q != runfixture.FF(s.Q)) || p.Pred != p.Label {
					continue
				}
				a := flips[p.SettingKey()+"|"+strconv.Itoa(p.Index)]
				sawNone = sawNone || a == -1
				if a == -1 || a > r {
					c++
				}
			}
			want := float64(c) / float64(s.n)
			if got := s.AttackAcc(r); got != want {
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

// TestInconsistentAttacks expects attack.csv rows that do not match points.csv, and bad cost
// records, to be reported as errors naming the file.
func TestInconsistentAttacks(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(f *runfixture.Fixture)
		want string
	}{
		{"unknown point", func(f *runfixture.Fixture) { f.Attacks[0].Index = 999 }, "attack.csv: analytic q=0.05 lambda=300 index 999: no such test point"},
		{"unknown setting", func(f *runfixture.Fixture) { f.Attacks[0].Lambda = "7" }, "attack.csv: analytic q=0.05 lambda=7: no such method"},
		{"partial", func(f *runfixture.Fixture) { f.Attacks = f.Attacks[1:] }, "attack.csv: analytic q=0.05 lambda=300: attacks for 39 of its 40 test points"},
		{"cost method", func(f *runfixture.Fixture) { f.Costs[0].Method = "magic" }, `manifest.json: costs: unknown method "magic"`},
		{"cost points", func(f *runfixture.Fixture) { f.Costs[0].Points = 0 }, "manifest.json: costs: analytic: 0 points"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := runfixture.Small()
			tc.edit(&f)
			dir := t.TempDir()
			f.Write(t, dir)
			if err := WriteTables(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestTimeAddsUpToTheWall: the time table lists the manifest's stages, then
// the rest of the wall time as other, and a total equal to the wall time.
func TestTimeAddsUpToTheWall(t *testing.T) {
	f := runfixture.Small()
	dir := t.TempDir()
	f.Write(t, dir)
	path := filepath.Join(dir, "manifest.json")
	var man map[string]any
	raw, _ := os.ReadFile(path)
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	man["started"], man["finished"] = "2026-01-02T03:04:05Z", "2026-01-02T03:05:45Z" // 100 s
	man["stages"] = []map[string]any{{"name": "load data", "seconds": 2.5}, {"name": "λ=1: kernel vectors", "seconds": 60}, {"name": "λ=1: attacks", "seconds": 30}}
	raw, _ = json.Marshal(man)
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	a, err := Analyze(dir)
	if err != nil {
		t.Fatal(err)
	}
	recs := timeRecords(a.Manifest, fmtExact)
	want := [][]string{{"stage", "seconds", "share"}, {"load data", "2.5", "0.025"}, {"λ=1: kernel vectors", "60", "0.6"},
		{"λ=1: attacks", "30", "0.3"}, {"other", "7.5", "0.075"}, {"total", "100", "1"}}
	if fmt.Sprint(recs) != fmt.Sprint(want) {
		t.Errorf("time table %v, want %v", recs, want)
	}
	if err := a.WriteTables(dir); err != nil {
		t.Fatal(err)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	if !bytes.Contains(md, []byte("| other | 7.5 | 0.075 |")) {
		t.Error("summary.md lacks the time section's other row")
	}
}
