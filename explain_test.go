package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"flipcert/tables"
)

// TestQuickRunAttacksAndExplain runs the bundled quick config (MNIST 1/7,
// every certificate) and checks what the attacks promise: an attack row for
// every certificate row, every attack larger than the radius it bounds, the
// two explanation pictures of the report; then `explain` on one of its rows,
// and on rows it does not hold.
func TestQuickRunAttacksAndExplain(t *testing.T) {
	out := filepath.Join(t.TempDir(), "quick")
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"-config", "quick", "-out", out, "-quiet"})); code != 0 {
		t.Fatalf("quick run: exit %d: %s", code, e.String())
	}
	points, err := tables.ReadPoints(filepath.Join(out, tables.PointsFile), 2)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := tables.ReadAttack(filepath.Join(out, tables.AttackFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(points) {
		t.Fatalf("%d attack rows for %d point rows", len(rows), len(points))
	}
	for i, p := range points {
		a := rows[i]
		if a.Method != p.Method || a.Index != p.Index || a.Lambda != p.Lambda {
			t.Fatalf("attack row %d %+v does not match point row %+v", i, a, p)
		}
		if p.Radius >= 0 && a.Flips >= 0 && a.Flips <= p.Radius {
			t.Errorf("%s q=%v λ=%v point %d: an attack of %d flips within the certified radius %d", p.Method, p.Q, p.Lambda, p.Index, a.Flips, p.Radius)
		}
		if p.Prediction >= 0 && p.Method.Kind != tables.Sampled && (a.Flips < 0 || !a.Proven) {
			t.Errorf("%s point %d: attack %+v, want one found and proven on this data", p.Method, p.Index, a)
		}
	}
	pictures, _ := filepath.Glob(filepath.Join(out, tables.ExplainDir, "analytic-*.png"))
	if len(pictures) != 2 {
		t.Errorf("explain/ holds %v, want the most and least robust points' pictures", pictures)
	}
	report, _ := os.ReadFile(filepath.Join(out, tables.ReportFile))
	for _, p := range pictures {
		if !bytes.Contains(report, []byte(filepath.Base(p))) {
			t.Errorf("report.html does not show %s", filepath.Base(p))
		}
	}

	explain := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := exitCode(&e, run(strings.NewReader(""), &o, &e, append([]string{"explain", "-out", out}, args...)))
		return code, o.String(), e.String()
	}
	code, stdout, stderr := explain("-index", "7", "-method", "ridge-exact", "-lambda", "10000")
	want := filepath.Join(out, tables.ExplainDir, "ridge-exact-lambda10000-7.png")
	if code != 0 || !strings.Contains(stdout, want) {
		t.Fatalf("explain: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if info, err := os.Stat(want); err != nil || info.Size() < 1000 {
		t.Fatalf("explain wrote %v, %v", info, err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-index", "300"}, "has no row for method analytic, any lambda, test point 300"},
		{[]string{"-index", "3", "-method", "analytic", "-q", "0.3"}, "has no row for method analytic, q 0.3"},
		{[]string{"-index", "-2"}, "-index -2"},
		{[]string{"-index", "3", "-method", "gradient"}, "unknown method"},
		{[]string{"-index", "3", "-lambda", "x"}, `-lambda "x" is not a number`},
	} {
		code, _, stderr := explain(tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("explain %v: exit %d, stderr %q; want 2 and one line with %q", tc.args, code, stderr, tc.want)
		}
	}
	var e2 bytes.Buffer
	if code := exitCode(&e2, run(strings.NewReader(""), &o, &e2, []string{"explain", "-out", t.TempDir(), "-index", "1"})); code != 2 || !strings.Contains(e2.String(), "run the experiment first") {
		t.Errorf("explain on an empty folder: exit %d, %q", code, e2.String())
	}
}
