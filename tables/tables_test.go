package tables

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMethodNamesRoundTrip(t *testing.T) {
	for _, m := range []Method{
		{Kind: Analytic}, {Kind: Sampled}, {Kind: Sampled, Samples: 100000}, {Kind: RidgeExact}, {Kind: DPA, Parts: 3000},
	} {
		got, err := ParseMethod(m.String())
		if err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %+v, %v; want %+v", m.String(), got, err, m)
		}
	}
	for _, bad := range []string{"", "dpa", "dpa-k0", "dpa-k07", "dpa-k-1", "sampled-n", "sampled-n1e5", "Analytic", "ridge"} {
		if _, err := ParseMethod(bad); err == nil {
			t.Errorf("ParseMethod(%q) accepted a bad name", bad)
		}
	}
}

func TestMethodOrder(t *testing.T) {
	order := []Method{{Kind: Analytic}, {Kind: Sampled}, {Kind: Sampled, Samples: 1000}, {Kind: Sampled, Samples: 10000},
		{Kind: RidgeExact}, {Kind: DPA, Parts: 50}, {Kind: DPA, Parts: 1000}}
	for i := range order {
		for j := range order {
			if got := order[i].Less(order[j]); got != (i < j) {
				t.Errorf("%v.Less(%v) = %v", order[i], order[j], got)
			}
		}
	}
}

// samplePoints covers every kind of row: smoothed with and without abstention,
// an extreme log ε, an unsmoothed method and a wrong prediction.
func samplePoints() []Point {
	nan := math.NaN()
	return []Point{
		{Method: Method{Kind: Analytic}, Q: 0.05, Lambda: 30000, Index: 0, Label: 1, Prediction: 1, LogEps: -7060.99778478736, Radius: 1566, RadiusKL: 800},
		{Method: Method{Kind: Analytic}, Q: 0.05, Lambda: 30000, Index: 1, Label: 0, Prediction: -1, LogEps: -0.1, Radius: -1, RadiusKL: -1},
		{Method: Method{Kind: Sampled, Samples: 1000}, Q: 0.4, Lambda: 0.1, Index: 0, Label: 2, Prediction: 2, LogEps: -1e300, Radius: 5, RadiusKL: 2},
		{Method: Method{Kind: RidgeExact}, Q: nan, Lambda: 1e-300, Index: 0, Label: 1, Prediction: 0, LogEps: nan, Radius: 3, RadiusKL: 3},
		{Method: Method{Kind: DPA, Parts: 7}, Q: nan, Lambda: 5, Index: 2, Label: 2, Prediction: 2, LogEps: nan, Radius: 0, RadiusKL: 0},
	}
}

func writePoints(t *testing.T, pts []Point) string {
	t.Helper()
	data := AppendHeader(nil, PointsHeader)
	for _, p := range pts {
		data = AppendPoint(data, p)
	}
	path := filepath.Join(t.TempDir(), PointsFile)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func samePoint(a, b Point) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return a.Method == b.Method && eq(a.Q, b.Q) && a.Lambda == b.Lambda && a.Index == b.Index && a.Label == b.Label &&
		a.Prediction == b.Prediction && eq(a.LogEps, b.LogEps) && a.Radius == b.Radius && a.RadiusKL == b.RadiusKL
}

func TestPointsRoundTrip(t *testing.T) {
	want := samplePoints()
	got, err := ReadPoints(writePoints(t, want), 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, wrote %d", len(got), len(want))
	}
	for i := range want {
		if !samePoint(got[i], want[i]) {
			t.Errorf("row %d: read %+v, wrote %+v", i, got[i], want[i])
		}
	}
}

