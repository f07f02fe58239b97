package report

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"flipcert/internal/runfixture"
	"flipcert/tables"
)

// render writes f and renders it: tables, figures and the report page.
func render(t *testing.T, f runfixture.Fixture) string {
	t.Helper()
	dir := t.TempDir()
	f.Write(t, dir)
	if err := Render(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFigures(t *testing.T) {
	f := runfixture.Small()
	dir := render(t, f)

	// The λ Figure 1 should show per q: the one with the largest sum of certified accuracy over
	// 0..maxFlips, recomputed here; ties go to the smaller λ.
	bestLambda := map[string]string{}
	bestArea := map[string]float64{}
	byKey := map[string][]runfixture.Point{}
	for _, p := range f.Points {
		byKey[p.SettingKey()] = append(byKey[p.SettingKey()], p)
	}
	for _, ps := range byKey {
		if ps[0].Method != "analytic" {
			continue
		}
		var area float64
		for r := 0; r <= f.MaxFlips; r++ {
			c := 0
			for _, p := range ps {
				if p.Pred == p.Label && p.Radius >= r {
					c++
				}
			}
			area += float64(c) / float64(len(ps))
		}
		q, l := ps[0].Q, ps[0].Lambda
		if a, ok := bestArea[q]; !ok || area > a || area == a && runfixture.ParseOr(l, 0) < runfixture.ParseOr(bestLambda[q], 0) {
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
	dir := render(t, runfixture.Small())
	refs := checkReportRefs(t, dir)
	for _, want := range []string{"certified_accuracy.svg", "sampled_vs_analytic.png", "ablation.svg", "tightness.svg", "summary.csv",
		"mc_check.csv", "costs.csv", "attack_summary.csv"} {
		if !slices.Contains(refs, want) {
			t.Errorf("report does not reference %s (refs %v)", want, refs)
		}
	}

	// Re-render the same directory with only analytic at one q and λ: the optional figures no
	// longer apply, their stale files go, and the report stops referring to them.
	f := runfixture.Small()
	f.Baseline, f.MC, f.Attacks, f.Costs = nil, nil, nil, nil
	for _, name := range []string{"baseline.csv", "mc_vs_analytic.csv", "attack.csv"} {
		os.Remove(filepath.Join(dir, name))
	}
	var keep []runfixture.Point
	for _, p := range f.Points {
		if p.Method == "analytic" && p.Q == "0.05" && p.Lambda == "300" {
			keep = append(keep, p)
		}
	}
	f.Points = keep
	f.Write(t, dir)
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
	f := runfixture.Small()
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

// TestFailedChecksAreReported renders a fixture with one contradiction and one attack within the
// radius, and expects both stated loudly in summary.md and the report, with the offending rows.
func TestFailedChecksAreReported(t *testing.T) {
	f := runfixture.Small()
	var bad runfixture.MC
	for i, r := range f.MC {
		if r.Need != "" && r.N == 2000 {
			f.MC[i].Wrong, f.MC[i].Lo, f.MC[i].Hi = 1000, 0.45, 0.55
			bad = f.MC[i]
			break
		}
	}
	var broken runfixture.Attack
	for i, a := range f.Attacks {
		p := f.Points[i] // attacks follow the points row by row
		if a.Method == "analytic" && p.Pred == p.Label && p.Radius > 3 {
			f.Attacks[i].Flips = 3
			broken = f.Attacks[i]
			break
		}
	}
	dir := render(t, f)
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, want := range []string{
		"**⚠ CONTRADICTIONS: 1 of the ",
		fmt.Sprintf("| %s | %s | 2000 | %d | 1000 | 0.45 | %s |", bad.Q, bad.Lambda, bad.Index, bad.LogEps),
		"**⚠ VIOLATIONS: 1 of the ",
		fmt.Sprintf("| analytic | %s | %s | %d |", broken.Q, broken.Lambda, broken.Index),
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
	dir = render(t, runfixture.Small())
	md, _ = os.ReadFile(filepath.Join(dir, "summary.md"))
	for _, want := range []string{"\nNo contradictions: in none of the ", "\nNo violations: in all "} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("clean summary.md lacks %q", want)
		}
	}
}

// TestExplainSection puts explanation tables in DIR/explain and expects the report to draw and
// show each that carries images, with a caption from its name and its row, and to draw none for a
// table without images or a file of another name.
func TestExplainSection(t *testing.T) {
	f := runfixture.Small()
	dir := t.TempDir()
	f.Write(t, dir)
	var p runfixture.Point
	for _, q := range f.Points {
		if q.Method == "analytic" && q.Q == "0.05" && q.Lambda == "300" && q.Index == 3 {
			p = q
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "explain"), 0o755); err != nil {
		t.Fatal(err)
	}
	image := make([]uint8, 28*28)
	withImages := tables.Explanation{Index: 3, Label: p.Label, Prediction: p.Pred, Radius: p.Radius, Flips: p.Radius + 1, Pixels: image,
		Relabels: []tables.ExplainRelabel{{Index: 11, From: 1, To: 0, Pixels: image}, {Index: 12, From: 1, To: 0}}}
	noImages := tables.Explanation{Index: 5, Label: 1, Prediction: 1, Radius: 2, Flips: 3}
	for name, body := range map[string][]byte{
		"analytic-q0.05-lambda300-3.csv":  withImages.Append(nil),
		"ridge-exact-lambda300-999.csv":   withImages.Append(nil),
		"analytic-q0.05-lambda3000-5.csv": noImages.Append(nil),
		"scratch.png":                     []byte("\x89PNG\r\n\x1a\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, "explain", name), body, 0o644); err != nil {
			t.Fatal(err)
		}
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
	if want := []string{"explain/analytic-q0.05-lambda300-3.png", "explain/ridge-exact-lambda300-999.png"}; !slices.Equal(pics, want) {
		t.Errorf("report shows %q, want %q", pics, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "explain", "analytic-q0.05-lambda3000-5.png")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a picture was drawn for a table without images")
	}
	page, _ := os.ReadFile(filepath.Join(dir, "report.html"))
	for _, want := range []string{
		fmt.Sprintf("<figcaption>analytic, q=0.05, λ=300, test point 3: true class %d, ", p.Label),
		"<figcaption>ridge-exact, λ=300, test point 999 (not in points.csv).</figcaption>",
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report lacks %q", want)
		}
	}
}

// TestPlainSampledName renders a run with one N, named plain "sampled": the legend takes N from
// the config.
func TestPlainSampledName(t *testing.T) {
	f := runfixture.Small()
	f.SampleNs = []int{2000}
	var pts []runfixture.Point
	for _, p := range f.Points {
		switch p.Method {
		case "sampled-n200":
			continue
		case "sampled-n2000":
			p.Method = "sampled"
		}
		pts = append(pts, p)
	}
	f.Points = pts
	var mc []runfixture.MC
	for _, r := range f.MC {
		if r.N == 2000 {
			mc = append(mc, r)
		}
	}
	f.MC = mc
	f.Attacks, f.Costs = nil, nil
	dir := render(t, f)
	svg, _ := os.ReadFile(filepath.Join(dir, "sampled_vs_analytic.svg"))
	for _, want := range []string{">sampled, N=2000</text>", ">largest N run: 2000</text>"} {
		if n := bytes.Count(svg, []byte(want)); n != 1 {
			t.Errorf("%q appears %d times, want 1", want, n)
		}
	}
}
