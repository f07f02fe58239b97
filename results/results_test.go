package results

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"flipcert/internal/runfixture"
	"flipcert/tables"

	"gonum.org/v1/gonum/floats/scalar"
)

// tablesOnly writes f and derives its tables alone (WriteTables), for tests of the numbers.
func tablesOnly(t *testing.T, f runfixture.Fixture) string {
	t.Helper()
	dir := t.TempDir()
	f.Write(t, dir)
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
	case "whitebox":
		return kind
	case "sampled":
		return 2 * kind
	case "ridge-exact":
		return 3 * kind
	}
	if n, ok := strings.CutPrefix(m, "sampled-n"); ok {
		k, _ := strconv.Atoi(n)
		return 2*kind + k
	}
	k, _ := strconv.Atoi(strings.TrimPrefix(m, "dpa-k"))
	return 4*kind + k
}

func TestSummaryMatchesRecomputation(t *testing.T) {
	f := runfixture.Small()
	dir := tablesOnly(t, f)

	// Recompute every summary row from the rows the fixture wrote.
	groups := map[string][]runfixture.Point{}
	var keys []string
	for _, p := range f.Points {
		k := p.SettingKey()
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	slices.SortFunc(keys, func(a, b string) int {
		pa, pb := groups[a][0], groups[b][0]
		if d := cmp.Compare(methodOrder(pa.Method), methodOrder(pb.Method)); d != 0 {
			return d
		}
		if qa, qb := runfixture.ParseOr(pa.Q, -1), runfixture.ParseOr(pb.Q, -1); qa != qb {
			return map[bool]int{true: -1, false: 1}[qa < qb]
		}
		la, lb := runfixture.ParseOr(pa.Lambda, -1), runfixture.ParseOr(pb.Lambda, -1)
		return map[bool]int{true: -1, false: 1}[la < lb]
	})
	var want [][]string
	for _, k := range keys {
		ps := groups[k]
		n := float64(len(ps))
		certAt := func(r int) float64 {
			c := 0
			for _, p := range ps {
				if p.Pred == p.Label && p.Radius >= r {
					c++
				}
			}
			return float64(c) / n
		}
		row := []string{ps[0].Method, ps[0].Q, ps[0].Lambda, runfixture.FF(certAt(0))}
		for _, r := range []int{100, 250, 500, 1000, 2000} {
			row = append(row, runfixture.FF(certAt(r)))
		}
		var radii []int
		abstain := 0
		for _, p := range ps {
			radii = append(radii, p.Radius)
			if p.Pred == -1 {
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
		row = append(row, runfixture.FF(med), runfixture.FF(float64(abstain)/n))
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
	f := runfixture.Small()
	dir := t.TempDir()
	f.Write(t, dir)
	rows, err := tables.ReadPoints(filepath.Join(dir, "points.csv"), 2)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range groupPoints(rows) {
		for _, kl := range []bool{false, true} {
			xs, ys := s.Steps(f.MaxFlips, kl)
			for r := 0; r <= f.MaxFlips; r++ {
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

// TestMalformedInput checks that WriteTables reports bad tables as a *tables.ParseError at the file and
// line (package tables tests every rule) and writes no table.
func TestMalformedInput(t *testing.T) {
	const pts, base = "points.csv", "baseline.csv"
	f := runfixture.Small()
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
			f.Write(t, dir)
			path := filepath.Join(dir, tc.file)
			editLine(t, path, tc.line, tc.edit)
			err := WriteTables(dir)
			prefix := fmt.Sprintf("%s:%d: ", path, tc.line)
			var pe *tables.ParseError
			if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a *tables.ParseError with prefix %q and %q", err, prefix, tc.want)
			}
			if _, err := os.Stat(filepath.Join(dir, "summary.csv")); !errors.Is(err, os.ErrNotExist) {
				t.Error("summary.csv written despite bad input")
			}
		})
	}
	t.Run("manifest without max_flips", func(t *testing.T) {
		dir := t.TempDir()
		f.Write(t, dir)
		os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"name":"x","data":{"n_train":5,"n_test":3,"classes":2},"report":{}}`), 0o644)
		if err := WriteTables(dir); err == nil || !strings.Contains(err.Error(), "manifest.json: report.max_flips: missing") {
			t.Errorf("error %v, want a missing max_flips", err)
		}
	})
}

// TestCertifiedAccuracyMatchesRecomputation compares certified_accuracy.csv with a plain count over
// the fixture's rows at every budget.
func TestCertifiedAccuracyMatchesRecomputation(t *testing.T) {
	f := runfixture.Small()
	dir := tablesOnly(t, f)
	raw, err := os.ReadFile(filepath.Join(dir, "certified_accuracy.csv"))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	if got[0] != strings.Join(tables.CertifiedAccHeader, ",") {
		t.Fatalf("header %q", got[0])
	}
	want := f.CertAccRows()
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
