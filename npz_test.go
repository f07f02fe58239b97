package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"flipcert/dataset"
	"flipcert/experiments"
	"flipcert/tables"
)

// TestNumPyImagesRunEveryMethod runs testdata/npz/strokes.yaml: 28×28 images
// from an .npz archive, every certificate, the attacks and the undefended
// network.
func TestNumPyImagesRunEveryMethod(t *testing.T) {
	out := t.TempDir()
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"-config", "testdata/npz/strokes.yaml", "-out", out, "-quiet", "-no-report"})); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	points, err := tables.ReadPoints(filepath.Join(out, tables.PointsFile), 3)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int{}
	correct := 0
	for _, p := range points {
		rows[p.Method.String()]++
		if p.Correct() && p.Method.Kind == tables.RidgeExact {
			correct++
		}
	}
	for _, m := range []string{"analytic", "sampled", "ridge-exact", "dpa-k10"} {
		if rows[m] != 60 {
			t.Errorf("%s: %d rows, want one per test image (60)", m, rows[m])
		}
	}
	// Three kinds of stroke are easy: a learner that learnt nothing gets a third right.
	if correct < 45 {
		t.Errorf("ridge on the embedder's features gets %d of 60 test images right", correct)
	}
	if _, err := os.Stat(filepath.Join(out, tables.BaselineFile)); err != nil {
		t.Error(err)
	}
}

// TestNumPyImagesThroughTheCNN trains the CNN embedder on the held-out images
// of the .npz archive and certifies on its features.
func TestNumPyImagesThroughTheCNN(t *testing.T) {
	out := t.TempDir()
	src, _ := filepath.Abs("testdata/npz/strokes.npz")
	config := filepath.Join(out, "cnn.yaml")
	yaml := "name: cnn\ndata: {source: npz, path: " + src + ", holdout: 100}\nfeatures: {kind: cnn, dim: 8, epochs: 1, retrain: true}\n" +
		"smoothing: {q: 0.05}\nsampler: {enabled: false}\nattack: {enabled: false}\n"
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"-config", config, "-out", out, "-quiet", "-no-report"})); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	m, _, err := tables.ReadManifest(filepath.Join(out, tables.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	if m.Data.NTrain != 140 || !bytes.Contains(m.Embedder, []byte(`"images": 100`)) {
		t.Errorf("%d training points, embedder %s; want 140 attacked and 100 held-out images", m.Data.NTrain, m.Embedder)
	}
}

// TestFeaturesRoundTrip writes a config's features with flipcert features and
// reads them back: the same float64 bits and labels as the run computes.
func TestFeaturesRoundTrip(t *testing.T) {
	out := t.TempDir()
	config := filepath.Join(out, "pca.yaml")
	src, _ := filepath.Abs("testdata/npz/strokes.npz")
	yaml := "name: pca\ndata: {source: npz, path: " + src + "}\nfeatures: {kind: pca, dim: 12}\n"
	if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var o, e bytes.Buffer
	if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"features", "-config", config, "-out", out, "-quiet"})); code != 0 {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	got, err := dataset.ReadNPZ(filepath.Join(out, "features.npz"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := experiments.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	train, test, err := experiments.FeatureSets(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range []struct {
		name      string
		got, want dataset.Set
	}{{"train", got.Train, train}, {"test", got.Test, test}} {
		r, cols := pair.want.X.Dims()
		if gr, gc := pair.got.X.Dims(); gr != r || gc != cols || cols != 12 || len(pair.got.Y) != r {
			t.Fatalf("%s: %d×%d with %d labels, want %d×%d (12 components)", pair.name, gr, gc, len(pair.got.Y), r, cols)
		}
		for i := range r {
			if pair.got.Y[i] != pair.want.Y[i] {
				t.Fatalf("%s label %d: %d, want %d", pair.name, i, pair.got.Y[i], pair.want.Y[i])
			}
			for j := range cols {
				if g, w := pair.got.X.At(i, j), pair.want.X.At(i, j); math.Float64bits(g) != math.Float64bits(w) {
					t.Fatalf("%s [%d][%d]: %v, want %v", pair.name, i, j, g, w)
				}
			}
		}
	}
}

// TestLabelFreeEncoderOnEveryTrainingImage runs the label-free encoder on
// strokes.npz, once certifying the test images and once a validation split
// of the training images: both learn from the same 240 training images (no
// test image), so the second run reads the first one's encoder from the
// cache, and the manifest keeps a loss per epoch. A third run, equal to the
// first, reads the first one's embedding from beside the encoder and writes
// the same points.
func TestLabelFreeEncoderOnEveryTrainingImage(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // a cache of the test's own
	out := t.TempDir()
	src, _ := filepath.Abs("testdata/npz/strokes.npz")
	manifest := func(extra string) tables.Manifest {
		t.Helper()
		config := filepath.Join(out, "lf.yaml")
		yaml := "name: lf\ndata: {source: npz, path: " + src + extra + "}\nfeatures: {kind: contrastive, dim: 6, channels: 2, epochs: 2, batch: 32}\n" +
			"smoothing: {q: 0.05}\nsampler: {enabled: false}\nattack: {enabled: false}\nwhitebox: {enabled: false}\n"
		if err := os.WriteFile(config, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var o, e bytes.Buffer
		if code := exitCode(&e, run(strings.NewReader(""), &o, &e, []string{"-config", config, "-out", filepath.Join(out, "run"), "-quiet", "-no-report", "-fresh"})); code != 0 {
			t.Fatalf("exit %d: %s", code, e.String())
		}
		m, _, err := tables.ReadManifest(filepath.Join(out, "run", tables.ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	var first, second, third struct {
		Kind     string    `json:"kind"`
		Images   int       `json:"images"`
		Losses   []float64 `json:"losses"`
		Trained  bool      `json:"trained"`
		Features string    `json:"features_cache"`
	}
	m := manifest("")
	if err := json.Unmarshal(m.Embedder, &first); err != nil {
		t.Fatal(err)
	}
	points, err := os.ReadFile(filepath.Join(out, "run", tables.PointsFile))
	if err != nil {
		t.Fatal(err)
	}
	written, err := os.Stat(first.Features)
	if err != nil {
		t.Fatalf("the first run's embedding is not beside the encoder: %v", err)
	}
	if first.Kind != "contrastive" || first.Images != 240 || len(first.Losses) != 2 || !first.Trained {
		t.Errorf("embedder %+v: want a contrastive encoder trained on the 240 training images, two losses", first)
	}
	m = manifest(", validation: 40")
	if err := json.Unmarshal(m.Embedder, &second); err != nil {
		t.Fatal(err)
	}
	if second.Images != 240 || second.Trained || !slices.Equal(second.Losses, first.Losses) || m.Data.NTrain != 200 {
		t.Errorf("validation run: embedder %+v on %d attacked points; want the cached encoder of the same 240 images", second, m.Data.NTrain)
	}
	if second.Features == first.Features {
		t.Errorf("the validation run's images share the first run's embedding file %s", first.Features)
	}
	m = manifest("")
	if err := json.Unmarshal(m.Embedder, &third); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(filepath.Join(out, "run", tables.PointsFile))
	if err != nil {
		t.Fatal(err)
	}
	read, err := os.Stat(third.Features)
	if err != nil {
		t.Fatal(err)
	}
	if third.Trained || third.Features != first.Features || !os.SameFile(written, read) {
		t.Errorf("rerun: embedder %+v; want the first run's encoder and its embedding file %s, not rewritten", third, first.Features)
	}
	if !bytes.Equal(again, points) {
		t.Error("the rerun on the cached embedding wrote other points than the first run")
	}
}
