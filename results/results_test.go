package results

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"flipcert/tables"

	"gonum.org/v1/gonum/floats/scalar"
)

// small is the fixture most tests render: two q × two λ analytic, sampled at the first λ, ridge-exact
// at both λ, DPA without λ, abstentions, and a baseline with two seeds. Radii are scaled so that the
// curves move within maxFlips = 60 and the summary budgets 100…2000 go past them.
func small() fixture {
	return synthetic(3, 40, 500, 60, []float64{0.05, 0.2}, []float64{300, 3000}, 0.06)
}

func render(t *testing.T, f fixture) string {
	t.Helper()
	dir := t.TempDir()
	f.write(t, dir)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// tablesOnly writes f and derives its tables alone (WriteTables), for tests of the numbers.
func tablesOnly(t *testing.T, f fixture) string {
	t.Helper()
	dir := t.TempDir()
	f.write(t, dir)
	if err := WriteTables(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func readCSVFile(t *testing.T, path string) [][]string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// methodOrder is the table order of a method name: analytic, sampled by N, ridge-exact, dpa by k.
func methodOrder(m string) int {
	const kind = 1 << 40
	switch m {
	case "analytic":
		return 0
	case "sampled":
		return kind
	case "ridge-exact":
		return 2 * kind
	}
	if n, ok := strings.CutPrefix(m, "sampled-n"); ok {
		k, _ := strconv.Atoi(n)
		return kind + k
	}
	k, _ := strconv.Atoi(strings.TrimPrefix(m, "dpa-k"))
	return 3*kind + k
}

func parseOr(s string, absent float64) float64 {
	if s == "" {
		return absent
	}
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

func TestSummaryMatchesRecomputation(t *testing.T) {
	f := small()
	dir := tablesOnly(t, f)

	// Recompute every summary row from the rows the fixture wrote.
	groups := map[string][]tPoint{}
	var keys []string
	for _, p := range f.points {
		k := p.settingKey()
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	slices.SortFunc(keys, func(a, b string) int {
		pa, pb := groups[a][0], groups[b][0]
		if d := cmp.Compare(methodOrder(pa.method), methodOrder(pb.method)); d != 0 {
			return d
		}
		if qa, qb := parseOr(pa.q, -1), parseOr(pb.q, -1); qa != qb {
			return map[bool]int{true: -1, false: 1}[qa < qb]
		}
		la, lb := parseOr(pa.lambda, -1), parseOr(pb.lambda, -1)
		return map[bool]int{true: -1, false: 1}[la < lb]
	})
	var want [][]string
	for _, k := range keys {
		ps := groups[k]
		n := float64(len(ps))
		certAt := func(r int) float64 {
			c := 0
			for _, p := range ps {
				if p.pred == p.label && p.radius >= r {
					c++
				}
			}
			return float64(c) / n
		}
		row := []string{ps[0].method, ps[0].q, ps[0].lambda, ff(certAt(0))}
		for _, r := range []int{100, 250, 500, 1000, 2000} {
			row = append(row, ff(certAt(r)))
		}
		var radii []int
		abstain := 0
		for _, p := range ps {
			radii = append(radii, p.radius)
			if p.pred == -1 {
				abstain++
			}
		}
		slices.Sort(radii)
		var med float64
		if m := len(radii); m%2 == 1 {
			med = float64(radii[m/2])
		} else {
			med = float64(radii[m/2-1]+radii[m/2]) / 2
		}
		row = append(row, ff(med), ff(float64(abstain)/n))
		want = append(want, row)
	}

	got := readCSVFile(t, filepath.Join(dir, "summary.csv"))
	wantHeader := "method,q,lambda,clean_accuracy,cert_acc_100,cert_acc_250,cert_acc_500,cert_acc_1000,cert_acc_2000,median_radius,abstain_rate"
	if h := strings.Join(got[0], ","); h != wantHeader {
		t.Fatalf("header %q, want %q", h, wantHeader)
	}
	if len(got)-1 != len(want) {
		t.Fatalf("%d rows, want %d", len(got)-1, len(want))
	}
	sawAbstain := false
	for i, w := range want {
		g := got[i+1]
		for j := range w {
			if j < 3 {
				if g[j] != w[j] {
					t.Errorf("row %d %s: %q, want %q", i+1, got[0][j], g[j], w[j])
				}
				continue
			}
			gv, err := strconv.ParseFloat(g[j], 64)
			wv, _ := strconv.ParseFloat(w[j], 64)
			if err != nil || !scalar.EqualWithinAbsOrRel(gv, wv, 1e-14, 1e-14) {
				t.Errorf("row %d (%s) %s: %q, want %q", i+1, w[0], got[0][j], g[j], w[j])
			}
		}
		sawAbstain = sawAbstain || w[10] != "0"
	}
	if !sawAbstain {
		t.Error("fixture has no abstentions: the abstain_rate check is vacuous")
	}

	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(md), "\n## ") // the summary table comes before the sections
	if n := strings.Count(first, "\n| "); n != len(want)+2 {
		t.Errorf("summary.md has %d table lines, want %d", n, len(want)+2)
	}
}

// TestCurveSteps checks the drawn step curve against a brute-force count at every integer budget.
func TestCurveSteps(t *testing.T) {
	f := small()
	dir := t.TempDir()
	f.write(t, dir)
	rows, err := tables.ReadPoints(filepath.Join(dir, "points.csv"), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range groupPoints(rows) {
		for _, kl := range []bool{false, true} {
			xs, ys := s.steps(f.maxFlips, kl)
			for r := 0; r <= f.maxFlips; r++ {
				i := len(xs) - 1
				for xs[i] > r {
					i--
				}
				c := 0
				for _, p := range rows {
					rad := p.Radius
					if kl {
						rad = p.RadiusKL
					}
					if p.Method == s.Method && (p.Q == s.Q || !p.Method.Kind.Smoothed()) && p.Lambda == s.Lambda && p.Correct() && rad >= r {
						c++
					}
				}
				if want := float64(c) / float64(s.n); ys[i] != want {
					t.Fatalf("%s q=%v λ=%v kl=%v: curve at %d is %v, want %v", s.Method, s.Q, s.Lambda, kl, r, ys[i], want)
				}
			}
		}
	}
}

func TestFigures(t *testing.T) {
	f := small()
	dir := render(t, f)

	// The λ Figure 1 should show per q: the one with the largest sum of certified accuracy over
	// 0..maxFlips, recomputed here; ties go to the smaller λ.
	bestLambda := map[string]string{}
	bestArea := map[string]float64{}
	byKey := map[string][]tPoint{}
	for _, p := range f.points {
		byKey[p.settingKey()] = append(byKey[p.settingKey()], p)
	}
	for _, ps := range byKey {
		if ps[0].method != "analytic" {
			continue
		}
		var area float64
		for r := 0; r <= f.maxFlips; r++ {
			c := 0
			for _, p := range ps {
				if p.pred == p.label && p.radius >= r {
					c++
				}
			}
			area += float64(c) / float64(len(ps))
		}
		q, l := ps[0].q, ps[0].lambda
		if a, ok := bestArea[q]; !ok || area > a || area == a && parseOr(l, 0) < parseOr(bestLambda[q], 0) {
			bestArea[q], bestLambda[q] = area, l
		}
	}

	legend := []string{"undefended, random", "undefended, pointwise", "DPA, k=1200"}
	for q, l := range bestLambda {
		legend = append(legend, "q="+q+", λ="+l, "q="+q+", KL radius")
	}
	for _, tc := range []struct {
		name     string
		texts    []string
		entries  []string
		minBytes int
	}{
		{"certified_accuracy", []string{"Number of flipped training labels", "Certified accuracy", "Flipped labels (% of training set)"}, legend, 20000},
		{"sampled_vs_analytic", []string{"(a) Certified accuracy", "(b) Wrong-class probability", "(c) Samples to match analytic",
			"Flipped labels (log scale)", "Analytic bound, log10 ε", "Sampled rate, log10(wrong/N)", "log10 N* (log scale)",
			"largest N run: 2000", "a billion samples/s for a year"},
			[]string{"analytic", "sampled, N=200", "sampled, N=2000", "(b) estimate = bound", "q=0.05, λ=300", "q=0.2, λ=300"}, 20000},
		{"tightness", []string{"Analytic certificate", "Sampled certificate, N=2000", "Ridge, exact certificate", "DPA", "Accuracy"},
			[]string{"certified accuracy (lower bound)", "accuracy under attack (upper bound)", "not yet certified or broken", "k=1200, λ=300"}, 20000},
		{"ablation", []string{"Flip probability q", "Ridge penalty λ", "0 flipped labels (0%)"}, nil, 10000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svg, err := os.ReadFile(filepath.Join(dir, tc.name+".svg"))
			if err != nil {
				t.Fatal(err)
			}
			png, err := os.ReadFile(filepath.Join(dir, tc.name+".png"))
			if err != nil {
				t.Fatal(err)
			}
			if len(svg) < tc.minBytes || len(png) < tc.minBytes {
				t.Errorf("svg %d bytes, png %d bytes: want at least %d", len(svg), len(png), tc.minBytes)
			}
			if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
				t.Error("png lacks the PNG signature")
			}
			for _, s := range tc.texts {
				if !bytes.Contains(svg, []byte(">"+html.EscapeString(s)+"</text>")) {
					t.Errorf("svg lacks text %q", s)
				}
			}
			for _, s := range tc.entries {
				if n := bytes.Count(svg, []byte(">"+html.EscapeString(s)+"</text>")); n != 1 {
					t.Errorf("legend entry %q appears %d times, want 1", s, n)
				}
			}
		})
	}
	// The ridge-exact curve is named with its best λ, which depends on the data: one entry only.
	svg, _ := os.ReadFile(filepath.Join(dir, "certified_accuracy.svg"))
	if n := bytes.Count(svg, []byte(">ridge (exact), λ=")); n != 1 {
		t.Errorf("%d ridge-exact legend entries, want 1", n)
	}
	// Without contradictions, panel (b) has no legend entry for them.
	svg, _ = os.ReadFile(filepath.Join(dir, "sampled_vs_analytic.svg"))
	if bytes.Contains(svg, []byte(">(b) contradiction<")) {
		t.Error("legend names contradictions where there are none")
	}
}

var refAttr = regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*"([^"]*)"`)

// checkReportRefs asserts that report.html refers only to sibling files and pictures in explain/
// that exist, and loads nothing from the network.
func checkReportRefs(t *testing.T, dir string) []string {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ToLower(page), []byte("<script")) || bytes.Contains(page, []byte("@import")) {
		t.Error("report has a script or an import")
	}
	var refs []string
	for _, m := range refAttr.FindAllSubmatch(page, -1) {
		ref := string(m[1])
		refs = append(refs, ref)
		if rest, ok := strings.CutPrefix(ref, "explain/"); strings.Contains(ref, ":") || strings.ContainsAny(rest, "/\\") || !ok && strings.ContainsAny(ref, "/\\") {
			t.Errorf("reference %q is neither a sibling file nor one of explain/", ref)
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, ref)); err != nil {
			t.Errorf("reference %q: %v", ref, err)
		}
	}
	return refs
}

