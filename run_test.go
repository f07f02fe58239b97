package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"flipcert/tables"
)

const csvConfig = `name: cli
data: {source: csv, train: train.csv, test: test.csv}
features: {kind: none, intercept: true}
ridge: {lambda: %s}
smoothing: {q: [0.2]}
sampler: {enabled: true, n0: 20, n: 500, alpha: 0.01}
dpa: {enabled: false}
report: {max_flips: 20}
`

const goodTrain = "label,a,b\n0,-1,0.5\n1,1,0.2\n0,-2,-0.3\n1,2,0.1\n0,-1.5,1\n1,1.2,-1\n0,-0.7,0.3\n1,0.9,0.8\n"

// cliCase writes a config and its CSV files into a fresh folder and runs the
// CLI on it.
func cliCase(t *testing.T, lambda, train, test string, extra ...string) (code int, stdout, stderr string, dir string) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{"c.yaml": fmt.Sprintf(csvConfig, lambda), "train.csv": train, "test.csv": test}
	for name, content := range files {
		if content == "" {
			continue
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := append([]string{"-config", filepath.Join(dir, "c.yaml"), "-out", filepath.Join(dir, "out"), "-quiet"}, extra...)
	var o, e bytes.Buffer
	code = exitCode(&e, run(strings.NewReader(""), &o, &e, args))
	return code, o.String(), e.String(), dir
}

func TestCLIRunsAndRendersTinyCSV(t *testing.T) {
	code, stdout, stderr, dir := cliCase(t, "1", goodTrain, goodTrain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "results in") {
		t.Errorf("stdout %q", stdout)
	}
	for _, f := range []string{"points.csv", "certified_accuracy.csv", "manifest.json", "summary.csv", "report.html", "certified_accuracy.png"} {
		if _, err := os.Stat(filepath.Join(dir, "out", f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"report", "-out", filepath.Join(dir, "out")})); code != 0 {
		t.Fatalf("report: exit %d: %s", code, e.String())
	}
}

func TestBadInputGivesOneLineAndExit2(t *testing.T) {
	for _, tc := range []struct {
		name, lambda, train, test string
		extra                     []string
		want                      string
	}{
		{"unknown flag", "1", goodTrain, goodTrain, []string{"-bogus"}, "flag provided but not defined: -bogus"},
		{"stray argument", "1", goodTrain, goodTrain, []string{"extra"}, `unexpected argument "extra"`},
		{"bad shard", "1", goodTrain, goodTrain, []string{"-shard", "3/2"}, `-shard "3/2"`},
		{"negative lambda", "-1", goodTrain, goodTrain, nil, "ridge.lambda[0] = -1"},
		{"singular lambda 0", "0", "label,a,b\n0,1,2\n1,2,4\n0,3,6\n1,4,8\n", goodTrain, nil, "c.yaml:4: ridge.lambda[0] = 0 with features.kind none: ridge: ΦᵀΦ + λD is"},
		{"ill-conditioned lambda 0", "0", "label,a,b\n0,1,2\n1,2,4.000001\n0,3,6\n1,4,8.000003\n", goodTrain, nil, "ridge.lambda[0] = 0 with features.kind none: ridge: ΦᵀΦ + λD is too ill-conditioned at λ = 0"},
		{"missing test file", "1", goodTrain, "", nil, "data.test: open"},
		{"ragged csv", "1", "label,a,b\n0,1,2\n1,2\n", goodTrain, nil, "train.csv:3: wrong number of columns"},
		{"non-numeric", "1", "label,a,b\n0,1,2\n1,2,x\n", goodTrain, nil, `train.csv:3: column "b": "x" is not a finite number`},
		{"no label column", "1", "y,a,b\n0,1,2\n", goodTrain, nil, "train.csv:1: header must start with `label`"},
		{"class without training points", "1", goodTrain, "label,a,b\n3,1,2\n", nil, "class 2 has no training point"},
		{"gap in the labels", "1", "label,a,b\n0,1,2\n1,2,3\n3,5,1\n", goodTrain, nil, "class 2 has no training point"},
		{"negative label", "1", goodTrain, "label,a,b\n-1,1,2\n", nil, `test.csv:2: label "-1"`},
		{"zero rows", "1", "label,a,b\n", goodTrain, nil, "train.csv:1: no data rows"},
		{"column mismatch", "1", goodTrain, "label,a\n0,1\n", nil, "has 2 feature columns but test.csv has 1"},
		{"unwritable out", "1", goodTrain, goodTrain, []string{"-out", "/proc/flipcert-out"}, "output:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr, _ := cliCase(t, tc.lambda, tc.train, tc.test, tc.extra...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr %q, want it to contain %q", stderr, tc.want)
			}
			if lines := strings.Count(strings.TrimRight(stderr, "\n"), "\n"); lines > 0 && !strings.Contains(stderr, "Usage") {
				t.Errorf("stderr has %d lines, want one: %q", lines+1, stderr)
			}
			if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace in %q", stderr)
			}
		})
	}
}

