package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"flipcert/tables"
)

// radiusCLI runs `flipcert radius` with args and stdin.
func radiusCLI(args []string, stdin string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = exitCode(&e, runRadius(strings.NewReader(stdin), &o, &e, args))
	return code, o.String(), e.String()
}

func TestRadiusCommand(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		// The counter-example of a table that rounded up: 1567 is one flip too many.
		// KL: −½ ln(4ε(1−ε)) = 3529.81 over 0.98·ln 99 = 4.5032 per flip is 783.8.
		{"sound to the last flip", []string{"-q", "0.01", "-n", "13007", "--", "-7060.99778478736"}, "",
			"log_eps,radius,radius_kl\n-7060.99778478736,1566,783\n"},
		{"q = 0.4 examples on stdin", []string{"-q", "0.4", "-n", "13007"}, "-6.907755278982137\n\n -13.815510557964274\n-27.631021115928547\n",
			"log_eps,radius,radius_kl\n-6.907755278982137,58,34\n-13.815510557964274,139,76\n-27.631021115928547,305,161\n"},
		{"three classes", []string{"-q", "0.4", "-n", "1000", "-classes", "3", "--", "-6.907755278982137", "-13.815510557964274"}, "",
			"log_eps,radius,radius_kl\n-6.907755278982137,10,6\n-13.815510557964274,25,14\n"},
		{"abstention, impossible and a cap", []string{"-q", "0.1", "-n", "50", "--", "-0.5", "-Inf", "-1e300", "0"}, "",
			"log_eps,radius,radius_kl\n-0.5,-1,-1\n-Inf,50,50\n-1e+300,50,50\n0,-1,-1\n"},
	} {
		code, out, errOut := radiusCLI(tc.args, tc.stdin)
		if code != 0 || out != tc.want {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want %q", tc.name, code, out, errOut, tc.want)
		}
	}
}

func TestRadiusCommandBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  string
	}{
		{"no n", []string{"-q", "0.1", "--", "-3"}, "", "-n 0: give the training-set size"},
		{"q too big", []string{"-q", "0.5", "-n", "9", "--", "-3"}, "", "-q 0.5 -classes 2"},
		{"q for three classes", []string{"-q", "0.7", "-n", "9", "-classes", "3", "--", "-3"}, "", "for 3 classes"},
		{"one class", []string{"-q", "0.1", "-n", "9", "-classes", "1", "--", "-3"}, "", "-classes 1"},
		// math.Log is off by up to 35 nats on subnormals: q = 5e-324 once gave radius 1 for log ε = −745 (exact: 0).
		{"q subnormal", []string{"-q", "5e-324", "-n", "200", "--", "-745"}, "", "is below 2.2250738585072014e-308"},
		{"q per class subnormal", []string{"-q", "3e-308", "-classes", "3", "-n", "200", "--", "-745"}, "", "is below 4.450147717014403e-308"},
		{"positive", []string{"-q", "0.1", "-n", "9", "--", "-3", "0.2"}, "", `argument 2: "0.2" is not a log-probability`},
		{"nan", []string{"-q", "0.1", "-n", "9", "--", "NaN"}, "", `argument 1: "NaN"`},
		{"text on stdin", []string{"-q", "0.1", "-n", "9"}, "-3\nabc\n", `stdin:2: "abc"`},
		{"negative without --", []string{"-q", "0.1", "-n", "9", "-3"}, "", "flag provided but not defined: -3"},
	} {
		code, out, errOut := radiusCLI(tc.args, tc.stdin)
		if code != 2 || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 && !strings.Contains(errOut, "Usage") {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line with %q", tc.name, code, errOut, tc.want)
		}
		if strings.Contains(out, "\n") && !strings.HasPrefix(out, "log_eps") {
			t.Errorf("%s: stdout %q", tc.name, out)
		}
	}
}

// TestRadiusCommandAgreesWithARun feeds a run's log bounds through the
// command: it must give the radii the run wrote.
func TestRadiusCommandAgreesWithARun(t *testing.T) {
	code, _, stderr, dir := cliCase(t, "[0.5, 2]", goodTrain, goodTrain, "-no-report")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	points, err := tables.ReadPoints(filepath.Join(dir, "out", "points.csv"), 2)
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, p := range points {
		if !p.Method.Kind.Smoothed() || p.Prediction == -1 {
			continue
		}
		_, out, errOut := radiusCLI([]string{"-q", tables.FormatFloat(p.Q), "-n", "8", "--", tables.FormatFloat(p.LogEps)}, "")
		want := "log_eps,radius,radius_kl\n" + tables.FormatFloat(p.LogEps) + "," + strconv.Itoa(p.Radius) + "," + strconv.Itoa(p.RadiusKL) + "\n"
		if out != want {
			t.Fatalf("%v: command says %q (%s), the run wrote %q", p, out, errOut, want)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("the run certified nothing: the comparison is vacuous")
	}
}