func TestMalformedPoints(t *testing.T) {
	// Line 2 is an analytic row, 3 an abstention, 5 ridge-exact with a wrong prediction.
	setField := func(i int, v string) func(string) string {
		return func(l string) string {
			fs := strings.Split(l, ",")
			fs[i] = v
			return strings.Join(fs, ",")
		}
	}
	for _, tc := range []struct {
		name string
		line int
		edit func(string) string
		want string
	}{
		{"bad header", 1, func(string) string { return "method,q,lambda,index,label,prediction,log_eps,radius,correct" }, "header"},
		{"non-numeric radius", 2, setField(7, "12x"), `radius: "12x" is not an integer`},
		{"fractional radius", 2, setField(7, "3.5"), `radius: "3.5" is not an integer`},
		{"ragged row", 2, func(l string) string { return l + ",1" }, "11 fields, want 10"},
		{"short row", 2, func(string) string { return "analytic,0.05" }, "2 fields, want 10"},
		{"unknown method", 2, setField(0, "dpa-k07"), "method: unknown method"},
		{"q out of range for 3 classes", 2, setField(1, "0.6667"), "q: 0.6667 is outside"},
		{"q for ridge", 5, setField(1, "0.1"), `q: "0.1" must be empty`},
		{"log_eps for ridge", 5, setField(6, "-3"), "log_eps"},
		{"positive log_eps", 2, setField(6, "0.5"), "log_eps: 0.5 is outside"},
		{"kl differs for ridge", 5, setField(8, "99999"), "radius_kl: 99999 differs"},
		{"correct inconsistent", 5, setField(9, "1"), "correct: 1 but prediction"},
		{"certified abstention", 3, setField(7, "4"), "radius: 4 for an abstention"},
		{"label past the classes", 2, setField(4, "3"), "label: 3 is not a class of 3"},
		{"duplicate index", 3, setField(3, "0"), "index: index 0 repeats line 2"},
		{"nan lambda", 2, setField(2, "NaN"), "lambda: NaN is outside"},
		{"quote", 4, func(l string) string { return `"` + l }, "extraneous or missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writePoints(t, samplePoints())
			raw, _ := os.ReadFile(path)
			lines := strings.Split(string(raw), "\n")
			lines[tc.line-1] = tc.edit(lines[tc.line-1])
			os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o644)
			_, err := ReadPoints(path, 3)
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a *ParseError at line %d containing %q", err, tc.line, tc.want)
			}
		})
	}
	for _, tc := range []struct{ name, content, want string }{
		{"empty", "", "empty file"},
		{"header only", strings.Join(PointsHeader, ",") + "\n", "no data rows"},
	} {
		path := filepath.Join(t.TempDir(), PointsFile)
		os.WriteFile(path, []byte(tc.content), 0o644)
		if _, err := ReadPoints(path, 2); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestBaselineRoundTripAndErrors(t *testing.T) {
	rows := []BaselineRow{{"random", 0, 1, 0.99}, {"pointwise", 520, 18446744073709551615, 1.0 / 3}}
	data := AppendHeader(nil, BaselineHeader)
	for _, b := range rows {
		data = AppendBaseline(data, b)
	}
	path := filepath.Join(t.TempDir(), BaselineFile)
	os.WriteFile(path, data, 0o644)
	got, err := ReadBaseline(path)
	if err != nil || len(got) != 2 || got[0] != rows[0] || got[1] != rows[1] {
		t.Fatalf("ReadBaseline = %+v, %v; want %+v", got, err, rows)
	}
	for _, tc := range []struct{ row, want string }{
		{"clever,1,1,0.5", `attack: "clever"`},
		{"random,1,1,1.5", "accuracy: 1.5 is outside [0, 1]"},
		{"random,1,-1,0.5", `seed: "-1" is not an unsigned integer`},
		{"random,0,1,0.5", "seed 1 repeats line 2"},
	} {
		os.WriteFile(path, append(data, tc.row+"\n"...), 0o644)
		if _, err := ReadBaseline(path); err == nil || !strings.Contains(err.Error(), ":4: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("row %q: error %v, want line 4 and %q", tc.row, err, tc.want)
		}
	}
}

func TestManifestChecks(t *testing.T) {
	good := Manifest{Name: "x", Data: DataInfo{NTrain: 5, NTest: 3, Classes: 2}, Report: ReportInfo{MaxFlips: 10}}
	dir := t.TempDir()
	path := filepath.Join(dir, ManifestFile)
	os.WriteFile(path, good.Encode(), 0o644)
	if m, raw, err := ReadManifest(path); err != nil || m.Name != "x" || len(raw) == 0 {
		t.Fatalf("ReadManifest of a good manifest: %+v, %v", m, err)
	}
	for _, tc := range []struct{ content, want string }{
		{`{"name":"x","data":{"n_train":5,"n_test":3,"classes":2},"report":{}}`, "report.max_flips: missing"},
		{`{"name":"x","data":{"n_train":5,"n_test":3},"report":{"max_flips":3}}`, "data.classes: missing"},
		{"{\n\"name\": \"x\",\n}", "manifest.json:3: "},
	} {
		os.WriteFile(path, []byte(tc.content), 0o644)
		if _, _, err := ReadManifest(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("manifest %q: error %v, want %q", tc.content, err, tc.want)
		}
	}
}

func TestMCRoundTripAndErrors(t *testing.T) {
	rows := []MCRow{
		{Q: 0.05, Lambda: 30000, N: 1000, Index: 3, Wrong: 0, WrongLo: 0, WrongHi: 0.0071, LogEpsAnalytic: -1e4, Log10SamplesNeeded: 4343.7},
		{Q: 0.4, Lambda: 1, N: 100000, Index: 0, Wrong: 51000, WrongLo: 0.505, WrongHi: 0.515, LogEpsAnalytic: -0.1, Log10SamplesNeeded: math.NaN()},
	}
	data := AppendHeader(nil, MCHeader)
	for _, r := range rows {
		data = AppendMC(data, r)
	}
	path := filepath.Join(t.TempDir(), MCFile)
	os.WriteFile(path, data, 0o644)
	got, err := ReadMC(path)
	if err != nil || len(got) != 2 {
		t.Fatalf("ReadMC = %+v, %v", got, err)
	}
	for i := range rows {
		g, w := got[i], rows[i]
		if g.Q != w.Q || g.N != w.N || g.Wrong != w.Wrong || g.WrongHi != w.WrongHi || g.LogEpsAnalytic != w.LogEpsAnalytic ||
			!(g.Log10SamplesNeeded == w.Log10SamplesNeeded || math.IsNaN(g.Log10SamplesNeeded) && math.IsNaN(w.Log10SamplesNeeded)) {
			t.Errorf("row %d: read %+v, wrote %+v", i, g, w)
		}
	}
	if rows[0].Contradicts() || !(MCRow{WrongLo: 0.01, LogEpsAnalytic: -5}).Contradicts() {
		t.Error("Contradicts: a zero lower end contradicts nothing; 0.01 > e⁻⁵ contradicts")
	}
	for _, tc := range []struct{ row, want string }{
		{"0.1,1,10,0,11,0,1,-3,", "wrong: 11 exceeds n = 10"},
		{"0.1,1,10,0,5,0.6,0.9,-3,", "does not hold wrong/n = 0.5"},
		{"0.1,1,10,0,5,0.1,0.9,2,", "log_eps_analytic"},
	} {
		os.WriteFile(path, append(AppendHeader(nil, MCHeader), tc.row+"\n"...), 0o644)
		if _, err := ReadMC(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("row %q: error %v, want %q", tc.row, err, tc.want)
		}
	}
}

func TestAttackRoundTripAndErrors(t *testing.T) {
	rows := []AttackRow{
		{Method: Method{Kind: Analytic}, Q: 0.05, Lambda: 30000, Index: 0, Flips: 812, Proven: true},
		{Method: Method{Kind: Sampled, Samples: 1000}, Q: 0.05, Lambda: 30000, Index: 0, Flips: 812, Proven: true},
		{Method: Method{Kind: RidgeExact}, Q: math.NaN(), Lambda: 30000, Index: 0, Flips: -1, Proven: false},
	}
	data := AppendHeader(nil, AttackHeader)
	for _, r := range rows {
		data = AppendAttack(data, r)
	}
	path := filepath.Join(t.TempDir(), AttackFile)
	os.WriteFile(path, data, 0o644)
	got, err := ReadAttack(path)
	if err != nil || len(got) != len(rows) {
		t.Fatalf("ReadAttack = %+v, %v", got, err)
	}
	for i, w := range rows {
		g := got[i]
		if g.Method != w.Method || g.Lambda != w.Lambda || g.Index != w.Index || g.Flips != w.Flips || g.Proven != w.Proven ||
			!(g.Q == w.Q || math.IsNaN(g.Q) && math.IsNaN(w.Q)) {
			t.Errorf("row %d: read %+v, wrote %+v", i, g, w)
		}
	}
	for _, tc := range []struct{ row, want string }{
		{"ridge-exact,0.1,1,1,3,1", "must be empty"},
		{"analytic,0.05,30000,0,3,1", "index 0 repeats line 2"},
		{"analytic,0.05,30000,5,-2,1", "flips: -2 is below -1"},
		{"analytic,0.05,30000,5,3,yes", `proven: "yes" is not 0 or 1`},
	} {
		os.WriteFile(path, append(data, tc.row+"\n"...), 0o644)
		if _, err := ReadAttack(path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("row %q: error %v, want %q", tc.row, err, tc.want)
		}
	}
}

// TestExplainNames reads back every name ExplainName writes, and refuses names
// of the wrong shape.
func TestExplainNames(t *testing.T) {
	for _, tc := range []struct {
		s     Setting
		index int
		name  string
	}{
		{Setting{Method{Kind: Analytic}, 0.05, 30000}, 17, "analytic-q0.05-lambda30000-17"},
		{Setting{Method{Kind: Sampled, Samples: 2000}, 1e-05, 1e-05}, 0, "sampled-n2000-q1e-05-lambda1e-05-0"},
		{Setting{Method{Kind: RidgeExact}, math.NaN(), 300}, 3, "ridge-exact-lambda300-3"},
		{Setting{Method{Kind: DPA, Parts: 1200}, math.NaN(), 300}, 39, "dpa-k1200-lambda300-39"},
	} {
		if got := ExplainName(tc.s, tc.index); got != tc.name {
			t.Errorf("ExplainName = %q, want %q", got, tc.name)
		}
		for _, ext := range []string{".csv", ".png"} {
			s, idx, ok := ParseExplainName(tc.name + ext)
			if !ok || s.Method != tc.s.Method || s.Lambda != tc.s.Lambda || idx != tc.index ||
				!(s.Q == tc.s.Q || math.IsNaN(s.Q) && math.IsNaN(tc.s.Q)) {
				t.Errorf("ParseExplainName(%q) = %+v, %d, %v", tc.name+ext, s, idx, ok)
			}
		}
	}
	for _, bad := range []string{
		"analytic-lambda300-3.png",         // a smoothed method needs q
		"ridge-exact-q0.1-lambda300-3.png", // an unsmoothed one has none
		"analytic-q0.05-lambda300-x.png",
		"analytic-q0.05-lambda300-3.txt",
		"analytic-q0.05-lambda300-3",
		"scratch.png",
	} {
		if _, _, ok := ParseExplainName(bad); ok {
			t.Errorf("ParseExplainName(%q) accepted a bad name", bad)
		}
	}
}