func TestReportReferences(t *testing.T) {
	dir := render(t, small())
	refs := checkReportRefs(t, dir)
	for _, want := range []string{"certified_accuracy.svg", "sampled_vs_analytic.png", "ablation.svg", "tightness.svg", "summary.csv",
		"mc_check.csv", "costs.csv", "attack_summary.csv"} {
		if !slices.Contains(refs, want) {
			t.Errorf("report does not reference %s (refs %v)", want, refs)
		}
	}

	// Re-render the same directory with only analytic at one q and λ: the optional figures no
	// longer apply, their stale files go, and the report stops referring to them.
	f := small()
	f.baseline, f.mc, f.attacks, f.costs = nil, nil, nil, nil
	for _, name := range []string{"baseline.csv", "mc_vs_analytic.csv", "attack.csv"} {
		os.Remove(filepath.Join(dir, name))
	}
	var keep []tPoint
	for _, p := range f.points {
		if p.method == "analytic" && p.q == "0.05" && p.lambda == "300" {
			keep = append(keep, p)
		}
	}
	f.points = keep
	f.write(t, dir)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	refs = checkReportRefs(t, dir)
	for _, gone := range []string{"sampled_vs_analytic.svg", "ablation.png", "tightness.png", "mc_check.csv", "costs.csv", "attack_summary.csv"} {
		if slices.Contains(refs, gone) {
			t.Errorf("report still references %s", gone)
		}
		if _, err := os.Stat(filepath.Join(dir, gone)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s was not removed", gone)
		}
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, section := range []string{"Undefended baseline", "Tightness", "Sampled against analytic", "<h2>Cost</h2>"} {
		if bytes.Contains(page, []byte(section)) {
			t.Errorf("report shows %q without its input", section)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	if bytes.Contains(md, []byte("\n## ")) {
		t.Error("summary.md has sections without their inputs")
	}
}

func TestDeterministic(t *testing.T) {
	f := small()
	a, b := render(t, f), render(t, f)
	if err := Render(a); err != nil { // and again over its own previous outputs
		t.Fatal(err)
	}
	for _, name := range []string{"summary.csv", "summary.md", "report.html", "certified_accuracy.svg",
		"sampled_vs_analytic.svg", "ablation.svg", "certified_accuracy.png", "sampled_vs_analytic.png",
		"tightness.svg", "tightness.png", "mc_check.csv", "costs.csv", "attack_summary.csv"} {
		x, err := os.ReadFile(filepath.Join(a, name))
		if err != nil {
			t.Fatal(err)
		}
		y, err := os.ReadFile(filepath.Join(b, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs between two renders of the same inputs", name)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(a, ".*tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left behind: %v", leftovers)
	}
}

// editLine replaces line n (1-based) of a file, or appends when n is past the end.
func editLine(t *testing.T, path string, n int, edit func(string) string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	for len(lines) < n {
		lines = append(lines, "")
	}
	lines[n-1] = edit(lines[n-1])
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setField returns a CSV line with field i replaced.
func setField(i int, v string) func(string) string {
	return func(l string) string {
		fs := strings.Split(l, ",")
		fs[i] = v
		return strings.Join(fs, ",")
	}
}

// TestMalformedInput checks that Render reports bad tables as a *tables.ParseError at the file and
// line (package tables tests every rule) and writes no report.
func TestMalformedInput(t *testing.T) {
	const pts, base = "points.csv", "baseline.csv"
	f := small()
	for _, tc := range []struct {
		name string
		file string
		line int
		edit func(string) string
		want string // substring of the error, after "file:line: "
	}{
		{"bad header", pts, 1, func(string) string { return "method,q,lambda,index,label,prediction,log_eps,radius,correct" }, "header"},
		{"non-numeric radius", pts, 5, setField(7, "12x"), `radius: "12x" is not an integer`},
		{"label past the classes", pts, 5, setField(4, "2"), "label: 2 is not a class of 2"},
		{"baseline attack", base, 3, setField(0, "clever"), `attack: "clever"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			f.write(t, dir)
			path := filepath.Join(dir, tc.file)
			editLine(t, path, tc.line, tc.edit)
			err := Render(dir)
			prefix := fmt.Sprintf("%s:%d: ", path, tc.line)
			var pe *tables.ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a *tables.ParseError with prefix %q and %q", err, prefix, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "report.html")); !errors.Is(err, os.ErrNotExist) {
				t.Error("report.html written despite bad input")
			}
		})
	}
	t.Run("manifest without max_flips", func(t *testing.T) {
		dir := t.TempDir()
		f.write(t, dir)
		os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"name":"x","data":{"n_train":5,"n_test":3,"classes":2},"report":{}}`), 0o644)
		if err := Render(dir); err == nil || !strings.Contains(err.Error(), "manifest.json: report.max_flips: missing") {
			t.Errorf("error %v, want a missing max_flips", err)
		}
	})
}

// TestCertifiedAccuracyMatchesRecomputation compares certified_accuracy.csv with a plain count over
// the fixture's rows at every budget.
func TestCertifiedAccuracyMatchesRecomputation(t *testing.T) {
	f := small()
	dir := tablesOnly(t, f)
	raw, err := os.ReadFile(filepath.Join(dir, "certified_accuracy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if got[0] != strings.Join(tables.CertifiedAccHeader, ",") {
		t.Fatalf("header %q", got[0])
	}
	want := f.certAccRows()
	slices.SortStableFunc(want, func(a, b string) int {
		return cmp.Compare(methodOrder(strings.Split(a, ",")[0]), methodOrder(strings.Split(b, ",")[0]))
	})
	if len(got)-1 != len(want) {
		t.Fatalf("%d rows, want %d", len(got)-1, len(want))
	}
	for i, w := range want {
		if got[i+1] != w {
			t.Fatalf("row %d: %q, want %q", i+1, got[i+1], w)
		}
	}
}

func TestFmtParam(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		want string
	}{
		{0.05, "0.05"},
		{300, "300"},
		{3000, "3000"},
		{30000, "3·10⁴"},
		{1e6, "10⁶"},
		{2.5e7, "2.5·10⁷"},
		{12345, "12345"},
		{1e-5, "1e-05"}, // no superscript minus in the font: plain exponent
		{1e9, "1e9"},    // nor a superscript nine
		{3e10, "3e10"},  // nor a superscript zero
		{2e8, "2·10⁸"},
	} {
		if got := fmtParam(tc.x); got != tc.want {
			t.Errorf("fmtParam(%v) = %q, want %q", tc.x, got, tc.want)
		}
	}
}
