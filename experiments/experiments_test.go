package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"flipcert/dataset"
	"flipcert/tables"
)

// writeBlobs writes a small two-class CSV data set: Gaussian blobs in 3
// dimensions whose means differ along the first axis.
func writeBlobs(t *testing.T, path string, n int, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	b.WriteString("label,a,b,c\n")
	for range n {
		y := rng.IntN(2)
		fmt.Fprintf(&b, "%d,%g,%g,%g\n", y, float64(2*y-1)*1.5+rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64())
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

const tinyConfig = `name: tiny
seed: 3
data: {source: csv, train: train.csv, test: test.csv}
features: {kind: none, intercept: true}
ridge: {lambda: [1, 30]}
smoothing: {q: [0.1, 0.3]}
analytic: {enabled: true}
sampler: {enabled: true, n0: 50, n: 2000, alpha: 0.01}
ridge_exact: {enabled: true}
dpa: {enabled: true, k: [5]}
baseline: {enabled: false}
report: {max_flips: 40}
`

// tinySetup writes the tiny data set and config into a fresh folder.
func tinySetup(t *testing.T, config string) (Config, string) {
	t.Helper()
	dir := t.TempDir()
	writeBlobs(t, filepath.Join(dir, "train.csv"), 120, 1)
	writeBlobs(t, filepath.Join(dir, "test.csv"), 30, 2)
	path := filepath.Join(dir, "tiny.yaml")
	if err := os.WriteFile(path, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	return c, dir
}

var outputs = []string{"points.csv"}

func readOutputs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	for _, name := range outputs {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		got[name] = data
	}
	return got
}

func sameOutputs(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	for _, name := range outputs {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s: %s differs", what, name)
		}
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// uninterrupted runs c in one go into dir/whole and returns its tables, the
// reference that resumed, sharded and merged runs must reproduce.
func uninterrupted(t *testing.T, c Config, dir string) map[string][]byte {
	t.Helper()
	whole := filepath.Join(dir, "whole")
	if _, err := Run(c, Options{Out: whole}); err != nil {
		t.Fatal(err)
	}
	return readOutputs(t, whole)
}

func TestPipelineOnTinyCSV(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	out := filepath.Join(dir, "out")
	o, err := Run(c, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	// 2 smoothed methods × 2 q × 2 λ + ridge-exact × 2 λ + dpa × 2 λ.
	if o.Ran != 16 || !o.Assembled {
		t.Fatalf("outcome %+v, want 16 units run and assembled", o)
	}
	points := readCSV(t, filepath.Join(out, "points.csv"))
	if got := strings.Join(points[0], ","); got != "method,q,lambda,index,label,prediction,log_eps,radius,radius_kl,correct" {
		t.Fatalf("points header %q", got)
	}
	if len(points) != 1+16*30 {
		t.Fatalf("%d point rows, want %d", len(points)-1, 16*30)
	}
	for _, row := range points[1:] {
		pred, _ := strconv.Atoi(row[5])
		label, _ := strconv.Atoi(row[4])
		if (row[9] == "1") != (pred == label) {
			t.Fatalf("row %v: correct disagrees with prediction and label", row)
		}
		if row[1] == "" && (row[6] != "" || row[7] != row[8]) {
			t.Fatalf("exact row %v: want empty log_eps and equal radii", row)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "manifest.json")); err != nil {
		t.Fatal(err)
	}
	// A second run finds everything done.
	o, err = Run(c, Options{Out: out})
	if err != nil || o.Ran != 0 || o.Skipped != 16 {
		t.Fatalf("rerun: %+v, %v; want every unit skipped", o, err)
	}
}

func TestSameBytesForAnyGOMAXPROCS(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	var runs []map[string][]byte
	for _, procs := range []int{1, 2, 8} {
		runtime.GOMAXPROCS(procs)
		out := filepath.Join(dir, fmt.Sprintf("out%d", procs))
		if _, err := Run(c, Options{Out: out}); err != nil {
			t.Fatal(err)
		}
		runs = append(runs, readOutputs(t, out))
	}
	sameOutputs(t, "GOMAXPROCS 1 vs 2", runs[0], runs[1])
	sameOutputs(t, "GOMAXPROCS 1 vs 8", runs[0], runs[2])
}

func TestResumeAfterInterruption(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	want := uninterrupted(t, c, dir)
	crash := errors.New("simulated crash")
	for _, after := range []int{1, 5, 11} {
		out := filepath.Join(dir, fmt.Sprintf("crash%d", after))
		done := 0
		_, err := Run(c, Options{Out: out, Interrupt: func(Unit) error {
			if done++; done == after {
				return crash
			}
			return nil
		}})
		if !errors.Is(err, crash) {
			t.Fatalf("after %d units: err = %v", after, err)
		}
		o, err := Run(c, Options{Out: out})
		if err != nil {
			t.Fatal(err)
		}
		if o.Skipped != after || o.Ran != 16-after {
			t.Errorf("resume after %d: %+v", after, o)
		}
		sameOutputs(t, fmt.Sprintf("resumed after %d units", after), want, readOutputs(t, out))
	}
}

func TestShardsMergeToTheSingleRun(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	want := uninterrupted(t, c, dir)
	for _, n := range []int{1, 2, 3} {
		var shardDirs []string
		for i := range n {
			sd := filepath.Join(dir, fmt.Sprintf("n%d-shard%d", n, i))
			o, err := Run(c, Options{Out: sd, Shard: i, Shards: n})
			if err != nil {
				t.Fatal(err)
			}
			if n > 1 && o.Assembled {
				t.Errorf("shard %d/%d assembled alone", i, n)
			}
			shardDirs = append(shardDirs, sd)
		}
		merged := filepath.Join(dir, fmt.Sprintf("merged%d", n))
		if _, err := Merge(c, merged, shardDirs, false); err != nil {
			t.Fatal(err)
		}
		o, err := Run(c, Options{Out: merged})
		if err != nil || o.Ran != 0 || !o.Assembled {
			t.Fatalf("merged %d: %+v %v; want assembled without recomputing", n, o, err)
		}
		sameOutputs(t, fmt.Sprintf("%d shards merged", n), want, readOutputs(t, merged))
	}
}

// TestMergeListsMissingUnits checks that merge never computes quietly: units
// no shard folder holds are listed (an input error) unless computing them is
// allowed.
func TestMergeListsMissingUnits(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	want := uninterrupted(t, c, dir)
	shard := filepath.Join(dir, "shard0")
	if _, err := Run(c, Options{Out: shard, Shard: 0, Shards: 3}); err != nil {
		t.Fatal(err)
	}
	merged := filepath.Join(dir, "merged")
	_, err := Merge(c, merged, []string{shard}, false)
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "10 of 16 units are in no shard folder") ||
		!strings.Contains(err.Error(), "sampled q=0.1 λ=1") || !strings.Contains(err.Error(), "-compute-missing") {
		t.Fatalf("err = %v, want an InputError listing the 10 missing units", err)
	}
	if _, err := Merge(c, merged, []string{shard}, true); err != nil {
		t.Fatal(err)
	}
	o, err := Run(c, Options{Out: merged})
	if err != nil || o.Ran != 10 || !o.Assembled {
		t.Fatalf("after -compute-missing: %+v %v; want the 10 missing units computed", o, err)
	}
	sameOutputs(t, "merged with computed units", want, readOutputs(t, merged))
}

// TestShardsSharingOneFolder runs the shards of a cluster job that share a
// disk: each writes its units into the same folder, and the last one to
// finish assembles the tables.
func TestShardsSharingOneFolder(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	want := uninterrupted(t, c, dir)
	shared := filepath.Join(dir, "shared")
	first, err := Run(c, Options{Out: shared, Shard: 1, Shards: 3})
	if err != nil || first.Assembled || first.Pending != 11 {
		t.Fatalf("first shard: %+v %v; want 5 units done, 11 pending", first, err)
	}
	for _, i := range []int{2, 0} {
		if _, err := Run(c, Options{Out: shared, Shard: i, Shards: 3}); err != nil {
			t.Fatal(err)
		}
	}
	sameOutputs(t, "shards in one folder", want, readOutputs(t, shared))
}

func TestChangedConfigIsRefused(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	out := filepath.Join(dir, "out")
	if _, err := Run(c, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	changed, _ := tinySetup(t, strings.Replace(tinyConfig, "q: [0.1, 0.3]", "q: [0.1, 0.2]", 1))
	changed.dir = c.dir
	_, err := Run(changed, Options{Out: out})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "changed: smoothing") || !strings.Contains(err.Error(), "-fresh") {
		t.Fatalf("err = %v, want an InputError naming smoothing and -fresh", err)
	}
	o, err := Run(changed, Options{Out: out, Fresh: true})
	if err != nil || o.Ran != 16 || o.Skipped != 0 {
		t.Fatalf("-fresh: %+v %v; want every unit recomputed", o, err)
	}
	// The report section only shapes the tables: changing it reuses the units.
	wider, _ := tinySetup(t, strings.Replace(tinyConfig, "max_flips: 40", "max_flips: 60", 1))
	wider.dir = c.dir
	wider.Smoothing = changed.Smoothing
	if o, err := Run(wider, Options{Out: out}); err != nil || o.Ran != 0 {
		t.Fatalf("report change: %+v %v; want units reused", o, err)
	}
}

// TestOtherCodeVersionIsRefused checks that units of another version of the
// code are not assembled with this one's, in a folder or in a merge.
func TestOtherCodeVersionIsRefused(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	out := filepath.Join(dir, "out")
	if _, err := Run(c, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	s, err := readState(out)
	if err != nil || s.CodeVersion == "" {
		t.Fatalf("state %+v, %v: want a code version", s, err)
	}
	s.CodeVersion = "0123abc"
	data, _ := json.Marshal(s)
	if err := os.WriteFile(filepath.Join(out, "state.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var ie *InputError
	if _, err := Run(c, Options{Out: out}); !errors.As(err, &ie) || !strings.Contains(err.Error(), "another version of the code (0123abc") {
		t.Fatalf("run: err = %v, want an InputError naming the other code version", err)
	}
	if _, err := Merge(c, filepath.Join(dir, "merged"), []string{out}, true); !errors.As(err, &ie) || !strings.Contains(err.Error(), "0123abc") {
		t.Fatalf("merge: err = %v, want an InputError naming the other code version", err)
	}
	if o, err := Run(c, Options{Out: out, Fresh: true}); err != nil || o.Ran != 16 {
		t.Fatalf("-fresh: %+v %v; want every unit recomputed", o, err)
	}
}

func TestBaselineOnMNIST(t *testing.T) {
	c, err := ParseConfig([]byte(`name: base
data: {source: mnist, classes: [1, 7], test_limit: 200}
analytic: {enabled: false}
sampler: {enabled: false}
ridge_exact: {enabled: false}
baseline: {enabled: true, attacks: [random, pointwise], flips: [0, 3000], points: 8, epochs: 1, seeds: 1}
`), "base.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if _, err := Run(c, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, filepath.Join(out, "baseline.csv"))
	if got := strings.Join(rows[0], ","); got != "attack,flips,seed,accuracy" || len(rows) != 5 {
		t.Fatalf("baseline.csv: header %q and %d rows, want 4 rows", got, len(rows)-1)
	}
	acc := map[string]float64{}
	for _, r := range rows[1:] {
		a, err := strconv.ParseFloat(r[3], 64)
		if err != nil || a < 0 || a > 1 {
			t.Fatalf("row %v: accuracy not in [0, 1]", r)
		}
		acc[r[0]+r[1]] = a
	}
	// A clean MLP separates 1 from 7 well; 3,000 flips aimed at each point's
	// prediction (nearly half of its class) must hurt it badly.
	if acc["random0"] < 0.9 || acc["pointwise0"] < 0.7 {
		t.Errorf("clean accuracies %v, want ≥ 0.9 and ≥ 0.7", acc)
	}
	if acc["pointwise3000"] > acc["pointwise0"]-0.3 {
		t.Errorf("pointwise attack with 3000 flips: %v, want far below %v", acc["pointwise3000"], acc["pointwise0"])
	}
}

// TestRandomBaselineSideBySide runs the random baseline units, which train
// side by side, at GOMAXPROCS 1 and 2 and after an interruption inside a
// group: baseline.csv must not change, and the resumed run must skip exactly
// the units written before the interruption.
func TestRandomBaselineSideBySide(t *testing.T) {
	c, err := ParseConfig([]byte(`name: side
data: {source: mnist, classes: [1, 7], test_limit: 100}
analytic: {enabled: false}
sampler: {enabled: false}
ridge_exact: {enabled: false}
whitebox: {enabled: false}
dpa: {enabled: false}
baseline: {enabled: true, attacks: [random], flips: [0, 10, 100, 1000, 3000], epochs: 1}
`), "side.yaml", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	read := func(out string) string {
		data, err := os.ReadFile(filepath.Join(out, tables.BaselineFile))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	var want string
	for _, procs := range []int{1, 2} {
		prev := runtime.GOMAXPROCS(procs)
		out := t.TempDir()
		_, err := Run(c, Options{Out: out})
		runtime.GOMAXPROCS(prev)
		if err != nil {
			t.Fatal(err)
		}
		if procs == 1 {
			want = read(out)
		} else if got := read(out); got != want {
			t.Fatalf("GOMAXPROCS 2:\n%s\nGOMAXPROCS 1:\n%s", got, want)
		}
	}
	prev := runtime.GOMAXPROCS(2)
	defer runtime.GOMAXPROCS(prev)
	out := t.TempDir()
	crash := errors.New("simulated crash")
	done := 0
	if _, err := Run(c, Options{Out: out, Interrupt: func(Unit) error {
		if done++; done == 3 { // the first unit of the second group of two
			return crash
		}
		return nil
	}}); !errors.Is(err, crash) {
		t.Fatalf("err = %v, want the simulated crash", err)
	}
	o, err := Run(c, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if o.Skipped != 3 || o.Ran != 2 {
		t.Errorf("resumed: %+v, want the 3 written units skipped and 2 run", o)
	}
	if got := read(out); got != want {
		t.Errorf("resumed baseline.csv:\n%s\nwant:\n%s", got, want)
	}
}

// TestEmbedderNeverSeesAttackedImages checks, image by image against the raw
// file, that the embedder trains on no image of the attacked training set:
// without a held-out split it gets exactly the training images whose digit is
// not certified; with one, exactly the held-out images of the certified
// digits, all past the attacked range.
func TestEmbedderNeverSeesAttackedImages(t *testing.T) {
	train, _, err := dataset.LoadModuleMNIST()
	if err != nil {
		t.Fatal(err)
	}
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, tc := range []struct {
		classes []int
		holdout int
	}{{[]int{1, 7}, 0}, {[]int{3, 8}, 0}, {all, 10000}, {[]int{1, 7}, 5000}} {
		c := Default()
		c.Data.Classes, c.Data.Holdout = tc.classes, tc.holdout
		embedTrain, _, digits := embedderSplits(c, train, dataset.Digits{})
		x, labels := embedTrain.Select(0, digits...)
		attackedEnd := train.Len() - tc.holdout
		row := 0
		for i, l := range train.Labels {
			certified := slices.Contains(tc.classes, int(l))
			if certified && i < attackedEnd {
				continue // an attacked image: the embedder must not get it
			}
			if tc.holdout > 0 && i < attackedEnd || tc.holdout == 0 && certified {
				continue // not the embedder's either, but harmless
			}
			if tc.holdout > 0 && !certified {
				continue
			}
			if row >= len(labels) || digits[labels[row]] != int(l) {
				t.Fatalf("%+v: embedder image %d is not MNIST training image %d (digit %d)", tc, row, i, l)
			}
			for j, p := range train.Pixels[i*784 : (i+1)*784] {
				if x.At(row, j) != float64(p)/255 {
					t.Fatalf("%+v: embedder image %d is not MNIST training image %d", tc, row, i)
				}
			}
			row++
		}
		if len(labels) != row {
			t.Fatalf("%+v: the embedder has %d images, the raw file gives %d", tc, len(labels), row)
		}
	}
}

// TestValidationNeverReadsTheTestSplit runs validation mode on a folder that
// holds only MNIST's training files.
func TestValidationNeverReadsTheTestSplit(t *testing.T) {
	src, err := dataset.MNISTDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"} {
		if err := os.Symlink(filepath.Join(src, f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	c := Default()
	c.Data.MNISTDir, c.Data.Validation = dir, 500
	in, err := loadInputs(c)
	if err != nil {
		t.Fatalf("validation run without the test files: %v", err)
	}
	if in.test.Len() != 500 || in.train.Len() != 13007-500 {
		t.Fatalf("validation split %d, training %d; want 500 and %d", in.test.Len(), in.train.Len(), 13007-500)
	}
	c.Data.Validation = 0
	if _, err := loadInputs(c); err == nil {
		t.Fatal("a test-set run found the test files in a folder without them")
	}
}

// TestFailedStartDoesNotLockTheFolder: a run that stopped before finishing
// any unit (here: a singular λ) leaves nothing to protect, so the corrected
// config may use the same folder.
func TestFailedStartDoesNotLockTheFolder(t *testing.T) {
	good, dir := tinySetup(t, tinyConfig)
	out := filepath.Join(dir, "out")
	c := good
	c.Ridge.Lambda = Floats{0}
	c.Features.Intercept = false
	c.Data.Train = "collinear.csv"
	if err := os.WriteFile(filepath.Join(dir, "collinear.csv"), []byte("label,a,b,c\n0,1,2,3\n1,2,4,6\n0,3,6,9\n1,4,8,12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(c, Options{Out: out}); err == nil {
		t.Fatal("λ = 0 on collinear features: no error")
	}
	if o, err := Run(good, Options{Out: out}); err != nil || o.Ran != 16 {
		t.Fatalf("corrected config: %+v %v; want it to run in the same folder", o, err)
	}
}

// TestNestedSamplesEqualSingleRuns: the rows of sampled-n<N> in a run that
// sweeps N are, byte for byte but for the method name, those of a run with
// that N alone.
func TestNestedSamplesEqualSingleRuns(t *testing.T) {
	c, dir := tinySetup(t, strings.Replace(tinyConfig, "n: 2000", "n: [300, 2000]", 1))
	sweep := filepath.Join(dir, "sweep")
	if _, err := Run(c, Options{Out: sweep}); err != nil {
		t.Fatal(err)
	}
	swept := readCSV(t, filepath.Join(sweep, "points.csv"))
	for _, n := range []int{300, 2000} {
		single := c
		single.Sampler.N = Ints{n}
		out := filepath.Join(dir, fmt.Sprintf("single%d", n))
		if _, err := Run(single, Options{Out: out}); err != nil {
			t.Fatal(err)
		}
		var want, got []string
		for _, row := range readCSV(t, filepath.Join(out, "points.csv"))[1:] {
			if row[0] == "sampled" {
				want = append(want, strings.Join(row[1:], ","))
			}
		}
		for _, row := range swept[1:] {
			if row[0] == fmt.Sprintf("sampled-n%d", n) {
				got = append(got, strings.Join(row[1:], ","))
			}
		}
		if len(want) != 4*30 || !slices.Equal(got, want) {
			t.Errorf("N = %d: %d nested rows, %d single rows; equal: %v", n, len(got), len(want), slices.Equal(got, want))
		}
	}
}

// TestMCAgainstAnalytic checks mc_vs_analytic.csv on the tiny data: a row
// per (q, λ, N, point); each interval holds its count; the samples never
// contradict the analytic bound; samples needed are given exactly for the
// points the analytic certificate certifies, and grow with its radius.
func TestMCAgainstAnalytic(t *testing.T) {
	c, dir := tinySetup(t, strings.Replace(tinyConfig, "n: 2000", "n: [300, 2000]", 1))
	out := filepath.Join(dir, "out")
	if _, err := Run(c, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	rows, err := tables.ReadMC(filepath.Join(out, tables.MCFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2*2*2*30 {
		t.Fatalf("%d rows, want one per (q, λ, N, point) = %d", len(rows), 2*2*2*30)
	}
	points, err := tables.ReadPoints(filepath.Join(out, tables.PointsFile), 2)
	if err != nil {
		t.Fatal(err)
	}
	type key struct {
		q, lambda float64
		index     int
	}
	analyticRow := map[key]tables.Point{}
	for _, p := range points {
		if p.Method.Kind == tables.Analytic {
			analyticRow[key{p.Q, p.Lambda, p.Index}] = p
		}
	}
	for _, r := range rows {
		a := analyticRow[key{r.Q, r.Lambda, r.Index}]
		if r.LogEpsAnalytic != a.LogEps {
			t.Fatalf("row %+v: analytic bound %v, points.csv has %v", r, r.LogEpsAnalytic, a.LogEps)
		}
		if r.Contradicts() {
			t.Errorf("row %+v: the samples contradict the analytic bound", r)
		}
		if certified := a.Prediction != -1; certified == math.IsNaN(r.Log10SamplesNeeded) {
			t.Errorf("row %+v: samples needed %v for an analytic row with prediction %d", r, r.Log10SamplesNeeded, a.Prediction)
		}
		// N* = ⌈ln α / ln(1 − ε*(r))⌉ ≥ ln 100 / ln 2, its value at radius 0
		// (ε*(0) = ½, α = 0.01).
		if !math.IsNaN(r.Log10SamplesNeeded) && r.Log10SamplesNeeded < math.Log10(math.Log(100)/math.Ln2) {
			t.Errorf("row %+v: fewer samples than radius 0 needs", r)
		}
	}
	if o, err := Run(c, Options{Out: out}); err != nil || o.Ran != 0 {
		t.Fatalf("rerun: %+v %v", o, err)
	}
}

// TestKernelBlocksGiveTheSameBytes streams the test points through the kernel
// vectors in blocks of 1, 7 and all of them at once (the unblocked
// computation), at 1 and 2 workers: every unit's rows are the same bytes.
func TestKernelBlocksGiveTheSameBytes(t *testing.T) {
	c, _ := tinySetup(t, tinyConfig)
	in, err := loadInputs(c)
	if err != nil {
		t.Fatal(err)
	}
	var stages []tables.Stage
	env := runEnv{stages: &stages}
	p, err := prepare(c, in, env)
	if err != nil {
		t.Fatal(err)
	}
	analytic, exact := tables.Method{Kind: tables.Analytic}, tables.Method{Kind: tables.RidgeExact}
	units := []Unit{{Method: analytic, Q: 0.1, Lambda: 1}, {Method: analytic, Q: 0.3, Lambda: 1}, {Method: exact, Lambda: 1}}
	rows := func() map[string]string {
		got := map[string]string{}
		err := p.runLambda(units, c, env, func(u Unit, o output) error {
			got[u.file()] = string(o.points)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	p.block = in.test.Len()
	want := rows()
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		for _, block := range []int{1, 7, in.test.Len()} {
			p.block = block
			if got := rows(); !maps.Equal(got, want) {
				t.Errorf("block %d, GOMAXPROCS %d: rows differ from the unblocked computation", block, procs)
			}
		}
	}
}

// TestFiveClassCSV runs every certificate on a CSV data set with labels 0..4.
func TestFiveClassCSV(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 5))
	for _, f := range []struct {
		name string
		n    int
	}{{"train.csv", 200}, {"test.csv", 25}} {
		var b strings.Builder
		b.WriteString("label,a,b\n")
		for i := range f.n {
			y := i % 5
			angle := 2 * math.Pi * float64(y) / 5
			fmt.Fprintf(&b, "%d,%g,%g\n", y, 3*math.Cos(angle)+rng.NormFloat64()/2, 3*math.Sin(angle)+rng.NormFloat64()/2)
		}
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c, err := ParseConfig([]byte(`name: five
data: {source: csv, train: train.csv, test: test.csv}
features: {kind: none, intercept: true}
ridge: {lambda: [1]}
smoothing: {q: [0.1, 0.6]}
sampler: {enabled: true, n0: 50, n: [200, 1000], alpha: 0.01}
dpa: {enabled: true, k: [4]}
report: {max_flips: 40}
`), "five.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, err := Run(c, Options{Out: out}); err != nil {
		t.Fatal(err)
	}
	points, err := tables.ReadPoints(filepath.Join(out, tables.PointsFile), 5)
	if err != nil {
		t.Fatal(err)
	}
	correct := map[string]int{}
	for _, p := range points {
		if p.Correct() {
			correct[p.Method.String()]++
		}
	}
	// analytic and whitebox ×2 q, sampled-n200 and -n1000 ×2 q, ridge-exact, dpa-k4: 10 settings of 25 points.
	if len(points) != 10*25 {
		t.Fatalf("%d rows, want %d", len(points), 10*25)
	}
	for _, m := range []string{"analytic", "sampled-n1000", "ridge-exact", "dpa-k4"} {
		if correct[m] < 20 {
			t.Errorf("%s: %d of its rows correct, want most of the well-separated points", m, correct[m])
		}
	}
	if rows, err := tables.ReadMC(filepath.Join(out, tables.MCFile)); err != nil || len(rows) != 2*2*25 {
		t.Fatalf("mc_vs_analytic: %d rows, %v", len(rows), err)
	}
	m, _, err := tables.ReadManifest(filepath.Join(out, tables.ManifestFile))
	if err != nil || m.Data.Classes != 5 {
		t.Fatalf("manifest classes %d, %v; want 5", m.Data.Classes, err)
	}
	// q = 0.7 is in (0, 4/5) for five classes but not for two: refused for binary data only.
	c.Smoothing.Q = Floats{0.1, 0.7}
	if _, err := Run(c, Options{Out: filepath.Join(dir, "q07"), Fresh: true}); err != nil {
		t.Errorf("q = 0.7 with five classes: %v", err)
	}
}

// TestNoiseTooLargeForTheData: csv data's K is known only once read, so a q
// valid for some K is refused after loading, before any unit, when the data
// has two classes.
func TestNoiseTooLargeForTheData(t *testing.T) {
	c, dir := tinySetup(t, strings.Replace(tinyConfig, "q: [0.1, 0.3]", "q: [0.1, 0.6]", 1))
	out := filepath.Join(dir, "out")
	_, err := Run(c, Options{Out: out})
	var ie *InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "smoothing.q[1] = 0.6: must be in (0, 1/2) for the 2 classes of the data") {
		t.Fatalf("err = %v, want an InputError naming smoothing.q[1]", err)
	}
	if n, _ := filepath.Glob(filepath.Join(out, "units", "*.csv")); len(n) > 0 {
		t.Fatalf("%d units written before the refusal", len(n))
	}
}

// TestNumPyGivesTheCSVBytes runs the tiny data set once from its CSV files
// and once from an .npz archive of the same numbers (written by
// dataset.WriteNPZ): every table is the same bytes. A convolutional embedder
// on those 3-column rows is refused before any unit runs.
func TestNumPyGivesTheCSVBytes(t *testing.T) {
	c, dir := tinySetup(t, tinyConfig)
	want := uninterrupted(t, c, filepath.Join(dir, "csv"))
	train, _, err := dataset.ReadCSVFile(filepath.Join(dir, "train.csv"))
	if err != nil {
		t.Fatal(err)
	}
	test, _, err := dataset.ReadCSVFile(filepath.Join(dir, "test.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := dataset.WriteNPZ(filepath.Join(dir, "tiny.npz"), map[string]dataset.Set{"train": train, "test": test}); err != nil {
		t.Fatal(err)
	}
	npz := strings.Replace(tinyConfig, "data: {source: csv, train: train.csv, test: test.csv}", "data: {source: npz, path: tiny.npz}", 1)
	c2, err := ParseConfig([]byte(npz), "npz.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	sameOutputs(t, "npz against csv", want, uninterrupted(t, c2, filepath.Join(dir, "npz")))

	cnn := strings.Replace(npz, "features: {kind: none, intercept: true}", "features: {kind: cnn, dim: 8}", 1)
	cnn = strings.Replace(cnn, "path: tiny.npz}", "path: tiny.npz, holdout: 20}", 1)
	c3, err := ParseConfig([]byte(cnn), "cnn.yaml", dir)
	if err != nil {
		t.Fatal(err)
	}
	var ie *InputError
	if _, err := Run(c3, Options{Out: filepath.Join(dir, "cnn")}); !errors.As(err, &ie) || !strings.Contains(err.Error(), "needs 28×28 grey-scale images") {
		t.Errorf("cnn on 3 features: %v, want an input error asking for images", err)
	}
}