func TestHelpExplainsAndExits0(t *testing.T) {
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"-h"})); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"Usage:", "-config", "-out", "-shard", "report -out DIR", "merge"} {
		if !strings.Contains(e.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestMissingConfigAndReportDir(t *testing.T) {
	for _, args := range [][]string{
		{"-config", "/nonexistent/c.yaml"},
		{"-config", "no-such-bundled-config"},
		{"report", "-out", t.TempDir()},
	} {
		var o, e bytes.Buffer
		if code := exitCode(&e, run(strings.NewReader(""), &o, &e, args)); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, e.String())
		}
	}
}

func TestBundledConfigsParse(t *testing.T) {
	var o bytes.Buffer
	if err := listConfigs(&o); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(o.String()), "\n") {
		name := strings.Fields(line)[0]
		if _, err := loadConfig(name); err != nil {
			t.Errorf("bundled config %s: %v", name, err)
		}
	}
}

func TestMalformedTablesInReportExit2(t *testing.T) {
	code, _, stderr, dir := cliCase(t, "1", goodTrain, goodTrain)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	points := filepath.Join(dir, "out", "points.csv")
	data, err := os.ReadFile(points)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	lines[2] = strings.Replace(lines[2], ",1,", ",x,", 1)
	if err := os.WriteFile(points, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"report", "-out", filepath.Join(dir, "out")})); code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, e.String())
	}
	if !strings.Contains(e.String(), "points.csv:3:") {
		t.Errorf("stderr %q does not name points.csv:3", e.String())
	}
}

// TestExplainCSV explains a row of a CSV run: an explanation table of the
// training rows the attack relabels, most influential first, each with its
// old and new label, and no picture.
func TestExplainCSV(t *testing.T) {
	code, _, stderr, dir := cliCase(t, "[1]", goodTrain, goodTrain, "-no-report")
	if code != 0 {
		t.Fatalf("run: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"explain", "-out", out, "-index", "0", "-method", "ridge-exact"})); code != 0 {
		t.Fatalf("explain: exit %d: %s", code, e.String())
	}
	e2, err := tables.ReadExplanation(filepath.Join(out, "explain", "ridge-exact-lambda1-0.csv"))
	if err != nil {
		t.Fatal(err)
	}
	train := strings.Split(strings.TrimSpace(goodTrain), "\n")[1:]
	label := func(i int) string { return strings.Split(train[i], ",")[0] }
	if e2.Index != 0 || strconv.Itoa(e2.Label) != label(0) || e2.Pixels != nil || len(e2.Relabels) == 0 || e2.Flips != len(e2.Relabels) {
		t.Fatalf("explanation %+v: want test point 0 with its label, no images, and the attack's relabelings", e2)
	}
	for k, r := range e2.Relabels {
		if strconv.Itoa(r.From) != label(r.Index) || r.From == r.To || r.Pixels != nil {
			t.Errorf("relabeling %d %+v: want the row's own label as from, a new label, no image", k+1, r)
		}
	}
}
